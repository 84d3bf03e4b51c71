// The one heatmap colouring of the Visualise panel and lathe-cli inspect: known colours at the
// ends and the middle of each map, the symmetric range of signed maps, Diverging's fading
// alpha, NaN, and the overlay over the input in grey.
#include "core/inspect/colormap.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

using namespace lathe;
using kernels::Colormap;
using Rgba = std::array<int, 4>;
Q_DECLARE_METATYPE(Rgba)

namespace {

Rgba pixel(const at::Tensor &rgba, std::int64_t y, std::int64_t x)
{
    const auto p = rgba[y][x];
    return {p[0].item<int>(), p[1].item<int>(), p[2].item<int>(), p[3].item<int>()};
}

} // namespace

class TestColormap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void knownColours_data()
    {
        QTest::addColumn<int>("colormap");
        QTest::addColumn<float>("value"); // of the map {0, value, 1}
        QTest::addColumn<Rgba>("expected");
        // The ends of the kernels' fits to matplotlib's viridis (68,1,84 to 253,231,37) and
        // magma (0,0,4 to 252,253,191); gray's middle rounds half up (127.5 -> 128).
        QTest::newRow("viridis low") << int(Colormap::Viridis) << 0.0f << Rgba{71, 1, 85, 255};
        QTest::newRow("viridis high") << int(Colormap::Viridis) << 1.0f << Rgba{252, 231, 33, 255};
        QTest::newRow("magma low") << int(Colormap::Magma) << 0.0f << Rgba{0, 0, 0, 255};
        QTest::newRow("magma high") << int(Colormap::Magma) << 1.0f << Rgba{254, 249, 186, 255};
        QTest::newRow("gray middle") << int(Colormap::Gray) << 0.5f << Rgba{128, 128, 128, 255};
        QTest::newRow("gray NaN") << int(Colormap::Gray) << NAN << Rgba{0, 0, 0, 255};
    }
    void knownColours()
    {
        QFETCH(int, colormap);
        QFETCH(float, value);
        QFETCH(Rgba, expected);
        const auto heat
            = inspect::heatmapRgba(torch::tensor({{0.0f, value, 1.0f}}), Colormap(colormap));
        QVERIFY_OK(heat);
        QCOMPARE(heat->rgba.sizes().vec(), (std::vector<std::int64_t>{1, 3, 4}));
        QCOMPARE(heat->rgba.scalar_type(), torch::kUInt8);
        QCOMPARE(heat->low, 0.0);
        QCOMPARE(heat->high, 1.0);
        QCOMPARE(pixel(heat->rgba, 0, 1), expected);
    }

    void signedMapsAreSymmetricAroundZero()
    {
        // -2 is the low end, 0 the middle (entry round(127.5) = 128), 1 three quarters up.
        const auto heat
            = inspect::heatmapRgba(torch::tensor({{-2.0f, 0.0f, 1.0f}}), Colormap::Gray);
        QVERIFY_OK(heat);
        QCOMPARE(heat->low, -2.0);
        QCOMPARE(heat->high, 2.0);
        QCOMPARE(pixel(heat->rgba, 0, 0), (Rgba{0, 0, 0, 255}));
        QCOMPARE(pixel(heat->rgba, 0, 1), (Rgba{128, 128, 128, 255}));
        QCOMPARE(pixel(heat->rgba, 0, 2), (Rgba{191, 191, 191, 255}));
    }

    void divergingIsWhiteAndClearAtZero()
    {
        const auto heat
            = inspect::heatmapRgba(torch::tensor({{-2.0, 0.0, 1.0}}), Colormap::Diverging);
        QVERIFY_OK(heat);
        QCOMPARE(heat->low, -2.0);
        const auto &table = kernels::colormapTable(Colormap::Diverging);
        // The blue end, opaque; white, transparent; entry 191 at alpha 255 sqrt(0.5) = 180.
        QCOMPARE(pixel(heat->rgba, 0, 0), (Rgba{table[0][0], table[0][1], table[0][2], 255}));
        QCOMPARE(pixel(heat->rgba, 0, 1), (Rgba{255, 255, 255, 0}));
        QCOMPARE(pixel(heat->rgba, 0, 2), (Rgba{table[191][0], table[191][1], table[191][2], 180}));
        // An all-zero map is neutral everywhere, not the blue end.
        const auto zero = inspect::heatmapRgba(torch::zeros({2, 2}), Colormap::Diverging);
        QVERIFY_OK(zero);
        QCOMPARE(pixel(zero->rgba, 1, 1), (Rgba{255, 255, 255, 0}));
    }

    void overlayBlendsOverGrey()
    {
        const auto heat = inspect::heatmapRgba(torch::tensor({{0.0f, 1.0f}}), Colormap::Gray);
        QVERIFY_OK(heat);
        // A mid-grey RGB input: the mean of 0.2, 0.5, 0.8 is 0.5.
        const auto image = torch::tensor({0.2f, 0.5f, 0.8f}).view({3, 1, 1}).expand({3, 1, 2});
        const auto out = inspect::overlayRgba(image, *heat, 0.5);
        QVERIFY_OK(out);
        // 255 (0.5 * 0.5 + 0 * 0.5) = 63.75 and 255 (0.5 * 0.5 + 1 * 0.5) = 191.25.
        QCOMPARE(pixel(*out, 0, 0), (Rgba{64, 64, 64, 255}));
        QCOMPARE(pixel(*out, 0, 1), (Rgba{191, 191, 191, 255}));
    }

    void badInputIsRefused()
    {
        QVERIFY(!inspect::heatmapRgba(torch::zeros({1, 2, 2}), Colormap::Gray));
        QVERIFY(!inspect::heatmapRgba(torch::zeros({2, 2}, torch::kLong), Colormap::Gray));
        const auto heat = inspect::heatmapRgba(torch::zeros({2, 2}), Colormap::Gray);
        QVERIFY_OK(heat);
        QVERIFY(!inspect::overlayRgba(torch::zeros({1, 3, 3}), *heat, 0.5));
    }
};

LATHE_TEST_GUILESS_MAIN(TestColormap)
#include "tst_colormap.moc"
