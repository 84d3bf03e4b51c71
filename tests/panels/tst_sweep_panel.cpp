#include "core/sweep/sweep_spec.h"
#include "core/track/run_store.h"
#include "core/track/sqlite.h"
#include "core/track/sweep_store.h"
#include "core/train/sweep_runner.h"
#include "panels/bridge/store_client.h"
#include "panels/bridge/sweep_snapshot.h"
#include "panels/common/plot_widget.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/runs/runs_panel.h"
#include "panels/sweep/importance_bars.h"
#include "panels/sweep/sweep_contour_view.h"
#include "panels/sweep/sweep_panel.h"
#include "panels/sweep/sweep_parallel_view.h"
#include "panels/sweep/trial_table_model.h"
#include "panels/window/main_window.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QProcess>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <csignal>
#include <fstream>

using namespace lathe;
using namespace lathe::panels;
using json = nlohmann::json;

namespace {

// lr (log_uniform), dropout (uniform), optimizer (choice), batch size (int), over a small mlp.
std::string specText(int trials)
{
    const json spec{
        {"name", "lr-search"},
        {"base",
         {{"model", {{"arch", "mlp"}, {"dropout", 0.1}}},
          {"optimizer", {{"name", "adamw"}, {"lr", 0.001}}},
          {"training", {{"epochs", 2}, {"batch_size", 64}}}}},
        {"space",
         {{"optimizer.lr", {{"type", "log_uniform"}, {"low", 1e-4}, {"high", 0.1}}},
          {"model.dropout", {{"type", "uniform"}, {"low", 0.0}, {"high", 0.5}}},
          {"optimizer.name", {{"type", "choice"}, {"values", {"adamw", "sgd"}}}},
          {"training.batch_size", {{"type", "int"}, {"low", 32}, {"high", 256}, {"step", 32}}}}},
        {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
        {"sampler", {{"name", "random"}, {"seed", 1}}},
        {"trials", trials}};
    auto parsed = sweep::parseSweepSpec(spec, {}, train::sweepSpecOptions());
    if (!parsed)
        qFatal("%s", parsed.error().toString().c_str());
    return sweep::toJson(*parsed).dump();
}

struct Trial
{
    double lr = 0.001;
    double dropout = 0.1;
    std::string optimizer = "adamw";
    int batch = 64;
    track::TrialState state = track::TrialState::Completed;
    std::optional<double> value{};
};

// A deterministic spread of values in [0, 1).
double spread(int i, int salt)
{
    return std::fmod(std::abs(std::sin(double(i) * 12.9898 + salt * 78.233)) * 43758.5453, 1.0);
}

} // namespace

class TestSweepPanel : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_runs;
    std::unique_ptr<track::SweepStore> m_sweeps;
    std::unique_ptr<StoreClient> m_client;
    QTemporaryDir m_data; ///< XDG_DATA_HOME of the processes started

    void openStore()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_db = std::filesystem::path(m_dir->path().toStdString()) / "lathe.db";
        m_runs = std::move(*track::RunStore::open(m_db));
        m_sweeps = std::move(*track::SweepStore::open(m_db));
        m_client = std::make_unique<StoreClient>(m_db);
    }

    std::int64_t createSweep(int trials)
    {
        auto id = m_sweeps->createSweep({"lr-search", specText(trials), 0});
        return id ? *id : 0;
    }

    // Asks the next trial with `trial`'s params, gives it a run, and ends it as `trial` says.
    bool addTrial(std::int64_t sweepId, const Trial &trial, int budget = 2000)
    {
        const json params{{"optimizer.lr", trial.lr},
                          {"model.dropout", trial.dropout},
                          {"optimizer.name", trial.optimizer},
                          {"training.batch_size", trial.batch}};
        auto asked = m_sweeps->askTrial(
            sweepId, budget, [&](const auto &, int) { return Result<std::string>(params.dump()); });
        if (!asked || !*asked)
            return false;
        const int number = (*asked)->number;
        auto run = m_runs->createRun(
            {.name = "lr-search-t" + std::to_string(number), .configJson = "{}"});
        if (!run || !m_sweeps->setTrialRun(sweepId, number, *run))
            return false;
        if (trial.value && !m_sweeps->recordValue(sweepId, number, 1, *trial.value))
            return false;
        if (trial.state == track::TrialState::Running)
            return true;
        return bool(m_sweeps->finishTrial(
            sweepId, number, trial.state,
            trial.state == track::TrialState::Completed ? trial.value : std::nullopt,
            trial.state == track::TrialState::Failed ? "loss became NaN" : ""));
    }

    std::unique_ptr<SweepPanel> openPanel()
    {
        auto panel = std::make_unique<SweepPanel>(*m_client);
        panel->setPollInterval(100);
        panel->resize(1000, 480);
        panel->show();
        return panel;
    }

    // A spec of `trials` quick trials (a narrow cnn on 1,200 Fashion-MNIST images for `epochs`
    // epochs, one thread, one worker) over lr, written beside the store; its path.
    QString writeTinySpec(const char *name, int trials, int epochs)
    {
        std::ifstream in(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
        json base = json::parse(in);
        base["data"]["subset"] = 1200;
        base["data"]["val_fraction"] = 0.2;
        base["model"]["widths"] = json::array({8, 16});
        base["training"]["epochs"] = epochs;
        base["training"]["batch_size"] = 64;
        base["training"]["threads"] = 1;
        const json spec{
            {"name", name},
            {"base", base},
            {"space", {{"optimizer.lr", {{"type", "log_uniform"}, {"low", 1e-3}, {"high", 3e-2}}}}},
            {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
            {"sampler", {{"name", "random"}, {"seed", 3}}},
            {"trials", trials},
            {"workers", 1}};
        const QString path = m_dir->path() + "/" + name + ".json";
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        file.write(QByteArray::fromStdString(spec.dump(2)));
        return path;
    }

    // Every trial ended, or running with its worker gone (the next ask re-runs it).
    bool trialsTerminalOrReaskable(std::int64_t sweepId)
    {
        auto trials = m_sweeps->trials(sweepId);
        if (!trials)
            return false;
        for (const auto &trial : *trials)
            if (trial.state == track::TrialState::Running && track::isAliveHere(trial.owner)) {
                qWarning("trial %d is running in live process %lld", trial.number,
                         (long long)trial.owner.pid);
                return false;
            }
        return true;
    }

    static QString statusText(track::SweepStatus status)
    {
        return QString::fromLatin1(track::toString(status).data());
    }

    static QString shownStatus(const SweepPanel &panel)
    {
        return statusText(panel.snapshot().info.status);
    }

    static bool waitForTrials(SweepPanel &panel, int count)
    {
        return QTest::qWaitFor([&] { return panel.trialModel()->rowCount() == count; }, 5000);
    }

    // The five trials of the small sweep: 0.70, 0.85 (best), pruned, 0.80, failed.
    std::int64_t smallSweep()
    {
        const auto id = createSweep(8);
        addTrial(id, {.lr = 0.01, .value = 0.70});
        addTrial(id, {.lr = 0.003, .optimizer = "sgd", .batch = 96, .value = 0.85});
        addTrial(id, {.lr = 0.0002, .state = track::TrialState::Pruned, .value = 0.31});
        addTrial(id, {.lr = 0.05, .value = 0.80});
        addTrial(id, {.lr = 0.09, .state = track::TrialState::Failed});
        return id;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        // The lathe-cli processes the panel starts log under a temporary folder, not the user's.
        QVERIFY(m_data.isValid());
        qputenv("XDG_DATA_HOME", m_data.path().toUtf8());
    }

    void tableShowsTrials()
    {
        openStore();
        smallSweep();
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 5));
        auto *chooser = namedChild<QComboBox>(panel.get(), "sweepChooser");
        QCOMPARE(chooser->count(), 1);
        QCOMPARE(chooser->currentText(), QString("lr-search · running · 5/8"));
        auto *table = namedChild<QTableView>(panel.get(), "sweepTrials");
        auto *model = table->model();
        QCOMPARE(model->columnCount(), TrialTableModel::ParamColumn + 4);
        const auto cell
            = [&](int row, int column) { return model->index(row, column).data().toString(); };
        QCOMPARE(cell(0, TrialTableModel::StateColumn), QString("completed"));
        QCOMPARE(cell(1, TrialTableModel::ValueColumn), QString("0.85"));
        QCOMPARE(cell(2, TrialTableModel::StateColumn), QString("pruned"));
        QCOMPARE(cell(2, TrialTableModel::LastColumn), QString("0.31 @ 1"));
        QCOMPARE(cell(4, TrialTableModel::StateColumn), QString("failed"));
        QVERIFY(cell(1, TrialTableModel::RunColumn).startsWith("lr-search-t1 ("));
        QCOMPARE(model->index(2, TrialTableModel::StateColumn)
                     .data(Qt::ForegroundRole)
                     .value<QBrush>()
                     .color(),
                 trialStateColor(track::TrialState::Pruned));
        QCOMPARE(model->index(4, TrialTableModel::StateColumn).data(Qt::ToolTipRole).toString(),
                 QString("loss became NaN"));
        // The params as columns, by key (sorted by the space).
        QStringList headers;
        for (int c = TrialTableModel::ParamColumn; c < model->columnCount(); ++c)
            headers << model->headerData(c, Qt::Horizontal).toString();
        QCOMPARE(headers, (QStringList{"model.dropout", "optimizer.lr", "optimizer.name",
                                       "training.batch_size"}));
        QCOMPARE(cell(1, TrialTableModel::ParamColumn + 2), QString("sgd"));

        // Sorting by value with a click on its header: the best trial comes first after two.
        auto *header = table->horizontalHeader();
        const QPoint at(header->sectionViewportPosition(TrialTableModel::ValueColumn) + 10,
                        header->height() / 2);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
        if (header->sortIndicatorOrder() == Qt::AscendingOrder)
            QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(cell(0, TrialTableModel::NumberColumn), QString("1"));
        QCOMPARE(cell(0, TrialTableModel::ValueColumn), QString("0.85"));
    }

    void objectiveHasBestSoFar()
    {
        openStore();
        smallSweep();
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 5));
        auto *plot = namedChild<PlotWidget>(panel.get(), "sweepObjective");
        const auto &series = plot->series();
        QCOMPARE(series.size(), std::size_t(3));
        QCOMPARE(series[0].name, QString("best so far"));
        QCOMPARE(series[1].points.size(), std::size_t(3)); // completed
        QCOMPARE(series[2].points.size(), std::size_t(1)); // pruned, at its last value
        QCOMPARE(series[2].points[0].y, 0.31);
        std::vector<double> best;
        for (const auto &p : series[0].points)
            best.push_back(p.y);
        QCOMPARE(best, (std::vector<double>{0.70, 0.85, 0.85, 0.85, 0.85}));
        QCOMPARE(plot->markers().size(), std::size_t(1)); // the failed trial
        QCOMPARE(plot->markers()[0].x, 4.0);
        auto *summary = namedChild<QLabel>(panel.get(), "sweepSummary");
        QVERIFY2(summary->text().contains("best val/accuracy = 0.85 (trial 1)"),
                 qPrintable(summary->text()));
        // Three completed trials: the importance is ranked.
        auto *bars = namedChild<ImportanceBars>(panel.get(), "sweepImportance");
        QCOMPARE(bars->importance().size(), std::size_t(4));
    }

    void importanceNeedsThreeCompletedTrials()
    {
        openStore();
        const auto id = createSweep(8);
        addTrial(id, {.lr = 0.01, .value = 0.70});
        addTrial(id, {.lr = 0.003, .value = 0.85});
        addTrial(id, {.lr = 0.0002, .state = track::TrialState::Pruned, .value = 0.31});
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 3));
        auto *bars = namedChild<ImportanceBars>(panel.get(), "sweepImportance");
        QVERIFY(bars->importance().empty());
        QCOMPARE(bars->emptyText(),
                 QString("Importance needs 3 completed trials; this sweep has 2."));
        auto *contour = namedChild<SweepContourView>(panel.get(), "sweepContour");
        QCOMPARE(contour->message(),
                 QString("The contour needs 3 completed trials with both keys; this sweep has 2."));
        QVERIFY(addTrial(id, {.lr = 0.05, .value = 0.80}));
        QTRY_COMPARE(bars->importance().size(), std::size_t(4));
        QVERIFY(bars->emptyText().isEmpty());
        QVERIFY(contour->message().isEmpty());
    }

    void importanceRanksTheKeyThatMatters()
    {
        openStore();
        const auto id = createSweep(40);
        // The objective depends on lr alone (best near 3e-3); the other keys are noise.
        for (int i = 0; i < 40; ++i) {
            const double lr = std::pow(10.0, -4.0 + 3.0 * spread(i, 1));
            Trial trial{.lr = lr,
                        .dropout = 0.5 * spread(i, 2),
                        .optimizer = spread(i, 3) < 0.5 ? "adamw" : "sgd",
                        .batch = 32 * (1 + int(spread(i, 4) * 8)),
                        .value = 0.9 - 0.2 * std::abs(std::log10(lr) + 2.5)};
            QVERIFY(addTrial(id, trial));
        }
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 40));
        auto *bars = namedChild<ImportanceBars>(panel.get(), "sweepImportance");
        const auto &items = bars->importance();
        QCOMPARE(items.size(), std::size_t(4));
        QCOMPARE(items[0].first, QString("optimizer.lr"));
        QVERIFY(items[0].second > items[1].second);
        QVERIFY(bars->emptyText().isEmpty());
        // The slice of the key that matters, chosen with the keyboard: every completed trial,
        // by lr, on a log axis.
        auto *sliceKey = namedChild<QComboBox>(panel.get(), "sweepSliceKey");
        auto *slice = namedChild<PlotWidget>(panel.get(), "sweepSlice");
        namedChild<QTabWidget>(panel.get(), "sweepTabs")->setCurrentIndex(1);
        QCOMPARE(sliceKey->currentText(), QString("model.dropout"));
        sliceKey->setFocus();
        QTest::keyClick(sliceKey, Qt::Key_Down);
        QCOMPARE(sliceKey->currentText(), QString("optimizer.lr"));
        QCOMPARE(slice->series().size(), std::size_t(1));
        QCOMPARE(slice->series()[0].points.size(), std::size_t(40));
        QVERIFY(slice->series()[0].points.front().x >= 1e-4);
        QVERIFY(
            panel->grab().save(QCoreApplication::applicationDirPath() + "/sweep_panel_slice.png"));
        auto *parallel = namedChild<SweepParallelView>(panel.get(), "sweepParallel");
        namedChild<QTabWidget>(panel.get(), "sweepTabs")->setCurrentWidget(parallel);
        const QString dir = QCoreApplication::applicationDirPath();
        QVERIFY(panel->grab().save(dir + "/sweep_panel_parallel.png"));
        QCOMPARE(parallel->drawnLines(), 40);
        namedChild<QTabWidget>(panel.get(), "sweepTabs")->setCurrentWidget(bars);
        QVERIFY(panel->grab().save(dir + "/sweep_panel_importance.png"));
    }

    void trialAddedWhileOpenAppears()
    {
        openStore();
        const auto id = smallSweep();
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 5));
        QVERIFY(addTrial(id, {.lr = 0.004, .value = 0.9}));
        QVERIFY(waitForTrials(*panel, 6));
        QVERIFY(addTrial(id, {.lr = 0.004, .state = track::TrialState::Running, .value = 0.5}));
        QVERIFY(waitForTrials(*panel, 7));
        auto *chooser = namedChild<QComboBox>(panel.get(), "sweepChooser");
        QTRY_COMPARE(chooser->currentText(), QString("lr-search · running · 6/8"));
        QCOMPARE(panel->snapshot().bestNumber, 5);
        QVERIFY(panel->trialModel()->trial(6).state == track::TrialState::Running);
        // A second sweep appears in the chooser, the shown one stays chosen.
        createSweep(3);
        QTRY_COMPARE(chooser->count(), 2);
        QCOMPARE(panel->sweepId(), id);
    }

    void newerStoresSweepsAreShown()
    {
        // A store a newer Lathe wrote opens read-only, its sweeps shown as they are.
        openStore();
        smallSweep();
        m_client.reset();
        m_sweeps.reset();
        m_runs.reset();
        {
            auto raw = track::sql::Database::open(m_db, 5000);
            QVERIFY(raw.has_value());
            const int future = track::RunStore::latestSchemaVersion() + 1;
            QVERIFY(raw->exec("PRAGMA user_version = " + std::to_string(future)).has_value());
        }
        m_client = std::make_unique<StoreClient>(m_db);
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 5));
        QCOMPARE(panel->snapshot().bestNumber, 1);
        // Stop through the store is refused: nothing is written to a newer Lathe's store.
        auto *stop = namedChild<QPushButton>(panel.get(), "stopSweep");
        QVERIFY(stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        auto *error = namedChild<QLabel>(panel.get(), "sweepError");
        QTRY_VERIFY(error->isVisible());
        QVERIFY2(error->text().startsWith("Cannot stop sweep 1:")
                     && error->text().contains("read-only"),
                 qPrintable(error->text()));
        QCOMPARE(shownStatus(*panel), QString("running"));
        QTRY_VERIFY(stop->isEnabled());
    }

    void sweepOfLatheCliAppearsLive()
    {
        // A sweep that lathe-cli runs in another process, as from a terminal: its trials show
        // up while the panel is open.
        openStore();
        auto panel = openPanel();
        const QString dir = m_dir->path();
        const json spec{
            {"name", "cli-lr"},
            {"base", LATHE_TEST_RESOURCES "/configs/fashion-cnn.json"},
            {"space", {{"optimizer.lr", {{"type", "log_uniform"}, {"low", 1e-3}, {"high", 3e-2}}}}},
            {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
            {"sampler", {{"name", "random"}, {"seed", 5}}},
            {"trials", 2}};
        QFile file(dir + "/cli-lr.json");
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(spec.dump()));
        file.close();
        QProcess cli;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", dir + "/data");
        cli.setProcessEnvironment(env);
        cli.start(LATHE_CLI_PATH,
                  {"sweep", file.fileName(), "--workers", "1", "--set", "data.subset=300", "--set",
                   "training.epochs=1", "--set", "model.widths=[8,16]", "--set",
                   "training.threads=1", "--set", "data.val_fraction=0.2", "--db",
                   QString::fromStdString(m_db.string())});
        auto *chooser = namedChild<QComboBox>(panel.get(), "sweepChooser");
        QTRY_COMPARE_WITH_TIMEOUT(chooser->count(), 1, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(panel->snapshot().completed, 2, 120000);
        // It may have ended while the event loop ran (waitForFinished is false then).
        QVERIFY(cli.state() == QProcess::NotRunning || cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        QTRY_COMPARE(chooser->currentText(), QString("cli-lr · finished · 2/2"));
        QCOMPARE(panel->trialModel()->rowCount(), 2);
        QVERIFY(panel->trialModel()->trial(0).runName.startsWith("cli-lr-t0"));
    }

    void trainBestConfigFillsTheForm()
    {
        openStore();
        smallSweep();
        m_client.reset();
        const auto config = std::filesystem::path(m_dir->path().toStdString()) / "small.json";
        std::ofstream(config) << train::RunConfig{}.toJson().dump(2);
        MainWindow window({m_db, config, false});
        window.resize(1366, 768);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *dock = window.dock("dock-sweeps");
        QVERIFY(dock);
        QCOMPARE(dock->windowTitle(), QString("Sweeps"));
        dock->raise();
        auto *panel = window.sweepPanel();
        QVERIFY(waitForTrials(*panel, 5));
        auto *button = namedChild<QPushButton>(panel, "trainBestConfig");
        QTRY_VERIFY(button->isEnabled());
        QTest::qWait(50);
        const QString shot = QCoreApplication::applicationDirPath() + "/sweep_panel.png";
        QVERIFY(window.grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        // The Sweeps dock keeps the window within a 1366×768 laptop's screen.
        const QSize least = window.minimumSizeHint();
        QVERIFY2(least.width() <= 1366 && least.height() <= 740,
                 qPrintable(QString("minimum %1x%2").arg(least.width()).arg(least.height())));
        // Brushing the upper half of the objective's axis selects the runs of 0.85 and 0.80.
        auto *parallel = namedChild<SweepParallelView>(panel, "sweepParallel");
        namedChild<QTabWidget>(panel, "sweepTabs")->setCurrentWidget(parallel);
        QTest::qWait(20);
        const int objective = 4;
        QTest::mousePress(parallel, Qt::LeftButton, {}, parallel->axisPoint(objective, 1.0));
        QTest::mouseMove(parallel, parallel->axisPoint(objective, 0.7));
        QTest::mouseMove(parallel, parallel->axisPoint(objective, 0.5));
        QTest::mouseRelease(parallel, Qt::LeftButton, {}, parallel->axisPoint(objective, 0.5));
        QCOMPARE(parallel->brushedRuns(), (QList<qint64>{2, 4}));
        QTRY_COMPARE(window.runsPanel()->selectedRunIds().size(), 2);
        auto selected = window.runsPanel()->selectedRunIds();
        std::sort(selected.begin(), selected.end());
        QCOMPARE(selected, (QList<qint64>{2, 4}));
        QVERIFY(window.grab().save(QCoreApplication::applicationDirPath()
                                   + "/sweep_panel_brushed.png"));
        // Enter on a trial in the table selects its run.
        auto *table = namedChild<QTableView>(panel, "sweepTrials");
        table->setFocus();
        table->setCurrentIndex(table->model()->index(3, 0));
        QTest::keyClick(table, Qt::Key_Return);
        QCOMPARE(window.runsPanel()->selectedRunIds(), (QList<qint64>{4}));
        // A click on the axis takes the brush away.
        QTest::mouseClick(parallel, Qt::LeftButton, {}, parallel->axisPoint(objective, 0.2));
        QVERIFY(parallel->brushedRuns().isEmpty());

        QTest::mouseClick(button, Qt::LeftButton);
        const auto form = window.hyperparamsPanel()->config();
        QCOMPARE(form.optimizer.lr, 0.003);
        QCOMPARE(form.optimizer.name, std::string("sgd"));
        QCOMPARE(form.training.batchSize, 96);
    }

    void contourDrawsTheObjectiveOverTwoKeys()
    {
        openStore();
        const auto id = createSweep(41);
        // The objective peaks at lr 3e-3 and falls with dropout.
        std::vector<double> values;
        for (int i = 0; i < 40; ++i) {
            const double lr = std::pow(10.0, -4.0 + 3.0 * spread(i, 1));
            const double dropout = 0.5 * spread(i, 2);
            values.push_back(0.9 - 0.15 * std::abs(std::log10(lr) + 2.5) - 0.3 * dropout);
            QVERIFY(addTrial(id, {.lr = lr,
                                  .dropout = dropout,
                                  .optimizer = spread(i, 3) < 0.5 ? "adamw" : "sgd",
                                  .batch = 32 * (1 + int(spread(i, 4) * 8)),
                                  .value = values.back()}));
        }
        QVERIFY(addTrial(
            id, {.lr = 0.02, .dropout = 0.4, .state = track::TrialState::Pruned, .value = 0.2}));
        auto panel = openPanel();
        QVERIFY(waitForTrials(*panel, 41));
        auto *tabs = namedChild<QTabWidget>(panel.get(), "sweepTabs");
        auto *contour = namedChild<SweepContourView>(panel.get(), "sweepContour");
        auto *x = namedChild<QComboBox>(panel.get(), "sweepContourX");
        auto *y = namedChild<QComboBox>(panel.get(), "sweepContourY");
        tabs->setCurrentWidget(contour->parentWidget());
        QCOMPARE(tabs->tabText(tabs->currentIndex()), QString("Contour"));
        // The first two keys at first; lr on X with the keyboard makes X and Y one key.
        QCOMPARE(x->currentText(), QString("model.dropout"));
        QCOMPARE(y->currentText(), QString("optimizer.lr"));
        x->setFocus();
        QTest::keyClick(x, Qt::Key_Down);
        QCOMPARE(x->currentText(), QString("optimizer.lr"));
        QCOMPARE(contour->message(), QString("Choose two different keys for X and Y."));
        y->setFocus();
        QTest::keyClick(y, Qt::Key_Up);
        QCOMPARE(y->currentText(), QString("model.dropout"));
        QVERIFY(contour->message().isEmpty());

        const QString dir = QCoreApplication::applicationDirPath();
        QVERIFY(panel->grab().save(dir + "/sweep_panel_contour.png"));
        const QImage image = contour->grab().toImage();
        QCOMPARE(contour->drawnDots(), 41); // the pruned trial too, hollow
        // The colour bar spans the completed trials' values.
        QCOMPARE(contour->low(), *std::ranges::min_element(values));
        QCOMPARE(contour->high(), *std::ranges::max_element(values));
        // lr on a log axis: 1e-3 a third of the way from 1e-4 to 1e-1.
        const double left = contour->plotPoint(1e-4, 0).x();
        const double right = contour->plotPoint(1e-1, 0).x();
        QVERIFY(std::abs(contour->plotPoint(1e-3, 0).x() - (left + (right - left) / 3)) <= 1.5);
        // Each completed trial's dot has its value's colour (a few may hide under others).
        int matching = 0;
        for (const auto &trial : panel->snapshot().trials) {
            if (trial.state != track::TrialState::Completed)
                continue;
            const QColor drawn
                = image.pixelColor(contour->plotPoint(trial.coords[1], trial.coords[0]));
            const QColor wanted = contour->colourOf(*trial.value);
            matching += std::abs(drawn.red() - wanted.red()) <= 3
                        && std::abs(drawn.green() - wanted.green()) <= 3
                        && std::abs(drawn.blue() - wanted.blue()) <= 3;
        }
        QVERIFY2(matching >= 36, qPrintable(QString::number(matching)));
        // The map between the dots is filled: no pixel of the plot is the background.
        const QPoint middle = contour->plotPoint(0.0316, 0.25);
        QVERIFY(image.pixelColor(middle) != contour->palette().base().color());

        // A choice key on Y: its two values are bands, named on the axis.
        QTest::keyClick(y, Qt::Key_Down);
        QTest::keyClick(y, Qt::Key_Down);
        QCOMPARE(y->currentText(), QString("optimizer.name"));
        QVERIFY(contour->message().isEmpty());
        const int bottom = contour->plotPoint(1e-3, -0.5).y();
        const int top = contour->plotPoint(1e-3, 1.5).y();
        QVERIFY(std::abs(contour->plotPoint(1e-3, 0).y() - (top + (bottom - top) * 0.75)) <= 1.5);
        QVERIFY(panel->grab().save(dir + "/sweep_panel_contour_choice.png"));
        qInfo("screenshots: %s/sweep_panel_contour.png, sweep_panel_contour_choice.png",
              qPrintable(dir));
    }

    void startStopAndResumeFromThePanel()
    {
        // "Start sweep…" runs the real lathe-cli on this store: the sweep appears and runs,
        // Stop ends it as stopped (SIGINT to the window's process), Resume goes on, and the
        // panel going (the window closing) stops the resumed sweep and waits for it.
        openStore();
        const QString spec = writeTinySpec("tiny-start", 8, 4);
        auto panel = openPanel();
        panel->setCliPath(LATHE_CLI_PATH);
        auto *start = namedChild<QPushButton>(panel.get(), "startSweep");
        auto *stop = namedChild<QPushButton>(panel.get(), "stopSweep");
        auto *resume = namedChild<QPushButton>(panel.get(), "resumeSweep");
        auto *error = namedChild<QLabel>(panel.get(), "sweepError");
        QVERIFY(start->isEnabled());
        QVERIFY(!stop->isEnabled());
        QVERIFY(!resume->isEnabled());
        bool picked = false;
        QTimer pick;
        connect(&pick, &QTimer::timeout, this, [&] {
            // The spec typed into the dialog's file name, and Return.
            for (auto *top : QApplication::topLevelWidgets()) {
                auto *dialog = qobject_cast<QFileDialog *>(top);
                auto *name = dialog ? dialog->findChild<QLineEdit *>("fileNameEdit") : nullptr;
                if (!name || !dialog->isVisible() || picked)
                    continue;
                picked = true;
                name->setText(spec);
                QTest::keyClick(name, Qt::Key_Return);
            }
        });
        pick.start(50);
        QTest::mouseClick(start, Qt::LeftButton);
        pick.stop();
        QVERIFY(picked);
        QVERIFY(!start->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(panel->snapshot().info.name, QString("tiny-start"), 30000);
        const qint64 id = panel->sweepId();
        QTRY_VERIFY_WITH_TIMEOUT(
            panel->trialModel()->rowCount() > 0 && panel->trialModel()->trial(0).runId != 0, 30000);
        QCOMPARE(shownStatus(*panel), QString("running"));
        QVERIFY(stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownStatus(*panel), QString("stopped"), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(start->isEnabled(), 10000);
        QVERIFY2(error->isHidden(), qPrintable(error->text()));
        QVERIFY(trialsTerminalOrReaskable(id));
        const int ended = panel->snapshot().info.done;
        QVERIFY(ended < 8);

        QTRY_VERIFY(resume->isEnabled());
        QTest::mouseClick(resume, Qt::LeftButton);
        QVERIFY(!resume->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(shownStatus(*panel), QString("running"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(panel->snapshot().info.done > ended, 40000);
        QVERIFY2(error->isHidden(), qPrintable(error->text()));
        QElapsedTimer closing;
        closing.start();
        panel.reset();
        QVERIFY2(closing.elapsed() < 5500, qPrintable(QString::number(closing.elapsed())));
        auto info = m_sweeps->sweep(id);
        QVERIFY(info.has_value());
        QCOMPARE(statusText(info->status), QString("stopped"));
        QVERIFY(trialsTerminalOrReaskable(id));
    }

    void stopThroughTheStoreEndsAnotherProcessesWorkers()
    {
        // A sweep started in a terminal (here a separate lathe-cli with two workers): Stop sets
        // its status in the store, its workers stop their trials and exit, every trial is
        // ended or left to be re-run; Resume (a process of the panel's) goes on with it.
        openStore();
        const QString spec = writeTinySpec("tiny-cli", 8, 4);
        auto panel = openPanel();
        panel->setCliPath(LATHE_CLI_PATH);
        QProcess cli;
        cli.start(LATHE_CLI_PATH,
                  {"sweep", spec, "--workers", "2", "--db", QString::fromStdString(m_db.string())});
        const auto bothTrain = [&] {
            const auto &trials = panel->snapshot().trials;
            return trials.size() >= 2 && trials[0].runId != 0 && trials[1].runId != 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(bothTrain(), 30000);
        const qint64 id = panel->sweepId();
        auto *stop = namedChild<QPushButton>(panel.get(), "stopSweep");
        QVERIFY(stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownStatus(*panel), QString("stopped"), 5000);
        QVERIFY(cli.waitForFinished(20000));
        QCOMPARE(cli.exitCode(), 0);
        const QString out = cli.readAllStandardOutput();
        QVERIFY2(out.contains(QString("sweep %1 stopped").arg(id)), qPrintable(out));
        QVERIFY(trialsTerminalOrReaskable(id));
        QCOMPARE(statusText(m_sweeps->sweep(id)->status), QString("stopped"));
        const int ended = panel->snapshot().info.done;

        auto *resume = namedChild<QPushButton>(panel.get(), "resumeSweep");
        QTRY_VERIFY(resume->isEnabled());
        QTest::mouseClick(resume, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownStatus(*panel), QString("running"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(panel->snapshot().info.done > ended, 40000);
        // Now the window's own process: Stop is SIGINT to it.
        QTRY_VERIFY(stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownStatus(*panel), QString("stopped"), 20000);
        QTRY_VERIFY(namedChild<QPushButton>(panel.get(), "startSweep")->isEnabled());
        QVERIFY(namedChild<QLabel>(panel.get(), "sweepError")->isHidden());
        QVERIFY(trialsTerminalOrReaskable(id));
    }

    void startReportsAMissingCliAndABadSpec()
    {
        openStore();
        auto panel = openPanel();
        auto *error = namedChild<QLabel>(panel.get(), "sweepError");
        panel->setCliPath({});
        panel->startSweep(m_dir->path() + "/none.json");
        QVERIFY(error->isVisible());
        QVERIFY2(error->text().startsWith("lathe-cli was not found"), qPrintable(error->text()));
        // The real lathe-cli refusing a spec file that is not there: its stderr's last lines.
        panel->setCliPath(LATHE_CLI_PATH);
        panel->startSweep(m_dir->path() + "/none.json");
        QVERIFY(error->isHidden());
        QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 20000);
        QVERIFY2(error->text().startsWith("lathe-cli sweep exited with code")
                     && error->text().contains("none.json"),
                 qPrintable(error->text()));
        QTRY_VERIFY(namedChild<QPushButton>(panel.get(), "startSweep")->isEnabled());
    }

    void thousandTrialsOpenAndRedrawFast()
    {
        openStore();
        const auto id = createSweep(1000);
        for (int i = 0; i < 1000; ++i) {
            const double lr = std::pow(10.0, -4.0 + 3.0 * spread(i, 1));
            const auto state = i % 10 == 3   ? track::TrialState::Pruned
                               : i % 25 == 7 ? track::TrialState::Failed
                                             : track::TrialState::Completed;
            QVERIFY(addTrial(id,
                             {.lr = lr,
                              .dropout = 0.5 * spread(i, 2),
                              .optimizer = spread(i, 3) < 0.5 ? "adamw" : "sgd",
                              .batch = 32 * (1 + int(spread(i, 4) * 8)),
                              .state = state,
                              .value = 0.9 - 0.2 * std::abs(std::log10(lr) + 2.5)},
                             1000));
        }
        QElapsedTimer timer;
        timer.start();
        // What the store thread does for a poll that finds a change, on this thread's stores.
        QVERIFY(readSweepSnapshot(*m_runs, *m_sweeps, id, 0).has_value());
        const qint64 readMs = timer.restart();
        auto panel = openPanel();
        QSignalSpy drawn(panel.get(), &SweepPanel::updated);
        QVERIFY(drawn.wait(10000));
        panel->grab();
        const qint64 openMs = timer.elapsed();
        auto *tabs = namedChild<QTabWidget>(panel.get(), "sweepTabs");
        qint64 worstRedraw = 0;
        for (int tab = 0; tab < tabs->count(); ++tab) {
            tabs->setCurrentIndex(tab);
            timer.restart();
            panel->grab();
            worstRedraw = std::max(worstRedraw, timer.elapsed());
        }
        QCOMPARE(panel->trialModel()->rowCount(), 1000);
        qInfo("1,000 trials: the snapshot read %lld ms; open (that read on the store thread "
              "+ first paint) %lld ms; worst redraw of a tab %lld ms",
              readMs, openMs, worstRedraw);
        // Generous bounds (the target is 100 ms on a desktop), so a busy machine does not flake.
        QVERIFY2(openMs < 2000, qPrintable(QString::number(openMs)));
        QVERIFY2(worstRedraw < 500, qPrintable(QString::number(worstRedraw)));
    }
};

LATHE_TEST_MAIN(TestSweepPanel)
#include "tst_sweep_panel.moc"
