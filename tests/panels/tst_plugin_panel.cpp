// Plugin panels for real: PanelHost's queries against a real store; every registered panel opened
// over it; the class-accuracy sample plugin loaded from the build tree and docked in a real
// window, following the Runs selection and drawing a run's per-class lines (and the points
// written later), or its hint; and panels whose factory throws, makes nothing or whose showRun
// throws, left out or caught and reported while the window opens and goes on.
#include "core/plugin/loader.h"
#include "core/track/run_store.h"
#include "panels/bridge/panel_host.h"
#include "panels/bridge/plugin_panels.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/main_window.h"
#include "panels/window/plugins_dialog.h"
#include "tests/panels/named_child.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"
#include "tests/panels/panel_test_support.h"

#include <QtTest>
#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QPointer>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>

#include <cmath>
#include <fstream>
#include <stdexcept>

using namespace lathe;
using namespace lathe::panels;
using lathe::testing::saveGrab;

namespace {

const std::vector<std::string> kClasses{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                        "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                        "Bag",         "Ankle boot"};
constexpr std::int64_t kStepsPerEpoch = 469;
const std::string kPrefix = "val/per-class-accuracy/";

/// A plausible recall of class `c` after `epoch` epochs: rising towards a per-class ceiling.
double recall(std::size_t c, int epoch)
{
    const double ceiling = 0.97 - 0.05 * double((c * 7) % 10) / 2.0;
    return ceiling - (ceiling - 0.35 - 0.04 * double(c)) * std::exp(-0.7 * epoch);
}

/// One validation of run `runId` at the end of `epoch` (1-based): every class and val/accuracy.
std::vector<track::MetricPoint> validation(std::int64_t runId, int epoch)
{
    std::vector<track::MetricPoint> points;
    double sum = 0;
    for (std::size_t c = 0; c < kClasses.size(); ++c) {
        const double value = recall(c, epoch);
        sum += value;
        points.push_back(
            {runId, kPrefix + kClasses[c], epoch * kStepsPerEpoch, double(epoch), 0, value});
    }
    points.push_back({runId, "val/accuracy", epoch * kStepsPerEpoch, double(epoch), 0,
                      sum / double(kClasses.size())});
    return points;
}

QAction *menuAction(MainWindow &window, const QString &menu, const QString &prefix)
{
    for (auto *action : window.menuBar()->actions())
        if (action->text() == menu)
            for (auto *item : action->menu()->actions())
                if (item->text().startsWith(prefix))
                    return item;
    return nullptr;
}

void selectRun(MainWindow &window, qint64 runId)
{
    auto *runs = window.runsPanel();
    QTRY_VERIFY(runs->model()->rowOf(runId) >= 0);
    auto *proxy = namedChild<QSortFilterProxyModel>(runs, "runsProxy");
    for (int row = 0; row < proxy->rowCount(); ++row)
        if (proxy->index(row, 0).data(RunListModel::RunIdRole).toLongLong() == runId)
            namedChild<QTableView>(runs, "runsTable")->selectRow(row);
    QCOMPARE(runs->selectedRunIds(), QList<qint64>{runId});
}

/// Pixels of the plot area in a strong colour (the lines and dots; axes and grid are grey).
int colouredPixels(QWidget *view)
{
    const QImage image = view->grab().toImage();
    const QRect area = view->property("plotRect").toRect().adjusted(2, 2, -2, -2);
    int coloured = 0;
    for (int y = area.top(); y <= area.bottom(); ++y)
        for (int x = area.left(); x <= area.right(); ++x) {
            const QColor c = image.pixelColor(x, y);
            coloured += c.hsvSaturation() > 100 && c.value() > 80;
        }
    return coloured;
}

/// A panel whose showRun throws: the window catches it and says so once.
class MoodyPanel final : public sdk::IPanel
{
public:
    MoodyPanel()
        : m_label(new QLabel("moody"))
    {
    }
    ~MoodyPanel() override { delete m_label.data(); }
    QWidget *widget() override { return m_label.data(); }
    void showRun(std::int64_t runId) override
    {
        if (runId >= 0)
            throw std::runtime_error("cannot show runs today");
    }

private:
    QPointer<QLabel> m_label;
};

} // namespace

class TstPluginPanel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::int64_t m_withClasses = 0;
    std::int64_t m_without = 0;

    std::filesystem::path config() const
    {
        return LATHE_TEST_RESOURCES "/configs/fashion-cnn.json";
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        const auto record = plugin::loadPlugin(LATHE_TEST_PLUGIN_DIR "/class-accuracy.so");
        QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        QCOMPARE(record.version, std::string("1.0"));
        const auto entry = plugin::registry().panel("class-accuracy");
        QVERIFY(entry.has_value());
        QCOMPARE(entry->title, std::string("Per-class accuracy"));
        QCOMPARE(entry->source, std::string("class-accuracy"));

        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        m_store = std::move(*store);
        auto with = m_store->createRun({"with-classes", "{}", 1});
        auto without = m_store->createRun({"plain", "{}", 2});
        QVERIFY_OK(with);
        QVERIFY_OK(without);
        m_withClasses = *with;
        m_without = *without;
        for (int epoch = 1; epoch <= 5; ++epoch) {
            QVERIFY_OK(m_store->addMetrics(validation(m_withClasses, epoch)));
            const track::MetricPoint accuracy{
                m_without, "val/accuracy", epoch * kStepsPerEpoch, double(epoch), 0, 0.8};
            QVERIFY_OK(m_store->addMetrics(std::span(&accuracy, 1)));
        }
    }

    void panelHostAnswersFromItsCacheOffTheGuiThread()
    {
        StoreClient client(m_db);
        PanelHost host(client);
        QSignalSpy updates(&host, &PanelHost::updated);
        // The first answer is what the cache has (nothing); the store is read off the GUI
        // thread, and the host says when the answer is in.
        QVERIFY(host.metricNames(m_withClasses).empty());
        QTRY_COMPARE(host.metricNames(m_withClasses).size(), kClasses.size() + 1);
        QVERIFY(updates.count() >= 1);
        QCOMPARE(updates.first().first().toLongLong(), m_withClasses);
        const auto names = host.metricNames(m_withClasses);
        QVERIFY(std::is_sorted(names.begin(), names.end()));
        QVERIFY(std::find(names.begin(), names.end(), kPrefix + "Trouser") != names.end());
        QCOMPARE(host.runName(m_withClasses), std::string("with-classes"));

        const std::string trouser = kPrefix + "Trouser";
        QTRY_COMPARE(host.metric(m_withClasses, trouser).size(), std::size_t(5));
        const auto all = host.metric(m_withClasses, trouser);
        for (std::size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].step, std::int64_t(i + 1) * kStepsPerEpoch);
            QCOMPARE(all[i].epoch, double(i + 1));
            QCOMPARE(all[i].value, recall(1, int(i + 1)));
        }
        // Polling with the last step seen gives only what came after it.
        QVERIFY(host.metric(m_withClasses, trouser, all.back().step).empty());
        const auto later = host.metric(m_withClasses, trouser, 3 * kStepsPerEpoch);
        QCOMPARE(later.size(), std::size_t(2));
        QCOMPARE(later.front().step, 4 * kStepsPerEpoch);

        // A row written since, and a resumed run's step written again with a larger id.
        const track::MetricPoint late{m_withClasses, trouser, 7 * kStepsPerEpoch, 7, 0, 0.99};
        const track::MetricPoint again{m_withClasses, trouser, 6 * kStepsPerEpoch, 6, 0, 0.98};
        QVERIFY_OK(m_store->addMetrics(std::span(&late, 1)));
        QTRY_COMPARE(host.metric(m_withClasses, trouser, 5 * kStepsPerEpoch).size(),
                     std::size_t(1));
        QCOMPARE(host.metric(m_withClasses, trouser, 5 * kStepsPerEpoch).front().value, 0.99);
        QVERIFY_OK(m_store->addMetrics(std::span(&again, 1)));
        QTRY_COMPARE(host.metric(m_withClasses, trouser, 5 * kStepsPerEpoch).size(),
                     std::size_t(2));
        const auto sorted = host.metric(m_withClasses, trouser, 5 * kStepsPerEpoch);
        QCOMPARE(sorted[0].step, 6 * kStepsPerEpoch); // in step order, not commit order
        QCOMPARE(sorted[1].step, 7 * kStepsPerEpoch);
        QCOMPARE(host.metric(m_withClasses, trouser).size(), std::size_t(7));
        QVERIFY_OK(m_store->deleteMetricsAfter(m_withClasses, 5 * kStepsPerEpoch));
        // Asking from the start again reads the series whole: the deleted steps go.
        QTRY_COMPARE(host.metric(m_withClasses, trouser).size(), std::size_t(5));

        // Unknown runs and series are empty answers, not errors.
        QVERIFY(host.metricNames(9999).empty());
        QVERIFY(host.metric(9999, trouser).empty());
        QVERIFY(host.metric(m_withClasses, "no/such/metric").empty());
        QCOMPARE(host.runName(9999), std::string());
        client.drain();
        QTest::qWait(2 * PanelHost::kFreshMs);
        QVERIFY(host.metricNames(9999).empty());
        QVERIFY(host.metric(m_withClasses, "no/such/metric").empty());
        QCOMPARE(host.runName(9999), std::string());
        QCOMPARE(host.lastError(), std::string());

        // A file that is no store: empty answers and the reason, never an exception.
        const auto bad = std::filesystem::path(m_dir.path().toStdString()) / "not-a-store.db";
        std::ofstream(bad) << "this is not SQLite, not even close, and long enough to tell";
        StoreClient badClient(bad);
        PanelHost broken(badClient);
        QVERIFY(broken.metricNames(m_withClasses).empty());
        QTRY_VERIFY(!broken.lastError().empty());
        QVERIFY(broken.metric(m_withClasses, trouser).empty());
        QCOMPARE(broken.runName(m_withClasses), std::string());
    }

    void everyRegisteredPanelOpensOverAHost()
    {
        StoreClient client(m_db);
        PanelHost host(client);
        const auto entries = plugin::registry().panels();
        QVERIFY(!entries.empty());
        for (const auto &entry : entries) {
            auto panel = entry.factory(host);
            QVERIFY2(panel, entry.name.c_str());
            QVERIFY2(panel->widget(), entry.name.c_str());
            panel->widget()->resize(500, 300);
            panel->widget()->show();
            for (std::int64_t run : {std::int64_t(-1), m_withClasses, m_without, std::int64_t(999)})
                panel->showRun(run);
            QTest::qWait(50);
            panel.reset(); // deletes its widget
        }
    }

    void manyClassesInASmallPanel()
    {
        auto run = m_store->createRun({"many-classes", "{}", 3});
        QVERIFY_OK(run);
        std::vector<track::MetricPoint> points;
        for (int c = 0; c < 40; ++c)
            for (int epoch = 1; epoch <= 3; ++epoch)
                points.push_back({*run, kPrefix + "class with a long name " + std::to_string(c),
                                  epoch * 100, double(epoch), 0, 0.2 + 0.02 * c + 0.05 * epoch});
        QVERIFY_OK(m_store->addMetrics(points));
        StoreClient client(m_db);
        PanelHost host(client);
        auto panel = plugin::registry().panel("class-accuracy")->factory(host);
        QWidget *view = panel->widget();
        view->resize(560, 340);
        view->show();
        QVERIFY(QTest::qWaitForWindowExposed(view));
        panel->showRun(*run);
        // The host answers from its cache, filled off the GUI thread; the view polls.
        QTRY_COMPARE(view->property("seriesCount").toInt(), 40);
        QTRY_COMPARE(view->property("pointCount").toLongLong(), 120);
        const QRect area = view->property("plotRect").toRect();
        QVERIFY(area.width() > 250 && area.height() > 200); // the legend leaves room to plot
        QVERIFY(colouredPixels(view) > 1000);
        saveGrab(view, "class-accuracy-many");
    }

    void aTrainedRunsPerClassAccuracyIsDrawn()
    {
        // A real run whose config asks for the built-in metric: one line per Fashion-MNIST class,
        // one point per validation.
        auto config = testing::tinyConfig(600, 2, "mlp", {16});
        config.metrics = {{"per-class-accuracy", {}}};
        const auto runId = testing::trainRun(m_db, config, "trained-per-class");
        StoreClient client(m_db);
        PanelHost host(client);
        auto panel = plugin::registry().panel("class-accuracy")->factory(host);
        QWidget *view = panel->widget();
        view->resize(640, 400);
        view->show();
        QVERIFY(QTest::qWaitForWindowExposed(view));
        panel->showRun(runId);
        QTRY_COMPARE(view->property("pointCount").toLongLong(), 20);
        QCOMPARE(view->property("hint").toString(), QString());
        QCOMPARE(view->property("seriesCount").toInt(), 10);
        saveGrab(view, "class-accuracy-trained");
    }

    void classAccuracyDocksAndFollowsTheSelection()
    {
        MainWindow window({m_db, config(), false});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *dock = window.dock("plugin-panel-class-accuracy");
        QVERIFY(dock);
        QCOMPARE(dock->windowTitle(), QString("Per-class accuracy"));
        auto *view = dock->widget();
        QVERIFY(view);
        QCOMPARE(view->objectName(), QString("class-accuracy-view"));
        auto *viewMenu = menuAction(window, "&View", "Per-class accuracy");
        QCOMPARE(viewMenu, dock->toggleViewAction());

        dock->raise();
        QTRY_VERIFY(view->isVisible());
        QVERIFY(view->property("hint").toString().contains("Select a run"));
        QCOMPARE(view->property("seriesCount").toInt(), 0);
        saveGrab(view, "class-accuracy-no-run");

        // Selecting a run with per-class accuracy draws one coloured line per class.
        selectRun(window, m_withClasses);
        QTRY_COMPARE(view->property("seriesCount").toInt(), int(kClasses.size()));
        QTRY_COMPARE(view->property("pointCount").toLongLong(), qlonglong(5 * kClasses.size()));
        QCOMPARE(view->property("runId").toLongLong(), m_withClasses);
        QCOMPARE(view->property("hint").toString(), QString());
        QVERIFY2(colouredPixels(view) > 1500, qPrintable(QString::number(colouredPixels(view))));
        saveGrab(view, "class-accuracy-lines");

        // Points written later appear at the next poll.
        QVERIFY_OK(m_store->addMetrics(validation(m_withClasses, 6)));
        QTRY_COMPARE_WITH_TIMEOUT(view->property("pointCount").toLongLong(),
                                  qlonglong(6 * kClasses.size()), 3000);
        const QRect area = view->property("plotRect").toRect();
        QTest::mouseMove(view, QPoint(area.left() + area.width() * 2 / 3, area.center().y()));
        QTest::qWait(50);
        saveGrab(view, "class-accuracy-hover");

        // A run without them: the hint says what to add.
        selectRun(window, m_without);
        QTRY_COMPARE(view->property("runId").toLongLong(), m_without);
        QTRY_VERIFY(view->property("hint").toString().contains(
            "Add {\"name\": \"per-class-accuracy\"} to the run's metrics"));
        QCOMPARE(view->property("seriesCount").toInt(), 0);
        QCOMPARE(colouredPixels(view), 0);
        saveGrab(view, "class-accuracy-hint");

        // Closed and brought back by View and by Reset layout like a built-in dock.
        dock->close();
        QVERIFY(!view->isVisible());
        auto *reset = menuAction(window, "&View", "Reset");
        QVERIFY(reset);
        reset->trigger();
        QVERIFY(dock->isVisible());
        window.resize(1100, 700);
        saveGrab(&window, "class-accuracy-window");
    }

    // Last: what it registers stays in the process-wide registry.
    void failingPanelsAreReportedAndTheWindowOpens()
    {
        plugin::Additions broken;
        broken.panels.push_back({"throwing", "Throwing",
                                 [](sdk::IPanelHost &) -> std::unique_ptr<sdk::IPanel> {
                                     throw std::runtime_error("no GPU for this panel");
                                 },
                                 "test-broken"});
        broken.panels.push_back({"null-panel", "Null",
                                 [](sdk::IPanelHost &) { return std::unique_ptr<sdk::IPanel>(); },
                                 "test-broken"});
        broken.panels.push_back(
            {"moody", "Moody",
             [](sdk::IPanelHost &) { return std::unique_ptr<sdk::IPanel>(new MoodyPanel); },
             "test-moody"});
        QVERIFY(!plugin::registry().add(std::move(broken)).has_value());

        MainWindow window({m_db, config(), false});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!window.dock("plugin-panel-throwing"));
        QVERIFY(!window.dock("plugin-panel-null-panel"));
        QVERIFY(window.dock("plugin-panel-moody"));
        QVERIFY(window.dock("plugin-panel-class-accuracy"));
        QVERIFY(window.dock("dock-curves"));

        const auto failures = window.pluginPanels().failures();
        QCOMPARE(failures.size(), 2);
        QVERIFY(failures[0].contains("\"throwing\"") && failures[0].contains("\"test-broken\""));
        QVERIFY(failures[0].contains("no GPU for this panel"));
        QVERIFY(failures[1].contains("\"null-panel\"") && failures[1].contains("no panel"));
        const QString status = window.statusBar()->currentMessage();
        QVERIFY2(status.contains("throwing") && status.contains("null-panel"), qPrintable(status));

        QString listed;
        QTimer::singleShot(0, [&listed] {
            auto *dialog = qobject_cast<PluginsDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            QVERIFY(namedChild<QLabel>(dialog, "panel-problems"));
            listed = namedChild<QLabel>(dialog, "panel-problems")->text();
            dialog->reject();
        });
        auto *plugins = menuAction(window, "&Help", "&Plugins");
        QVERIFY(plugins);
        plugins->trigger();
        QVERIFY2(listed.contains("throwing") && listed.contains("test-broken")
                     && listed.contains("null-panel"),
                 qPrintable(listed));

        // A showRun that throws is caught, reported once, and the other panels still follow.
        selectRun(window, m_withClasses);
        QTRY_COMPARE(window.pluginPanels().failures().size(), 3);
        QVERIFY(window.pluginPanels().failures()[2].contains("\"moody\""));
        QVERIFY(window.statusBar()->currentMessage().contains("cannot show runs today"));
        auto *view = window.dock("plugin-panel-class-accuracy")->widget();
        QTRY_COMPARE(view->property("runId").toLongLong(), m_withClasses);
        selectRun(window, m_without);
        QTRY_COMPARE(view->property("runId").toLongLong(), m_without);
        QCOMPARE(window.pluginPanels().failures().size(), 3);
    }
};

LATHE_TEST_MAIN(TstPluginPanel)
#include "tst_plugin_panel.moc"
