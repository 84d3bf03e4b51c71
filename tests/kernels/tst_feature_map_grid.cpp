// Feature maps to an RGBA grid on the CPU against the same maths in plain LibTorch ops.
#include "kernel_check.h"
#include "kernels/feature_map_grid/feature_map_grid.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::kernels;

namespace {

torch::Tensor tableTensor(Colormap colormap, std::array<std::uint8_t, 4> background)
{
    auto table = torch::empty({257, 4}, torch::kByte);
    const auto &entries = colormapTable(colormap);
    for (int i = 0; i < 256; ++i)
        for (int k = 0; k < 4; ++k)
            table[i][k] = entries[std::size_t(i)][std::size_t(k)];
    for (int k = 0; k < 4; ++k)
        table[256][k] = background[std::size_t(k)];
    return table;
}

/// The documented maths with LibTorch ops, tile by tile.
torch::Tensor referenceGrid(const torch::Tensor &maps, const FeatureMapGridOptions &o,
                            std::int64_t columns)
{
    const auto x = maps.to(torch::kFloat);
    const std::int64_t c = x.size(0), h = x.size(1), w = x.size(2);
    const std::int64_t rows = (c + columns - 1) / columns;
    const auto table = tableTensor(o.colormap, o.background);
    auto image = table[256].repeat(
        {rows * h + (rows - 1) * o.padding, columns * w + (columns - 1) * o.padding, 1});
    const auto finite = x.isfinite();
    const auto inf = std::numeric_limits<float>::infinity();
    auto los = torch::where(finite, x, torch::full_like(x, inf)).flatten(1).amin(1);
    auto his = torch::where(finite, x, torch::full_like(x, -inf)).flatten(1).amax(1);
    if (o.normalization == MapNormalization::Shared) {
        los = los.min().expand({c});
        his = his.max().expand({c});
    }
    if (o.colormap == Colormap::Diverging) { // [-m, m], m = max |finite value| or 1
        auto m = torch::where(los <= his, torch::maximum(los.abs(), his.abs()),
                              torch::zeros_like(los));
        m = torch::where(m > 0, m, torch::ones_like(m));
        los = -m;
        his = m;
    }
    for (std::int64_t i = 0; i < c; ++i) {
        const float lo = los[i].item<float>(), hi = his[i].item<float>();
        const bool spread = hi > lo;
        const float scale = spread ? float(255.0 / (double(hi) - double(lo))) : 0.0f;
        auto t = ((x[i] - (spread ? lo : 0.0f)) * scale).nan_to_num(0.0, 255.0, 0.0).clamp(0, 255);
        auto index = (t + 0.5f).floor().to(torch::kLong);
        index = torch::where(x[i].isnan(), torch::full_like(index, 256), index);
        const auto tile = table.index_select(0, index.flatten()).view({h, w, 4});
        image.narrow(0, (i / columns) * (h + o.padding), h)
            .narrow(1, (i % columns) * (w + o.padding), w)
            .copy_(tile);
    }
    return image;
}

} // namespace

class TestFeatureMapGrid : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesLibTorch_data()
    {
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<int>("normalization");
        QTest::addColumn<int>("colormap");
        QTest::addColumn<qint64>("columns");
        QTest::addColumn<qint64>("padding");
        QTest::addColumn<QString>("special");
        const int per = int(MapNormalization::PerChannel), shared = int(MapNormalization::Shared);
        QTest::newRow("64x14x14 viridis")
            << QList<qint64>{64, 14, 14} << per << int(Colormap::Viridis) << 0ll << 1ll << "";
        QTest::newRow("shared gray")
            << QList<qint64>{10, 9, 7} << shared << int(Colormap::Gray) << 4ll << 2ll << "";
        QTest::newRow("batch of one, magma")
            << QList<qint64>{1, 6, 5, 5} << per << int(Colormap::Magma) << 0ll << 0ll << "";
        QTest::newRow("one element")
            << QList<qint64>{1, 1, 1} << per << int(Colormap::Inferno) << 0ll << 1ll << "";
        QTest::newRow("constant channel")
            << QList<qint64>{3, 4, 4} << per << int(Colormap::Viridis) << 0ll << 1ll << "constant";
        QTest::newRow("NaN and Inf")
            << QList<qint64>{4, 8, 8} << per << int(Colormap::Viridis) << 0ll << 1ll << "nonfinite";
        QTest::newRow("NaN and Inf shared")
            << QList<qint64>{4, 8, 8} << shared << int(Colormap::Gray) << 3ll << 1ll << "nonfinite";
        QTest::newRow("non-contiguous")
            << QList<qint64>{5, 6, 7} << per << int(Colormap::Gray) << 0ll << 1ll << "permuted";
        QTest::newRow("diverging")
            << QList<qint64>{16, 9, 9} << per << int(Colormap::Diverging) << 0ll << 1ll << "";
        QTest::newRow("diverging shared, NaN, Inf, zeros")
            << QList<qint64>{4, 8, 8} << shared << int(Colormap::Diverging) << 0ll << 1ll
            << "nonfinite";
        QTest::newRow("large") << QList<qint64>{512, 28, 28} << per << int(Colormap::Viridis) << 0ll
                               << 1ll << "";
    }
    // Pixels must be equal: same float32 operations in the same order.
    void matchesLibTorch()
    {
        QFETCH(QList<qint64>, shape);
        QFETCH(int, normalization);
        QFETCH(int, colormap);
        QFETCH(qint64, columns);
        QFETCH(qint64, padding);
        QFETCH(QString, special);
        torch::manual_seed(shape.size() + shape[0]);
        std::vector<std::int64_t> sizes(shape.begin(), shape.end());
        auto maps = torch::randn(sizes) * 4.0;
        if (special == "constant")
            maps[1].fill_(3.0);
        if (special == "nonfinite") {
            maps[0][1][1] = std::numeric_limits<float>::quiet_NaN();
            maps[2][0][3] = std::numeric_limits<float>::infinity();
            maps[2][5][5] = -std::numeric_limits<float>::infinity();
        }
        if (special == "permuted")
            maps = torch::randn({sizes[1], sizes[2], sizes[0]}).permute({2, 0, 1});
        FeatureMapGridOptions o;
        o.normalization = MapNormalization(normalization);
        o.colormap = Colormap(colormap);
        o.columns = columns;
        o.padding = padding;
        o.background = {10, 20, 30, 255};
        const auto got = featureMapGridCpu(maps, o);
        QVERIFY2(got.has_value(), got ? "" : got.error().message.c_str());
        const auto maps3 = maps.dim() == 4 ? maps[0] : maps;
        const std::int64_t c = maps3.size(0);
        const std::int64_t expectedColumns
            = columns > 0 ? columns : std::int64_t(std::ceil(std::sqrt(double(c))));
        QCOMPARE(got->columns, expectedColumns);
        QCOMPARE(got->rows, (c + expectedColumns - 1) / expectedColumns);
        QVERIFY(got->rgba.is_contiguous());
        QVERIFY(torch::equal(got->rgba, referenceGrid(maps3, o, expectedColumns)));
    }

    void colormapsLookRight()
    {
        const auto &viridis = colormapTable(Colormap::Viridis);
        // matplotlib's viridis starts dark purple (68, 1, 84) and ends yellow (253, 231, 37).
        QVERIFY(std::abs(viridis[0][0] - 68) <= 3 && std::abs(viridis[0][2] - 84) <= 3);
        QVERIFY(std::abs(viridis[255][0] - 253) <= 3 && std::abs(viridis[255][1] - 231) <= 3);
        const auto &gray = colormapTable(Colormap::Gray);
        QCOMPARE(int(gray[128][0]), 128);
        QCOMPARE(int(gray[255][3]), 255);
    }

    // The diverging map: symmetric range, so 0 is white, -m full blue and +m full red.
    void divergingPixels()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        // Channel 0: m = 2 (from -2); channel 1: all zero, range [-1, 1]; channel 2: constant 3,
        // range [-3, 3]; channel 3: only non-finite values, range [-1, 1].
        const auto maps = torch::tensor({-2.0f, -1.0f, 0.0f, 1.0f, 1.5f, nan,  0.0f, 0.0f,
                                         0.0f,  0.0f,  0.0f, 0.0f, 3.0f, 3.0f, 3.0f, 3.0f,
                                         3.0f,  3.0f,  inf,  -inf, nan,  inf,  -inf, nan})
                              .view({4, 1, 6});
        FeatureMapGridOptions o;
        o.colormap = Colormap::Diverging;
        o.columns = 1;
        o.padding = 0;
        o.background = {1, 2, 3, 4};
        const auto got = featureMapGridCpu(maps, o);
        QVERIFY(got.has_value());
        const auto image = got->rgba.view({4, 6, 4});
        const auto pixel = [&](int row, int x) {
            const auto p = image[row][x];
            return QList<int>{p[0].item<int>(), p[1].item<int>(), p[2].item<int>(),
                              p[3].item<int>()};
        };
        const QList<int> white{255, 255, 255, 255}, blue{59, 76, 192, 255}, red{180, 4, 38, 255};
        const auto entry = [](int i) {
            const auto &e = colormapTable(Colormap::Diverging)[std::size_t(i)];
            return QList<int>{e[0], e[1], e[2], e[3]};
        };
        // t = (v + 2) * 255 / 4: -2 -> 0, -1 -> 63.75 -> 64, 0 -> 127.5 -> 128, 1 -> 191.25 ->
        // 191, 1.5 -> 223.125 -> 223.
        QCOMPARE(pixel(0, 0), blue);
        QCOMPARE(pixel(0, 1), entry(64));
        QCOMPARE(pixel(0, 2), white);
        QCOMPARE(pixel(0, 3), entry(191));
        QCOMPARE(pixel(0, 4), entry(223));
        QCOMPARE(pixel(0, 5), (QList<int>{1, 2, 3, 4}));
        for (int x = 0; x < 6; ++x) {
            QCOMPARE(pixel(1, x), white);
            QCOMPARE(pixel(2, x), red);
        }
        QCOMPARE(pixel(3, 0), red);
        QCOMPARE(pixel(3, 1), blue);
        QCOMPARE(pixel(3, 2), (QList<int>{1, 2, 3, 4}));
        // -1 and +1 are mirror entries: bluish and reddish, as light as each other.
        QVERIFY(entry(64)[2] > entry(64)[0] && entry(191)[0] > entry(191)[2]);
        QVERIFY(std::abs((entry(64)[0] + entry(64)[1] + entry(64)[2])
                         - (entry(191)[0] + entry(191)[1] + entry(191)[2]))
                < 60);
    }

    void divergingTableIsBlueWhiteRed()
    {
        const auto &table = colormapTable(Colormap::Diverging);
        for (int i = 1; i < 128; ++i) { // lighter towards the centre on both sides
            const auto sum = [&](int k) {
                const auto &e = table[std::size_t(k)];
                return e[0] + e[1] + e[2];
            };
            QVERIFY2(sum(i) >= sum(i - 1) - 2, qPrintable(QString::number(i)));
            QVERIFY2(sum(255 - i) >= sum(256 - i) - 2, qPrintable(QString::number(i)));
            QVERIFY(table[std::size_t(i)][2] >= table[std::size_t(i)][0]);
            QVERIFY(table[std::size_t(255 - i)][0] >= table[std::size_t(255 - i)][2]);
        }
        QCOMPARE(int(table[127][1]), 255);
        QCOMPARE(int(table[128][1]), 255);
    }

    void emptyAndBadInput()
    {
        const auto empty = featureMapGridCpu(torch::zeros({0, 5, 5}));
        QVERIFY(empty.has_value());
        QCOMPARE(empty->rgba.numel(), std::int64_t(0));
        QVERIFY(!featureMapGridCpu(torch::zeros({5, 5})));
        QVERIFY(!featureMapGridCpu(torch::zeros({2, 3, 5, 5})));
        QVERIFY(!featureMapGridCpu(torch::zeros({3, 5, 5}, torch::kLong)));
        FeatureMapGridOptions o;
        o.padding = -1;
        QCOMPARE(featureMapGridCpu(torch::zeros({3, 5, 5}), o).error().code,
                 ErrorCode::InvalidArgument);
        QVERIFY(featureMapGrid(torch::zeros({3, 5, 5})).has_value());
    }
};

LATHE_TEST_GUILESS_MAIN(TestFeatureMapGrid)
#include "tst_feature_map_grid.moc"
