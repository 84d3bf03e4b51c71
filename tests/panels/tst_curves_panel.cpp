// The live-curves panel against a real store: runs appear, grow live (also when lathe-cli
// writes them), steering events become markers, and the controls change what is drawn.
#include "core/stats/curves.h"
#include "core/track/run_store.h"
#include "panels/bridge/store_client.h"
#include "panels/common/run_colour.h"
#include "panels/curves/curves_panel.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"

#include <QCheckBox>
#include <QAbstractItemView>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using namespace lathe;
using lathe::panels::CurvesPanel;
using lathe::panels::PlotWidget;
using lathe::panels::StoreClient;
using lathe::testing::saveGrab;

namespace {

std::size_t pointCount(const PlotWidget *chart, bool dashed = false)
{
    std::size_t n = 0;
    for (const auto &s : chart->series())
        if (!s.faint && s.dashed == dashed)
            n += s.points.size();
    return n;
}

// The series of `chart` that have a band, by name.
std::map<QString, const lathe::panels::PlotSeries *> bands(const PlotWidget *chart)
{
    std::map<QString, const lathe::panels::PlotSeries *> out;
    for (const auto &s : chart->series())
        if (!s.band.empty())
            out[s.name] = &s;
    return out;
}

// True when `drawn` (a centre line and its band) is `expected`, point by point.
bool sameBand(const lathe::panels::PlotSeries &drawn, const std::vector<stats::BandPoint> &expected)
{
    if (drawn.points.size() != expected.size() || drawn.band.size() != expected.size())
        return false;
    const auto close
        = [](double a, double b) { return std::abs(a - b) <= 1e-12 * (1 + std::abs(b)); };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto &e = expected[i];
        if (!close(drawn.points[i].x, e.x) || !close(drawn.points[i].y, e.centre)
            || !close(drawn.band[i].first, e.low) || !close(drawn.band[i].second, e.high))
            return false;
    }
    return true;
}

// Opens the picker's popup with the keyboard and walks down to `key`, then Enter: picked.
void pickMetric(QComboBox *picker, const QString &key)
{
    const int target = picker->findData(key);
    QVERIFY2(target > 0, qPrintable(key));
    picker->setFocus();
    QTest::keyClick(picker, Qt::Key_Space);
    QTRY_VERIFY(picker->view()->isVisible());
    QAbstractItemView *view = picker->view();
    for (int i = 0; i < picker->count() && view->currentIndex().row() != target; ++i)
        QTest::keyClick(view, Qt::Key_Down);
    QCOMPARE(view->currentIndex().row(), target);
    QTest::keyClick(view, Qt::Key_Return);
    QTRY_VERIFY(!picker->view()->isVisible());
}

} // namespace

class TestCurvesPanel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::unique_ptr<StoreClient> m_client; // the panel's door to the store, as a window has

    std::int64_t createRun(const char *name)
    {
        auto id = m_store->createRun({name, "{}", 1, {}, {}});
        if (!id)
            qFatal("createRun: %s", id.error().toString().c_str());
        return *id;
    }

    // Train loss/accuracy/lr rows for steps [from, to), 100 steps an epoch.
    void addSteps(std::int64_t run, int from, int to, double offset = 0)
    {
        std::vector<track::MetricPoint> points;
        for (int s = from; s < to; ++s) {
            const double epoch = s / 100.0;
            const double wall = 1.7e9 + s * 0.5;
            points.push_back({run, "train/loss", s, epoch, wall,
                              2.0 / (1 + s * 0.01) + offset + 0.2 * std::sin(s)});
            points.push_back({run, "train/accuracy", s, epoch, wall, 1 - 1.0 / (1 + s * 0.01)});
            points.push_back({run, "lr", s, epoch, wall, 1e-3});
        }
        QVERIFY(m_store->addMetrics(points));
    }

    // `n` rows of `key` a validation epoch apart (100 steps), from epoch `from` on.
    void addEpochRows(std::int64_t run, const char *key, int from, int n)
    {
        std::vector<track::MetricPoint> points;
        for (int e = from; e < from + n; ++e)
            points.push_back({run, key, e * 100, double(e), 1.7e9 + e * 50, 0.3 / (1 + e)});
        QVERIFY(m_store->addMetrics(points));
    }

    // A noisy falling loss, a wobble of its own (`phase`), and an accuracy rising with it.
    static double lossAt(int step, double offset, int phase)
    {
        return (2.0 + offset) / (1 + step * 0.01) + 0.08 * std::sin(step * 0.05 + phase);
    }

    void addLoss(std::int64_t run, int steps, double offset, int phase)
    {
        std::vector<track::MetricPoint> points;
        for (int s = 0; s < steps; ++s) {
            const double loss = lossAt(s, offset, phase);
            points.push_back({run, "train/loss", s, s / 100.0, 1.7e9 + s, loss});
            points.push_back({run, "train/accuracy", s, s / 100.0, 1.7e9 + s, 1 / (1 + loss)});
        }
        QVERIFY(m_store->addMetrics(points));
    }

    // A run of repeat group `group` (tagged repeat:<group>) whose config has optimizer.lr.
    std::int64_t createRepeat(const char *name, const char *group, double lr)
    {
        const std::string config = "{\"optimizer\": {\"lr\": " + std::to_string(lr) + "}}";
        auto id = m_store->createRun({name, config, 1, {}, {}});
        if (!id || !m_store->addTag(*id, std::string("repeat:") + group))
            qFatal("createRepeat %s", name);
        return *id;
    }

    // stats::aggregateCurves of the stored train/loss of `runs` by step: what a band must show.
    std::vector<stats::BandPoint> expectedBand(const std::vector<std::int64_t> &runs,
                                               stats::Band band)
    {
        std::vector<std::vector<stats::CurvePoint>> series;
        for (const auto run : runs) {
            const auto stored = m_store->seriesXY(run, "train/loss");
            auto &points = series.emplace_back();
            for (const auto &p : stored.value())
                points.push_back({p.x, p.y});
        }
        return stats::aggregateCurves(series, {.centre = stats::Centre::Mean, .band = band});
    }

    std::unique_ptr<CurvesPanel> openPanel()
    {
        auto panel = std::make_unique<CurvesPanel>(*m_client);
        panel->resize(1000, 700);
        panel->show();
        return panel;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString())
               / (QTest::currentTestFunction() + std::string(".db"));
        auto store = track::RunStore::open(m_db);
        QVERIFY(store);
        m_store = std::move(*store);
        m_client = std::make_unique<StoreClient>(m_db);
    }

    void cleanup()
    {
        m_client.reset();
        m_store.reset();
    }

    void emptyPanelSaysWhatToDo()
    {
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        QVERIFY(panel->chart(CurvesPanel::LossChart)->series().empty());
        QCOMPARE(panel->chart(CurvesPanel::LossChart)->drawnPoints(), std::size_t(0));
        QVERIFY(panel->findChild<QLabel *>("legend")->text().contains("No runs"));
    }

    void aPickedRunShowsAndGrowsLive()
    {
        const auto run = createRun("grower");
        addSteps(run, 0, 200);
        auto panel = openPanel();
        panel->setSelection({.selected = {run}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(200));
        QCOMPARE(loss->series().front().name, QStringLiteral("grower · train"));
        QCOMPARE(pointCount(panel->chart(CurvesPanel::LrChart)), std::size_t(200));
        QVERIFY(panel->findChild<QLabel *>("legend")->text().contains("grower"));

        addSteps(run, 200, 350); // as a training thread or another process would
        QTRY_COMPARE(pointCount(loss), std::size_t(350));
        QCOMPARE(loss->series().front().points.back().x, 349.0);
        QCOMPARE(loss->xRange().second, 349.0); // the unzoomed view follows the data

        // Validation rows arrive once an epoch, drawn dashed.
        QVERIFY(m_store->addMetrics(
            std::vector<track::MetricPoint>{{run, "val/loss", 100, 1, 1.7e9 + 50, 1.4},
                                            {run, "val/loss", 200, 2, 1.7e9 + 100, 1.1}}));
        QTRY_COMPARE(pointCount(loss, true), std::size_t(2));
    }

    // Picked runs are shown alone, not squeezed beside the active run, and the view fits them.
    void theOverlayShowsExactlyThePickedRuns()
    {
        const auto shortRun = createRun("short");
        const auto longer = createRun("longer");
        const auto active = createRun("active");
        addSteps(shortRun, 0, 30);
        addSteps(longer, 0, 50);
        addSteps(active, 0, 1000);
        auto panel = openPanel();
        panel->setSelection({.active = active});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(1000));
        loss->setXRange(500, 900); // looking at the active run's middle
        QVERIFY(loss->isZoomed());

        panel->setSelection({.active = active, .selected = {shortRun, longer}});
        QCOMPARE(panel->shownRuns(), (QList<qint64>{shortRun, longer}));
        QTRY_COMPARE(pointCount(loss), std::size_t(80));
        for (const auto &series : loss->series())
            QVERIFY2(!series.name.startsWith(QStringLiteral("active")), qPrintable(series.name));
        QVERIFY(!loss->isZoomed());
        QCOMPARE(loss->xRange().first, 0.0);
        QCOMPARE(loss->xRange().second, 49.0);
        QCOMPARE(panel->chart(CurvesPanel::AccuracyChart)->xRange().second, 49.0);
        QVERIFY(!panel->findChild<QLabel *>("legend")->text().contains("active"));

        // The active run, when it is picked, is shown like any picked run.
        panel->setSelection({.active = active, .selected = {shortRun, active}});
        QTRY_COMPARE(pointCount(loss), std::size_t(1030));
        // Nothing picked: the active run.
        panel->setSelection({.active = active});
        QCOMPARE(panel->shownRuns(), QList<qint64>{active});
        QTRY_COMPARE(pointCount(loss), std::size_t(1000));

        // A run started while others are picked is followed live, until the next pick.
        panel->setSelection({.active = 0, .selected = {shortRun, longer}});
        QCOMPARE(panel->shownRuns(), (QList<qint64>{shortRun, longer}));
        panel->setSelection({.active = active, .selected = {shortRun, longer}});
        QCOMPARE(panel->shownRuns(), QList<qint64>{active});
        panel->setSelection({.active = active, .selected = {longer}});
        QCOMPARE(panel->shownRuns(), QList<qint64>{longer});
    }

    // No throughput is measured during a pause: its curve has a gap there, on every x axis,
    // also when the pause event is read after the samples around it.
    void aPauseIsAGapInTheThroughput()
    {
        const auto run = createRun("paused-run");
        std::vector<track::MetricPoint> points;
        for (int s = 20; s <= 120; s += 20) // paused for 300 s after step 60
            points.push_back({run, "train/samples_per_sec", s, s / 100.0,
                              1.7e9 + s * 0.5 + (s > 60 ? 300 : 0), 2000.0 + s});
        QVERIFY(m_store->addMetrics(points));
        auto panel = openPanel();
        panel->setSelection({.selected = {run}});
        PlotWidget *speed = panel->chart(CurvesPanel::SpeedChart);
        QTRY_COMPARE(pointCount(speed), std::size_t(6));

        QVERIFY(m_store->addEvent({0, run, "paused", 60, 1.7e9 + 31, "{}"}));
        QVERIFY(m_store->addEvent({0, run, "resumed", 60, 1.7e9 + 330, "{}"}));
        QTRY_COMPARE(pointCount(speed), std::size_t(7));
        const auto gapAt = [&](double before, double after) {
            const auto &p = speed->series().front().points;
            QCOMPARE(p.size(), std::size_t(7));
            QCOMPARE(p[2].x, before);
            QVERIFY(std::isnan(p[3].y));
            QCOMPARE(p[4].x, after);
            for (std::size_t i = 0; i < p.size(); ++i)
                QVERIFY(i == 3 || p[i].y > 2000); // every drawn value was measured
        };
        gapAt(60, 80);

        // Relative time: the line does not cross the five minutes of the pause.
        auto *axis = panel->findChild<QComboBox *>("xAxis");
        axis->setFocus();
        QTest::keyClick(axis, Qt::Key_Down);
        QTest::keyClick(axis, Qt::Key_Down);
        QCOMPARE(axis->currentIndex(), 2);
        gapAt(20, 330);
        // Smoothing keeps the gap.
        auto *smoothing = panel->findChild<QSlider *>("smoothing");
        smoothing->setFocus();
        QTest::keyClick(smoothing, Qt::Key_PageUp);
        QVERIFY(smoothing->value() > 0);
        gapAt(20, 330);
    }

    void aSteeredEventBecomesAMarker()
    {
        const auto run = createRun("steered-run");
        addSteps(run, 0, 300);
        auto panel = openPanel();
        panel->setSelection({.active = run});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(300));
        QVERIFY(loss->markers().empty());
        QVERIFY(m_store->addEvent({0, run, "checkpoint", 150, 1.7e9 + 75, "{}"})); // not marked
        QVERIFY(m_store->addEvent({0, run, "steered", 250, 1.7e9 + 125,
                                   R"({"step":250,"lr_scale":0.5,"weight_decay":0.01})"}));
        QTRY_COMPARE(loss->markers().size(), std::size_t(1));
        QCOMPARE(loss->markers().front().x, 250.0);
        QVERIFY(loss->markers().front().label.startsWith("steered: lr×0.5"));
        QCOMPARE(panel->chart(CurvesPanel::AccuracyChart)->markers().size(), std::size_t(1));

        // On the epoch axis the marker moves to the epoch of step 250.
        auto *axis = panel->findChild<QComboBox *>("xAxis");
        axis->setFocus();
        QTest::keyClick(axis, Qt::Key_Down);
        QCOMPARE(axis->currentIndex(), 1);
        QCOMPARE(loss->markers().front().x, 2.5);
        QCOMPARE(loss->xRange().second, 2.99);
    }

    void theSmoothingSliderSmoothsTheTrainingCurves()
    {
        const auto run = createRun("noisy");
        addSteps(run, 0, 500);
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        panel->setSelection({.selected = {run}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(500));
        QCOMPARE(loss->series().size(), std::size_t(1));
        const auto raw = loss->series().front().points;

        auto *slider = panel->findChild<QSlider *>("smoothing");
        slider->setFocus();
        for (int i = 0; i < 9; ++i) // page steps of 0.1, to 0.9
            QTest::keyClick(slider, Qt::Key_PageUp);
        QCOMPARE(slider->value(), 90);
        QCOMPARE(loss->series().size(), std::size_t(2)); // smoothed, and the raw one faint
        const auto &smoothed = loss->series().front();
        QVERIFY(!smoothed.faint && loss->series().back().faint);
        QCOMPARE(loss->series().back().points.size(), raw.size());
        QCOMPARE(smoothed.points.front().y, raw.front().y); // debiased: starts at the data
        double rawJitter = 0, smoothJitter = 0;
        for (std::size_t i = 1; i < raw.size(); ++i) {
            rawJitter += std::abs(raw[i].y - raw[i - 1].y);
            smoothJitter += std::abs(smoothed.points[i].y - smoothed.points[i - 1].y);
        }
        QVERIFY2(smoothJitter < rawJitter / 4, qPrintable(QString::number(smoothJitter)));
        // The learning rate is never smoothed.
        QCOMPARE(panel->chart(CurvesPanel::LrChart)->series().size(), std::size_t(1));

        // New rows are smoothed incrementally, continuing the same average.
        addSteps(run, 500, 600);
        QTRY_COMPARE(pointCount(loss), std::size_t(600));
        const auto grown = loss->series().front().points;
        slider->setValue(0);
        slider->setValue(90); // recomputed from scratch
        const auto &whole = loss->series().front().points;
        QCOMPARE(whole.size(), grown.size());
        QVERIFY(std::abs(whole.back().y - grown.back().y) < 1e-12);
    }

    void chartsZoomTogetherAndLogYSwitches()
    {
        const auto run = createRun("zoom");
        addSteps(run, 0, 1000);
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        panel->setSelection({.selected = {run}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        PlotWidget *acc = panel->chart(CurvesPanel::AccuracyChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(1000));
        const QPoint at = loss->plotRect().center();
        QWheelEvent wheel(at, loss->mapToGlobal(at), QPoint(), QPoint(0, 480), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(loss, &wheel);
        QVERIFY(loss->isZoomed());
        QVERIFY(loss->xRange().second - loss->xRange().first < 500);
        QCOMPARE(acc->xRange(), loss->xRange());
        QTest::mouseDClick(acc, Qt::LeftButton, Qt::NoModifier, acc->plotRect().center());
        QVERIFY(!loss->isZoomed());

        auto *logY = panel->findChild<QCheckBox *>("logY");
        QTest::mouseClick(logY, Qt::LeftButton, Qt::NoModifier, QPoint(4, logY->height() / 2));
        QVERIFY(logY->isChecked());
        QVERIFY(loss->logY());
        loss->grab();
        QVERIFY(loss->drawnPoints() > 0);
    }

    void aResumedRunReloadsItsSeries()
    {
        const auto run = createRun("resumed");
        addSteps(run, 0, 300);
        auto panel = openPanel();
        panel->setSelection({.selected = {run}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(300));
        // Resumed from the checkpoint at step 199: later rows are deleted and written again.
        QVERIFY(m_store->deleteMetricsAfter(run, 199));
        addSteps(run, 200, 250, 10.0);
        QTRY_COMPARE(pointCount(loss), std::size_t(250));
        const auto &points = loss->series().front().points;
        QCOMPARE(points.back().x, 249.0);
        QVERIFY(points.back().y > 10);
        QVERIFY(std::is_sorted(points.begin(), points.end(),
                               [](const auto &a, const auto &b) { return a.x < b.x; }));
    }

    void aRecordedMetricCanBeCharted()
    {
        const auto run = createRun("fair");
        addSteps(run, 0, 300);
        addEpochRows(run, "val/fairness/accuracy_gap", 1, 3);
        addEpochRows(run, "val/fairness/accuracy/group-a", 1, 3);
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        panel->setSelection({.selected = {run}});
        auto *picker = panel->findChild<QComboBox *>("metricPicker");
        QVERIFY(picker);
        QTRY_VERIFY(picker->findData("val/fairness/accuracy_gap") > 0);
        QVERIFY(picker->findData("val/fairness/accuracy/group-a") > 0);
        QCOMPARE(picker->findData("train/loss"), -1); // built in: always charted
        QVERIFY(!panel->metricChart("val/fairness/accuracy_gap"));

        pickMetric(picker, "val/fairness/accuracy_gap");
        PlotWidget *gap = panel->metricChart("val/fairness/accuracy_gap");
        QVERIFY(gap);
        QVERIFY(gap->isVisible());
        QTRY_COMPARE(pointCount(gap, true), std::size_t(3)); // a val key: dashed
        QCOMPARE(gap->series().front().name, QStringLiteral("fair"));
        QCOMPARE(gap->series().front().points.back().x, 300.0);
        QCOMPARE(picker->currentIndex(), 0); // back to "Metric…"
        QVERIFY(picker->itemText(picker->findData("val/fairness/accuracy_gap")).startsWith("✓"));

        // New rows, and a metric the run had not recorded yet, arrive with the polls.
        addEpochRows(run, "val/fairness/accuracy_gap", 4, 2);
        addEpochRows(run, "val/macro-f1", 1, 5);
        QTRY_COMPARE(pointCount(gap, true), std::size_t(5));
        QCOMPARE(gap->series().front().points.back().x, 500.0);
        QTRY_VERIFY(picker->findData("val/macro-f1") > 0);
        pickMetric(picker, "val/macro-f1");
        QVERIFY(panel->metricChart("val/macro-f1"));
        QTRY_COMPARE(pointCount(panel->metricChart("val/macro-f1"), true), std::size_t(5));
        QCOMPARE(pointCount(panel->chart(CurvesPanel::LossChart)), std::size_t(300));
        saveGrab(panel.get(), "curves_metrics");

        // Picking a charted metric again removes its chart.
        pickMetric(picker, "val/fairness/accuracy_gap");
        QVERIFY(!panel->metricChart("val/fairness/accuracy_gap"));
        QVERIFY(!picker->itemText(picker->findData("val/fairness/accuracy_gap")).startsWith("✓"));
        QVERIFY(panel->metricChart("val/macro-f1"));
    }

    void exportsPngAndCsv()
    {
        const auto a = createRun("alpha, with comma");
        const auto b = createRun("beta");
        addSteps(a, 0, 120);
        addSteps(b, 0, 80);
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        panel->setSelection({.selected = {a, b}});
        QTRY_COMPARE(pointCount(panel->chart(CurvesPanel::LossChart)), std::size_t(200));
        const auto &series = panel->chart(CurvesPanel::LossChart)->series();
        QVERIFY(series[0].color != series[1].color);

        const QString png = m_dir.filePath("curves.png");
        QVERIFY(panel->exportPng(png));
        const QImage image(png);
        QVERIFY(image.width() > 500 && image.height() > 300);

        QSignalSpy exported(panel.get(), &CurvesPanel::csvExported);
        const QString csv = m_dir.filePath("curves.csv");
        panel->exportCsv(csv);
        QTRY_COMPARE(exported.count(), 1);
        QCOMPARE(exported.first().at(0).toLongLong(), qint64(3 * 200));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.front(), QByteArray("run,run_name,key,step,epoch,wall_time,value"));
        QCOMPARE(lines.size(), 1 + 600 + 1); // header, rows, the empty rest after the last \n
        QVERIFY(
            lines[1].startsWith(QByteArray::number(a) + ",\"alpha, with comma\",train/loss,0,"));
    }

    // Grouped by repeat, the runs are drawn as one mean line and band per group: the band is
    // stats::aggregateCurves of the stored series; where a run has ended it holds the others and
    // the hover read-out says how many; another band kind redraws it.
    void groupsByRepeatAsBands()
    {
        const std::vector<std::int64_t> a{createRepeat("a-1", "a", 0.1),
                                          createRepeat("a-2", "a", 0.1),
                                          createRepeat("a-3", "a", 0.1)};
        const std::vector<std::int64_t> b{createRepeat("b-1", "b", 0.01),
                                          createRepeat("b-2", "b", 0.01)};
        addLoss(a[0], 400, 0.0, 0);
        addLoss(a[1], 400, 0.1, 1);
        addLoss(a[2], 250, 0.25, 2); // ends early: from step 250 the band holds two runs
        addLoss(b[0], 400, 0.5, 3);
        addLoss(b[1], 400, 0.6, 4);
        auto panel = openPanel();
        panel->resize(1366, 768);
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        panel->setSelection({.selected = {a[0], b[0], a[1], b[1], a[2]}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(4 * 400 + 250));
        QTRY_COMPARE(pointCount(panel->chart(CurvesPanel::AccuracyChart)),
                     std::size_t(4 * 400 + 250));

        auto *groupBy = panel->findChild<QComboBox *>("groupBy");
        groupBy->setFocus();
        QTest::keyClick(groupBy, Qt::Key_Down);
        QCOMPARE(groupBy->currentData().toString(), QStringLiteral("repeat"));
        const QString aName = QStringLiteral("a (3 runs) · train");
        const QString bName = QStringLiteral("b (2 runs) · train");
        QTRY_COMPARE(bands(loss).size(), std::size_t(2));
        QVERIFY(sameBand(*bands(loss).at(aName), expectedBand(a, stats::Band::Std)));
        QVERIFY(sameBand(*bands(loss).at(bName), expectedBand(b, stats::Band::Std)));
        QCOMPARE(loss->series().size(), std::size_t(2)); // no run's own line is left
        QCOMPARE(bands(loss).at(aName)->color, lathe::panels::runColour(a[0]));
        const QString legend = panel->findChild<QLabel *>("legend")->text();
        QVERIFY2(legend.contains("a (3 runs)") && legend.contains("b (2 runs)"),
                 qPrintable(legend));

        // At step 300 two of group a's three runs are still going.
        const auto expected = expectedBand(a, stats::Band::Std);
        const auto at = std::find_if(expected.begin(), expected.end(),
                                     [](const auto &p) { return p.x == 300; });
        QVERIFY(at != expected.end());
        QCOMPARE(at->runs, 2);
        const QRectF r = loss->plotRect();
        const auto [x0, x1] = loss->xRange();
        const auto [y0, y1] = loss->yRange();
        const QPoint hover(
            int(std::lround(r.left() + (300 - x0) / (x1 - x0) * r.width())),
            int(std::lround(r.bottom() - (at->centre - y0) / (y1 - y0) * r.height())));
        QTest::mouseClick(loss, Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QTest::mouseMove(loss, hover);
        const auto number = [](double v) { return QString::number(v, 'g', 4); };
        const QString line = QStringLiteral("%1: mean %2, band %3..%4, 2 of 3 runs")
                                 .arg(aName, number(at->centre), number(at->low), number(at->high));
        QTRY_VERIFY2((loss->grab(), loss->hoverText().contains(line)),
                     qPrintable(loss->hoverText().join(" | ")));
        const QString shot = QCoreApplication::applicationDirPath() + "/curves_groups.png";
        QVERIFY(panel->grab().save(shot));
        saveGrab(panel.get(), "curves_groups");

        // Min to max instead of one standard deviation.
        const auto drawnStd = *bands(loss).at(aName);
        auto *band = panel->findChild<QComboBox *>("band");
        band->setFocus();
        QTest::keyClick(band, Qt::Key_Down);
        QTest::keyClick(band, Qt::Key_Down);
        QCOMPARE(band->currentText(), QStringLiteral("min–max"));
        const auto minMax = expectedBand(a, stats::Band::MinMax);
        QVERIFY(!sameBand(drawnStd, minMax));
        QTRY_VERIFY(bands(loss).count(aName) && sameBand(*bands(loss).at(aName), minMax));
        saveGrab(panel.get(), "curves_groups_minmax");
        QCOMPARE(bands(loss).at(aName)->band[300].first,
                 std::min(lossAt(300, 0.0, 0), lossAt(300, 0.1, 1))); // a-3 has ended

        // Aligned by epoch instead of step.
        auto *axis = panel->findChild<QComboBox *>("xAxis");
        axis->setFocus();
        QTest::keyClick(axis, Qt::Key_Down);
        QTRY_VERIFY(bands(loss).count(aName)
                    && bands(loss).at(aName)->points.back().x == 399 / 100.0);

        // Off: each run's own line again.
        groupBy->setFocus();
        QTest::keyClick(groupBy, Qt::Key_Up);
        QTRY_COMPARE(pointCount(loss), std::size_t(4 * 400 + 250));
        QVERIFY(bands(loss).empty());
    }

    // A live run's new points compute its group's band again, and only that band: the other
    // group's runs and the other series are unchanged, so their bands are kept as they were.
    void aLiveRunRecomputesOnlyItsGroupsBand()
    {
        const std::vector<std::int64_t> a{createRepeat("a-1", "a", 0.1),
                                          createRepeat("a-2", "a", 0.1)};
        const std::vector<std::int64_t> b{createRepeat("b-1", "b", 0.01),
                                          createRepeat("b-2", "b", 0.01)};
        for (std::size_t i = 0; i < 2; ++i) {
            addLoss(a[i], 200, 0.1 * double(i), int(i));
            addLoss(b[i], 200, 0.5 + 0.1 * double(i), int(i) + 2);
        }
        auto panel = openPanel();
        panel->setSelection({.selected = {a[0], a[1], b[0], b[1]}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(4 * 200));
        auto *groupBy = panel->findChild<QComboBox *>("groupBy");
        groupBy->setFocus();
        QTest::keyClick(groupBy, Qt::Key_Down);
        const QString aName = QStringLiteral("a (2 runs) · train");
        QTRY_COMPARE(bands(loss).size(), std::size_t(2));
        const auto *groups = panel->findChild<lathe::panels::CurveGroups *>("curveGroups");
        QVERIFY(groups);
        QTRY_VERIFY(sameBand(*bands(loss).at(aName), expectedBand(a, stats::Band::Std)));
        const std::size_t computed = groups->bandsComputed();
        QVERIFY(computed >= 2);

        std::vector<track::MetricPoint> more;
        for (int s = 200; s < 260; ++s)
            more.push_back({a[0], "train/loss", s, s / 100.0, 1.7e9 + s, lossAt(s, 0, 0)});
        QVERIFY(m_store->addMetrics(more));
        QTRY_VERIFY(bands(loss).count(aName)
                    && sameBand(*bands(loss).at(aName), expectedBand(a, stats::Band::Std)));
        QCOMPARE(groups->bandsComputed(), computed + 1);
    }

    void groupsByAConfigKey()
    {
        const auto fast = createRepeat("fast", "x", 0.1);
        const auto fast2 = createRepeat("fast-2", "y", 0.1);
        const auto slow = createRepeat("slow", "z", 0.01);
        for (const auto run : {fast, fast2, slow})
            addSteps(run, 0, 50);
        auto panel = openPanel();
        panel->setSelection({.selected = {fast, fast2, slow}});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_COMPARE(pointCount(loss), std::size_t(150));
        auto *groupBy = panel->findChild<QComboBox *>("groupBy");
        groupBy->setFocus();
        for (int i = 0; i < 3; ++i)
            QTest::keyClick(groupBy, Qt::Key_Down);
        auto *key = panel->findChild<QLineEdit *>("groupKey");
        QVERIFY(key->isVisible());
        QTest::keyClicks(key, "optimizer.lr");
        QTest::keyClick(key, Qt::Key_Return);
        QTRY_COMPARE(bands(loss).size(), std::size_t(2));
        const QString legend = panel->findChild<QLabel *>("legend")->text();
        QVERIFY2(legend.contains("0.01 (1 run)") && legend.contains("0.1 (2 runs)"),
                 qPrintable(legend));
    }

    void aRunWrittenByTheCliUpdatesLive()
    {
        auto panel = openPanel();
        QProcess cli;
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(QStringLiteral(LATHE_CLI_PATH),
                  {QStringLiteral("train"),
                   QStringLiteral(LATHE_TEST_RESOURCES "/configs/fashion-mlp.json"),
                   QStringLiteral("--db"), QString::fromStdString(m_db.string()),
                   QStringLiteral("--name"), QStringLiteral("from-cli"), QStringLiteral("--set"),
                   QStringLiteral("data.subset=3000"), QStringLiteral("--set"),
                   QStringLiteral("training.epochs=2"), QStringLiteral("--set"),
                   QStringLiteral("training.batch_size=32")});
        QVERIFY(cli.waitForStarted());
        auto cliRun = [this] { return m_store->findRun("from-cli").value_or(track::RunInfo{}).id; };
        QTRY_VERIFY_WITH_TIMEOUT(cliRun() > 0, 10000);
        const std::int64_t run = cliRun();
        panel->setSelection({.active = run});
        PlotWidget *loss = panel->chart(CurvesPanel::LossChart);
        QTRY_VERIFY_WITH_TIMEOUT(pointCount(loss) > 0, 10000);
        // The CLI may already have exited while the QTRY above spun the event loop, and
        // waitForFinished() answers false for a finished process: wait on the state instead.
        QTRY_VERIFY_WITH_TIMEOUT(cli.state() == QProcess::NotRunning, 90000);
        QVERIFY2(cli.exitStatus() == QProcess::NormalExit, cli.readAll().constData());
        QCOMPARE(cli.exitCode(), 0);
        const auto stored = m_store->metricSeries(run, "train/loss");
        QVERIFY(stored && stored->size() > 50);
        QTRY_COMPARE(pointCount(loss), stored->size());
        QTRY_COMPARE(pointCount(loss, true), std::size_t(2)); // one val point an epoch
        QCOMPARE(loss->series().front().name, QStringLiteral("from-cli · train"));
    }
};

LATHE_TEST_MAIN(TestCurvesPanel)
#include "tst_curves_panel.moc"
