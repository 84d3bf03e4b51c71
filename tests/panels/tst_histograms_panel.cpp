// The Histograms panel against a real store: a tiny real training run's histograms, picked by
// tensor and kind with the keyboard, shown as heatmap and ridgeline, read by hovering; a live
// run growing while it is shown; and the empty states' hints.
#include "core/track/run_store.h"
#include "core/train/run_job.h"
#include "panels/bridge/store_client.h"
#include "panels/histograms/histogram_view.h"
#include "panels/histograms/histograms_panel.h"
#include "tests/test_registry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

using namespace lathe;
using lathe::panels::HistogramsPanel;
using lathe::panels::HistogramView;
using track::HistogramKind;

namespace {

QToolButton *button(HistogramsPanel &panel, const QString &text)
{
    for (auto *b : panel.findChildren<QToolButton *>())
        if (b->text() == text)
            return b;
    return nullptr;
}

// Share of the plot's pixels that differ from its background: something was drawn.
double paintedShare(HistogramView *view)
{
    const QImage image = view->grab().toImage();
    const QRect area = view->plotRect().adjusted(2, 2, -2, -2);
    const QRgb background = view->palette().base().color().rgb();
    qsizetype painted = 0;
    for (int y = area.top(); y <= area.bottom(); y += 2)
        for (int x = area.left(); x <= area.right(); x += 2)
            painted += image.pixel(x, y) != background;
    return double(painted) / (double(area.width() / 2) * double(area.height() / 2));
}

} // namespace

class TestHistogramsPanel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::int64_t m_trained = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        train::RunConfig config;
        config.data.path = LATHE_TEST_FASHION_DIR;
        config.data.subset = 600;
        config.model = {"mlp", {16}, 0.0};
        config.training.epochs = 1;
        config.training.batchSize = 50;
        config.histograms = {2, 32};
        auto job = train::RunJob::createNew(config, {m_db, "tiny", 0});
        QVERIFY2(job.has_value(), job ? "" : job.error().toString().c_str());
        QVERIFY((*job)->run().has_value());
        m_trained = (*job)->runId();
    }

    void showsPicksHoversAndSwitchesViews()
    {
        panels::StoreClient client(m_db);
        HistogramsPanel panel(client);
        panel.resize(760, 460);
        panel.show();
        QVERIFY(panel.view()->emptyText().contains("Select a run"));
        panel.setSelection({.watched = m_trained});
        QTRY_VERIFY(!panel.series().empty());
        QCOMPARE(*panel.currentKey(), (track::HistogramKey{"fc1.weight", HistogramKind::Weights}));
        QCOMPARE(panel.series().samples().front().step, std::int64_t(2));
        QCOMPARE(panel.series().lastStep() % 2, std::int64_t(0));
        QVERIFY(paintedShare(panel.view()) > 0.2);

        // Keyboard: the next tensor (fc1.bias), then its gradients.
        auto *tensor = panel.findChild<QComboBox *>("tensor");
        auto *kind = panel.findChild<QComboBox *>("kind");
        tensor->setFocus();
        QTest::keyClick(tensor, Qt::Key_Down);
        QCOMPARE(tensor->currentText(), QString("fc1.bias"));
        QTest::keyClick(kind, Qt::Key_Down);
        QCOMPARE(*panel.currentKey(), (track::HistogramKey{"fc1.bias", HistogramKind::Gradients}));
        QTRY_VERIFY(!panel.series().empty());
        // Stage outputs (listed after the parameters) only have activations.
        QTest::keyClick(tensor, Qt::Key_End);
        QCOMPARE(*panel.currentKey(), (track::HistogramKey{"head", HistogramKind::Activations}));
        QCOMPARE(kind->count(), 1);
        QTRY_VERIFY(!panel.series().empty());

        // Hover the heatmap: the newest step's column, in the middle of its range.
        auto *view = panel.view();
        const auto &newest = panel.series().samples().back();
        const double mid = (newest.min + newest.max) / 2;
        const QRect area = view->plotRect();
        const double f = (mid - panel.series().lo()) / (panel.series().hi() - panel.series().lo());
        const QPoint at(area.right() - 1, area.bottom() - int(f * area.height()));
        QTest::mouseMove(view, at);
        QCOMPARE(view->sampleAt(at).value(), panel.series().samples().size() - 1);
        const double pixel = (panel.series().hi() - panel.series().lo()) / area.height();
        QVERIFY(std::abs(view->valueAt(at) - mid) < 2 * pixel);
        const auto bin = panel.series().binAt(*view->sampleAt(at), view->valueAt(at));
        QVERIFY(bin.inRange);
        QTRY_VERIFY2(panel.statusText().startsWith(QString("step %1 · [").arg(newest.step)),
                     qPrintable(panel.statusText()));
        QVERIFY2(panel.statusText().endsWith(QString("count %1").arg(bin.count)),
                 qPrintable(panel.statusText()));

        // Log colour changes the picture; the ridgeline draws one curve per step (up to 40).
        const QImage linear = view->grab().toImage();
        auto *log = panel.findChild<QCheckBox *>();
        QTest::mouseClick(log, Qt::LeftButton);
        QVERIFY(view->logColour());
        QVERIFY(view->grab().toImage() != linear);
        QTest::mouseClick(button(panel, "Ridgeline"), Qt::LeftButton);
        QCOMPARE(view->mode(), HistogramView::Mode::Ridgeline);
        QVERIFY(!log->isEnabled());
        QCOMPARE(view->ridgeIndices().size(),
                 std::min<std::size_t>(panel.series().samples().size(), HistogramView::kMaxRidges));
        QCOMPARE(view->ridgeIndices().back(), panel.series().samples().size() - 1);
        QVERIFY(paintedShare(view) > 0.05);
        // The front (bottom) ridge is the newest step.
        QTest::mouseMove(view, QPoint(area.center().x(), area.bottom() - 2));
        QTRY_VERIFY2(panel.statusText().startsWith(QString("step %1 ").arg(newest.step)),
                     qPrintable(panel.statusText()));
        QTest::mouseClick(button(panel, "Heatmap"), Qt::LeftButton);
        QCOMPARE(view->mode(), HistogramView::Mode::Heatmap);
        QVERIFY(log->isEnabled());
    }

    void growsWhileTheRunIsLive()
    {
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        const auto runId
            = (*store)->createRun({"live", R"({"histograms": {"every": 10, "bins": 4}})"}).value();
        QVERIFY((*store)->setStatus(runId, track::RunStatus::Running).has_value());
        panels::StoreClient client(m_db);
        HistogramsPanel panel(client);
        panel.show();
        panel.setSelection({.watched = runId});
        QTRY_VERIFY(panel.view()->emptyText().contains("every 10 steps; this run has none yet"));
        const auto rows = [&](std::int64_t step) {
            return std::vector<track::HistogramRow>{
                {runId, step, "w", HistogramKind::Weights, 0.0, double(step), {1, 2, 3, 4}}};
        };
        QVERIFY((*store)->addHistograms(rows(10)).has_value());
        QTRY_COMPARE(panel.series().lastStep(), std::int64_t(10));
        QVERIFY((*store)->addHistograms(rows(20)).has_value());
        QTRY_COMPARE(panel.series().lastStep(), std::int64_t(20));
        QCOMPARE(panel.series().samples().size(), std::size_t(2));
        QCOMPARE(panel.series().hi(), 20.0);
        QVERIFY(panel.statusText().contains("2 steps recorded (every 10)"));
    }

    void aRunThatEndedWithoutHistogramsSaysSo()
    {
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        const auto runId
            = (*store)->createRun({"short", R"({"histograms": {"every": 200}})"}).value();
        QVERIFY((*store)->setStatus(runId, track::RunStatus::Running).has_value());
        panels::StoreClient client(m_db);
        HistogramsPanel panel(client);
        panel.show();
        panel.setSelection({.watched = runId});
        QTRY_VERIFY(panel.view()->emptyText().contains("this run has none yet"));
        // It finishes before step 200: none will ever come, and the text says how to get some.
        QVERIFY((*store)->setStatus(runId, track::RunStatus::Finished).has_value());
        QTRY_VERIFY2(panel.view()->emptyText().contains("This run recorded no histograms"),
                     qPrintable(panel.view()->emptyText()));
        QVERIFY(!panel.view()->emptyText().contains("none yet"));
        QVERIFY(panel.view()->emptyText().contains("histograms.every = 200"));
        // So does a stopped run opened later.
        HistogramsPanel later(client);
        later.show();
        QVERIFY((*store)->setStatus(runId, track::RunStatus::Stopped).has_value());
        later.setSelection({.watched = runId});
        QTRY_VERIFY2(later.view()->emptyText().contains("This run recorded no histograms"),
                     qPrintable(later.view()->emptyText()));
    }

    void explainsWhyThereIsNothing()
    {
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        const auto off = (*store)->createRun({"off", R"({"histograms": {"every": 0}})"}).value();
        panels::StoreClient client(m_db);
        HistogramsPanel panel(client);
        panel.show();
        panel.setSelection({.watched = off});
        QTRY_VERIFY(panel.view()->emptyText().contains("off for this run"));
        QVERIFY(panel.series().empty());
        panel.setSelection({});
        QVERIFY(panel.view()->emptyText().contains("Select a run"));
        panel.setSelection({.watched = off + 1000});
        QTRY_VERIFY(panel.view()->emptyText().contains("no longer in the store"));
    }
};

LATHE_TEST_MAIN(TestHistogramsPanel)
#include "tst_histograms_panel.moc"
