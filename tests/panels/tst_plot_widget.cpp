// PlotWidget (level of detail, zoom, pan, log-y) and the EMA and tick helpers it is used with.
#include "panels/common/ema.h"
#include "panels/common/plot_axis.h"
#include "panels/common/plot_widget.h"
#include "tests/test_registry.h"

#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <tuple>

using lathe::panels::PlotMarker;
using lathe::panels::PlotSeries;
using lathe::panels::PlotWidget;
using lathe::track::SeriesPoint;

namespace {

std::vector<SeriesPoint> noisySeries(int n)
{
    std::vector<SeriesPoint> points(n);
    for (int i = 0; i < n; ++i)
        points[i] = {double(i), std::exp(-i / 20000.0) + 0.1 * std::sin(i * 0.7)};
    return points;
}

PlotSeries series(std::vector<SeriesPoint> points, QColor color = Qt::blue)
{
    return PlotSeries{QStringLiteral("s"), color, std::move(points), false, false};
}

std::size_t countInRange(const std::vector<SeriesPoint> &points, double lo, double hi)
{
    return std::size_t(std::count_if(points.begin(), points.end(),
                                     [&](const auto &p) { return p.x >= lo && p.x <= hi; }));
}

// Where the point (x, y) of `plot`'s last paint lies, in widget coordinates (linear axes).
QPointF pixelOf(const PlotWidget &plot, double x, double y)
{
    const QRectF r = plot.plotRect();
    const auto [x0, x1] = plot.xRange();
    const auto [y0, y1] = plot.yRange();
    return {r.left() + (x - x0) / (x1 - x0) * r.width(),
            r.bottom() - (y - y0) / (y1 - y0) * r.height()};
}

// True when `pixel` is nearer to `want` than to white (the plot area's background): a line of
// that colour is drawn there, antialiased or not.
bool near(QColor pixel, QColor want)
{
    const auto distance = [&](QColor c) {
        return std::abs(pixel.red() - c.red()) + std::abs(pixel.green() - c.green())
               + std::abs(pixel.blue() - c.blue());
    };
    return distance(want) < distance(Qt::white);
}

void sendWheel(QWidget *w, QPoint at, int delta)
{
    QWheelEvent event(at, w->mapToGlobal(at), QPoint(), QPoint(0, delta), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &event);
}

} // namespace

class TestPlotWidget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void zoomedOutDrawsAboutTwoPointsPerColumn()
    {
        PlotWidget plot;
        plot.resize(800, 400);
        plot.setSeries({series(noisySeries(100000)), series(noisySeries(50000), Qt::red)});
        plot.grab();
        const auto columns = std::size_t(plot.plotRect().width());
        QVERIFY(plot.drawnPoints() > columns);
        QVERIFY2(plot.drawnPoints() <= 2 * 2 * columns,
                 qPrintable(QString::number(plot.drawnPoints())));
        const auto [lo, hi] = plot.xRange();
        QCOMPARE(lo, 0.0);
        QCOMPARE(hi, 99999.0);
    }

    void zoomedInDrawsEveryStoredPoint()
    {
        PlotWidget plot;
        plot.resize(800, 400);
        auto points = noisySeries(100000);
        plot.setSeries({series(points)});
        plot.setXRange(5000.5, 5600.5);
        plot.grab();
        QCOMPARE(plot.drawnPoints(), countInRange(points, 5000.5, 5600.5));
        QCOMPARE(plot.drawnPoints(), std::size_t(600));
        QVERIFY(plot.isZoomed());
        // The y axis fits what is visible, not the whole series.
        const auto [y0, y1] = plot.yRange();
        QVERIFY(y1 - y0 < 0.5);
    }

    void wheelZoomsAroundTheCursor()
    {
        PlotWidget plot;
        plot.resize(800, 400);
        plot.setSeries({series(noisySeries(10000))});
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QSignalSpy changed(&plot, &PlotWidget::viewChanged);
        const QRect area = plot.plotRect();
        const QPoint at(area.left() + area.width() / 4, area.center().y());
        const auto [lo0, hi0] = plot.xRange();
        const double anchor = lo0 + (hi0 - lo0) * (at.x() - area.left()) / area.width();
        sendWheel(&plot, at, 120 * 3);
        const auto [lo1, hi1] = plot.xRange();
        QVERIFY(hi1 - lo1 < 0.6 * (hi0 - lo0));
        QCOMPARE(changed.count(), 1);
        const double anchorAfter = lo1 + (hi1 - lo1) * (at.x() - area.left()) / area.width();
        QVERIFY(std::abs(anchorAfter - anchor) < 1e-6 * (hi0 - lo0));
        sendWheel(&plot, at, -120 * 3);
        const auto [lo2, hi2] = plot.xRange();
        QVERIFY(std::abs((hi2 - lo2) - (hi0 - lo0)) < 1e-6 * (hi0 - lo0));
    }

    void dragPansAndDoubleClickResets()
    {
        PlotWidget plot;
        plot.resize(800, 400);
        plot.setSeries({series(noisySeries(10000))});
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setXRange(2000, 4000);
        const QPoint start = plot.plotRect().center();
        QTest::mousePress(&plot, Qt::LeftButton, Qt::NoModifier, start);
        QTest::mouseMove(&plot, start + QPoint(-plot.plotRect().width() / 2, 0));
        QTest::mouseRelease(&plot, Qt::LeftButton, Qt::NoModifier,
                            start + QPoint(-plot.plotRect().width() / 2, 0));
        const auto [lo, hi] = plot.xRange();
        QVERIFY2(std::abs(lo - 3000) < 20 && std::abs(hi - 5000) < 20,
                 qPrintable(QStringLiteral("%1 %2").arg(lo).arg(hi)));
        QTest::mouseDClick(&plot, Qt::LeftButton, Qt::NoModifier, start);
        QVERIFY(!plot.isZoomed());
        QCOMPARE(plot.xRange().second, 9999.0);
    }

    void rightDragSelectsARangeToZoom()
    {
        PlotWidget plot;
        plot.resize(800, 400);
        plot.setSeries({series(noisySeries(10000))});
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        const QRect area = plot.plotRect();
        const QPoint a(area.left() + area.width() / 2, area.center().y());
        const QPoint b(area.right(), area.center().y());
        QTest::mousePress(&plot, Qt::RightButton, Qt::NoModifier, a);
        QTest::mouseMove(&plot, b);
        QTest::mouseRelease(&plot, Qt::RightButton, Qt::NoModifier, b);
        const auto [lo, hi] = plot.xRange();
        QVERIFY2(std::abs(lo - 5000) < 30 && hi > 9900,
                 qPrintable(QStringLiteral("%1 %2").arg(lo).arg(hi)));
    }

    void logYSkipsNonPositiveValues()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        std::vector<SeriesPoint> points{{0, 1}, {1, 0}, {2, -3}, {3, NAN}, {4, 0.01}, {5, 100}};
        plot.setSeries({series(points)});
        plot.setMarkers({PlotMarker{2.5, QStringLiteral("steered"), Qt::darkGreen}});
        plot.setLogY(true);
        const QImage image = plot.grab().toImage();
        QVERIFY(!image.isNull());
        QCOMPARE(plot.drawnPoints(), std::size_t(3));
        const auto [y0, y1] = plot.yRange();
        QVERIFY(y0 > 0 && y0 < 0.01 && y1 > 100);
        plot.setSeries({series({{0, 0}, {1, -1}})}); // nothing drawable at all
        plot.grab();
        QCOMPARE(plot.drawnPoints(), std::size_t(0));
    }

    void hoverReadOutDrawsOverThePlot()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        plot.setSeries({series(noisySeries(1000))});
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        const QImage before = plot.grab().toImage();
        // A click outside the plot area first: QTest otherwise still holds the button of an
        // earlier test's double-click, and the move goes to that test's (deleted) window.
        QTest::mouseClick(&plot, Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QVERIFY(!plot.isZoomed());
        QTest::mouseMove(&plot, plot.plotRect().center());
        QTRY_VERIFY(plot.grab().toImage() != before);
    }

    // A band is shaded under its line, fitted into the y range, still covers the width when
    // zoomed in between two of its points, and its hover read-out is the series' own text.
    void aBandIsShadedFittedAndDescribed()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        plot.setLegendVisible(false);
        PlotSeries mean = series({});
        for (int i = 0; i < 10000; ++i) {
            mean.points.push_back({double(i), 1.0});
            mean.band.emplace_back(i < 5000 ? 0.5 : 0.9, i < 5000 ? 1.5 : 1.1);
        }
        mean.describe = [](std::size_t i) { return QStringLiteral("point %1").arg(i); };
        plot.setSeries({mean});
        QImage image = plot.grab().toImage();
        QVERIFY(plot.yRange().first < 0.5 && plot.yRange().second > 1.5);
        const auto shaded = [&](double x, double y) {
            const QPointF at = pixelOf(plot, x, y);
            return image.pixelColor(int(at.x()), int(at.y())) != QColor(Qt::white);
        };
        QVERIFY(shaded(2000, 1.3));
        QVERIFY(!shaded(7000, 1.3)); // the narrower part
        QVERIFY(shaded(7000, 1.05));

        plot.setXRange(2000.2, 2000.8); // no point inside the view
        image = plot.grab().toImage();
        QVERIFY(shaded(2000.25, 1.3));
        QVERIFY(shaded(2000.75, 0.7));

        plot.resetView();
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QTest::mouseClick(&plot, Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QTest::mouseMove(&plot, pixelOf(plot, 3000, 1.0).toPoint());
        QTRY_VERIFY((plot.grab(), plot.hoverText().size() == 2));
        // The point nearest the cursor, a pixel column holding ~20 of them.
        const QString line = plot.hoverText()[1];
        QVERIFY2(line.startsWith(QStringLiteral("s: point "))
                     && std::abs(line.mid(9).toInt() - 3000) < 40,
                 qPrintable(line));
    }

    void emptyPlotShowsItsHint()
    {
        PlotWidget plot;
        plot.resize(400, 200);
        plot.setEmptyText(QStringLiteral("Start a run"));
        const QImage blank = plot.grab().toImage();
        plot.setEmptyText(QString());
        QVERIFY(plot.grab().toImage() != blank); // the hint text was drawn
        QCOMPARE(plot.drawnPoints(), std::size_t(0));
    }

    // Rising curves end in the top right corner, where the legend used to be.
    void theLegendLeavesTheLineEndsVisible()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        std::vector<SeriesPoint> fast, slow;
        for (int i = 0; i <= 100; ++i) {
            fast.push_back({double(i), 1 - std::exp(-i / 10.0)});
            slow.push_back({double(i), 0.9 * (1 - std::exp(-i / 30.0))});
        }
        std::vector<PlotSeries> lines{{QStringLiteral("a long run name · train"), Qt::red, fast},
                                      {QStringLiteral("another run · train"), Qt::blue, slow}};
        plot.setSeries(lines);
        const QImage image = plot.grab().toImage();
        const QRectF legend = plot.legendRect();
        QVERIFY(!legend.isEmpty());
        QVERIFY(QRectF(plot.plotRect()).contains(legend));
        for (const auto &line : lines) {
            for (const auto &end : {line.points.front(), line.points.back()}) {
                const QPointF at = pixelOf(plot, end.x, end.y);
                QVERIFY2(!legend.adjusted(-2, -2, 2, 2).contains(at),
                         qPrintable(QStringLiteral("line end at %1,%2 under the legend")
                                        .arg(at.x())
                                        .arg(at.y())));
            }
            // The last point is drawn in its colour, not washed out by the legend's box.
            const QPointF last = pixelOf(plot, line.points.back().x, line.points.back().y);
            const QPoint probe(int(last.x()) - 3, int(last.y()));
            bool seen = false;
            for (int dy = -1; dy <= 1 && !seen; ++dy)
                seen = near(image.pixelColor(probe + QPoint(0, dy)), line.color);
            QVERIFY2(seen, qPrintable(line.name));
        }
        // A falling curve leaves the top right free: the legend stays there.
        std::vector<SeriesPoint> falling;
        for (int i = 0; i <= 100; ++i)
            falling.push_back({double(i), std::exp(-i / 10.0)});
        plot.setSeries({{QStringLiteral("loss"), Qt::red, falling}});
        plot.grab();
        QCOMPARE(plot.legendRect().right(), plot.plotRect().right() - 6.0 + 1);
        QVERIFY(plot.legendRect().top() < plot.plotRect().center().y());
    }

    // A short series (a validation curve of a few epochs) gets a marker on every point.
    void fewPointsAreDrawnWithMarkers()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        const std::vector<SeriesPoint> val{{10, 0.5}, {20, 0.5}, {30, 0.5}};
        plot.setSeries({{QStringLiteral("val"), Qt::red, val, true},
                        {QStringLiteral("train"), Qt::blue, noisySeries(1000)}});
        plot.setLegendVisible(false);
        const QImage image = plot.grab().toImage();
        QCOMPARE(plot.markedPoints(), std::size_t(3));
        // Above and below a point of the flat dashed line (a line covers one of the two rows
        // at most): the marker.
        const QPointF at = pixelOf(plot, 20, 0.5);
        QVERIFY(near(image.pixelColor(int(at.x()), int(std::floor(at.y())) - 1), Qt::red));
        QVERIFY(near(image.pixelColor(int(at.x()), int(std::ceil(at.y())) + 1), Qt::red));

        // Zoomed in, a long series has few visible points: they are marked too.
        plot.setSeries({{QStringLiteral("train"), Qt::blue, noisySeries(1000)}});
        plot.grab();
        QCOMPARE(plot.markedPoints(), std::size_t(0));
        plot.setXRange(100, 109);
        plot.grab();
        QCOMPARE(plot.markedPoints(), std::size_t(10));
    }

    // Only short series (Compare's validation curves of runs stopped early): the fitted view
    // leaves room around the first and last points, so their markers are not cut in half.
    void shortSeriesAloneKeepTheirEndMarkersInside()
    {
        PlotWidget plot;
        plot.resize(600, 300);
        plot.setLegendVisible(false);
        plot.setSeries({{QStringLiteral("a"), Qt::red, {{446, 0.86}, {892, 0.89}}},
                        {QStringLiteral("b"), Qt::blue, {{446, 0.86}}}});
        const QImage image = plot.grab().toImage();
        const QRectF area = plot.plotRect();
        // b's marker is drawn over a's at step 446; a's alone at step 892.
        for (const auto &[x, y, colour] : {std::tuple{446.0, 0.86, QColor(Qt::blue)},
                                           std::tuple{892.0, 0.89, QColor(Qt::red)}}) {
            const QPointF at = pixelOf(plot, x, y);
            QVERIFY2(at.x() - 2 > area.left() && at.x() + 2 < area.right(),
                     qPrintable(QStringLiteral("point at x=%1 px, plot %2..%3")
                                    .arg(at.x())
                                    .arg(area.left())
                                    .arg(area.right())));
            // Left of the leftmost point and right of the rightmost: the marker's colour.
            const int side = x == 446.0 ? -1 : 1;
            QVERIFY(near(image.pixelColor(int(at.x()) + side, int(at.y())), colour));
        }
        // A long series keeps the exact data range (the x axis starts at its first step).
        plot.setSeries({{QStringLiteral("train"), Qt::blue, noisySeries(1000)}});
        plot.grab();
        QCOMPARE(plot.xRange().first, noisySeries(1000).front().x);
    }

    void emaOfAConstantIsThatConstant()
    {
        std::vector<SeriesPoint> points(50);
        for (int i = 0; i < 50; ++i)
            points[i] = {double(i), 0.37};
        for (double w : {0.0, 0.5, 0.9, 0.99}) {
            for (const auto &p : lathe::panels::smoothEma(points, w))
                QVERIFY(std::abs(p.y - 0.37) < 1e-12);
        }
    }

    void emaMatchesHandComputedValues()
    {
        const std::vector<SeriesPoint> points{{0, 1}, {1, 2}, {2, NAN}, {3, 3}};
        const auto out = lathe::panels::smoothEma(points, 0.5);
        QCOMPARE(out.size(), std::size_t(4));
        // ema = 0.5, 1.25, -, 2.125; debiased by 1 - 0.5^t.
        QCOMPARE(out[0].y, 1.0);
        QVERIFY(std::abs(out[1].y - 1.25 / 0.75) < 1e-12);
        QVERIFY(std::isnan(out[2].y));
        QVERIFY(std::abs(out[3].y - 2.125 / 0.875) < 1e-12);
        QCOMPARE(out[3].x, 3.0);
        // Smoothing appended rows continues where the last call stopped.
        lathe::panels::EmaState state;
        std::vector<SeriesPoint> incremental;
        lathe::panels::appendEma(std::span(points).first(2), 0.5, state, incremental);
        lathe::panels::appendEma(std::span(points).subspan(2), 0.5, state, incremental);
        QCOMPARE(incremental.size(), out.size());
        QCOMPARE(incremental[3].y, out[3].y);
    }

    void emaOfALongSeriesLeavesNoSubnormals()
    {
        // weight^t would sink to the smallest subnormal and stay there (0.6 * 4.9e-324 rounds
        // back up), making every later step ~20x slower: the bias term must end at exactly 0.
        std::vector<SeriesPoint> points(5000);
        for (int i = 0; i < 5000; ++i)
            points[i] = {double(i), std::sin(i * 0.01)};
        for (double w : {0.6, 0.9, 0.99}) {
            lathe::panels::EmaState state;
            std::vector<SeriesPoint> out;
            lathe::panels::appendEma(points, w, state, out);
            QCOMPARE(state.decayed, 0.0);
            // Same values as the textbook formula, which divides by 1 - w^t.
            double ema = 0;
            for (int i = 0; i < 5000; ++i) {
                ema = w * ema + (1 - w) * points[i].y;
                const double expected = ema / (1 - std::pow(w, i + 1));
                QVERIFY2(std::abs(out[i].y - expected) <= 1e-12 * (1 + std::abs(expected)),
                         qPrintable(QString("w %1, point %2").arg(w).arg(i)));
            }
        }
    }

    void ticksAreNice()
    {
        const auto ticks = lathe::panels::niceTicks(0.03, 0.97, 5);
        QCOMPARE(ticks.size(), std::size_t(4));
        QVERIFY(std::abs(ticks[0] - 0.2) < 1e-12 && std::abs(ticks[3] - 0.8) < 1e-12);
        const auto logs = lathe::panels::logTicks(-4.2, 0.1, 6);
        QCOMPARE(logs, (std::vector<double>{-4, -3, -2, -1, 0}));
        QCOMPARE(lathe::panels::formatTick(0.5, 0.1), QStringLiteral("0.5"));
        QCOMPARE(lathe::panels::formatTick(25000, 5000), QStringLiteral("25k"));
    }
};

LATHE_TEST_MAIN(TestPlotWidget)
#include "tst_plot_widget.moc"
