// The Visualise panel's heatmaps are inspect::heatmapRgba's bytes (the colouring lathe-cli
// inspect writes too: tests/app/tst_cli.cpp checks its PNG), for every colour map it offers.
#include "core/inspect/colormap.h"
#include "panels/bridge/inspect_jobs.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

#include <cstring>

using namespace lathe;
using panels::InspectColormap;

class TestInspectRender : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void heatmapImageIsTheSharedColouring_data()
    {
        QTest::addColumn<int>("colormap");
        QTest::addColumn<int>("kernelColormap");
        QTest::newRow("viridis") << int(InspectColormap::Viridis)
                                 << int(kernels::Colormap::Viridis);
        QTest::newRow("magma") << int(InspectColormap::Magma) << int(kernels::Colormap::Magma);
        QTest::newRow("gray") << int(InspectColormap::Gray) << int(kernels::Colormap::Gray);
        QTest::newRow("diverging")
            << int(InspectColormap::Diverging) << int(kernels::Colormap::Diverging);
    }
    void heatmapImageIsTheSharedColouring()
    {
        QFETCH(int, colormap);
        QFETCH(int, kernelColormap);
        torch::manual_seed(3);
        // A signed map with a NaN: the symmetric range and the NaN colour are covered too.
        auto map = torch::randn({9, 13});
        map[4][6] = NAN;
        double low = 0, high = 0;
        const QImage image
            = panels::inspect_jobs::heatmapImage(map, InspectColormap(colormap), &low, &high);
        const auto expected = inspect::heatmapRgba(map, kernels::Colormap(kernelColormap));
        QVERIFY(expected.has_value());
        QCOMPARE(low, expected->low);
        QCOMPARE(high, expected->high);
        QCOMPARE(image.format(), QImage::Format_RGBA8888);
        QCOMPARE(image.size(), QSize(13, 9));
        for (int y = 0; y < image.height(); ++y)
            QVERIFY(std::memcmp(image.constScanLine(y),
                                expected->rgba.data_ptr<std::uint8_t>() + 4 * 13 * y, 4 * 13)
                    == 0);
    }
};

LATHE_TEST_MAIN(TestInspectRender)
#include "tst_inspect_render.moc"
