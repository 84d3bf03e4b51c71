// Runs panel speed with 1,000 runs in the store (every third a fine-tune of the one before):
// open (first load applied), proxy sort by four columns and filter-as-you-type, each as
// median/p95 ms against the 100 ms target.
// Usage: bench_gui_runs [runs=1000] [repeats=9]

#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/runs_panel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

using namespace lathe;

namespace {

constexpr double kTargetMs = 100.0;

bool fillStore(const std::filesystem::path &db, int runs)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return false;
    std::mt19937 rng(7);
    const char *archs[] = {"mlp", "cnn", "resnet-mini", "vit-tiny"};
    const char *optimizers[] = {"sgd", "adam", "adamw", "rmsprop"};
    std::int64_t previous = 0;
    for (int i = 0; i < runs; ++i) {
        nlohmann::json config
            = {{"model", {{"arch", archs[rng() % 4]}, {"dropout", 0.1 * double(rng() % 5)}}},
               {"optimizer",
                {{"name", optimizers[rng() % 4]},
                 {"lr", std::pow(10.0, -1.0 - double(rng() % 40) / 10)},
                 {"weight_decay", 0.01 * double(rng() % 3)}}},
               {"training", {{"epochs", 5 + rng() % 20}, {"batch_size", 32 << (rng() % 4)}}}};
        // Every third run is a fine-tune of the one before (the Parent column names it).
        auto id = (*store)->createRun(
            {.name = "run-" + std::to_string(i),
             .configJson = config.dump(),
             .parentId = i % 3 == 2 ? std::optional(previous) : std::nullopt});
        if (!id)
            return false;
        previous = *id;
        std::vector<track::MetricPoint> points;
        std::uniform_real_distribution<double> acc(0.6, 0.92);
        for (int epoch = 1; epoch <= 5; ++epoch) {
            points.push_back({*id, "val/accuracy", epoch * 100, double(epoch), 0, acc(rng)});
            points.push_back({*id, "train/loss", epoch * 100, double(epoch), 0, 1.0 / epoch});
        }
        points.push_back({*id, "test/accuracy", 500, 5, 0, acc(rng)});
        if (!(*store)->addMetrics(points))
            return false;
        if (i % 10 == 0)
            (void)(*store)->addTag(*id, i % 20 == 0 ? "baseline" : "sweep");
    }
    return true;
}

struct Stats
{
    double median = 0;
    double p95 = 0;
};

Stats stats(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::size_t(q * double(ms.size() - 1) + 0.5)]; };
    return {at(0.5), at(0.95)};
}

void report(const char *what, const std::vector<double> &ms)
{
    const auto s = stats(ms);
    std::printf("%-28s median %7.2f ms  p95 %7.2f ms  (n=%zu)  p95/target %.3f\n", what, s.median,
                s.p95, ms.size(), s.p95 / kTargetMs);
}

double timeOpen(const std::filesystem::path &db, std::unique_ptr<panels::StoreClient> &client,
                std::unique_ptr<panels::RunsPanel> &panel)
{
    QElapsedTimer timer;
    timer.start();
    client = std::make_unique<panels::StoreClient>(db); // the window's, opened with it
    panel = std::make_unique<panels::RunsPanel>(*client);
    panel->show();
    while (!panel->model()->isLoaded())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    QCoreApplication::processEvents();
    return double(timer.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int runs = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 9;
    QTemporaryDir dir;
    const auto db = std::filesystem::path(dir.path().toStdString()) / "bench.db";
    QElapsedTimer fill;
    fill.start();
    if (!fillStore(db, runs)) {
        std::fprintf(stderr, "bench_gui_runs: cannot fill the store at %s\n", db.c_str());
        return 1;
    }
    std::printf("store: %d runs written in %.1f s\n", runs, double(fill.elapsed()) / 1000.0);

    std::vector<double> open;
    std::unique_ptr<panels::StoreClient> client;
    std::unique_ptr<panels::RunsPanel> panel;
    for (int i = 0; i < repeats; ++i) {
        panel.reset();
        open.push_back(timeOpen(db, client, panel));
    }
    panel->resize(1200, 800);
    panel->model()->setPollInterval(0);
    std::printf("rows: %d\n", panel->model()->rowCount());
    report("open (first load)", open);

    auto *table = panel->findChild<QTableView *>(QStringLiteral("runsTable"));
    const int columns[]
        = {panels::RunListModel::NameColumn, panels::RunListModel::CreatedColumn,
           panels::RunListModel::BestValAccuracyColumn, panels::RunListModel::ParentColumn};
    const char *names[] = {"sort by name", "sort by created", "sort by best val", "sort by parent"};
    for (int c = 0; c < 4; ++c) {
        std::vector<double> ms;
        for (int i = 0; i < repeats * 2; ++i) {
            QElapsedTimer timer;
            timer.start();
            table->sortByColumn(columns[c], i % 2 ? Qt::DescendingOrder : Qt::AscendingOrder);
            table->viewport()->repaint();
            ms.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
        report(names[c], ms);
    }

    // Typing "run-12" one key at a time, then clearing: the proxy refilters on each key.
    std::vector<double> filter;
    const QString typed = QStringLiteral("run-12");
    auto *filterEdit = panel->findChild<QLineEdit *>(QStringLiteral("runsFilter"));
    for (int i = 0; i < repeats; ++i) {
        for (int n = 1; n <= typed.size() + 1; ++n) {
            QElapsedTimer timer;
            timer.start();
            filterEdit->setText(n <= typed.size() ? typed.left(n) : QString());
            table->viewport()->repaint();
            filter.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
    }
    report("filter (per keystroke)", filter);

    // A poll that finds nothing new: the GUI-thread share of keeping the table live.
    std::vector<double> poll;
    for (int i = 0; i < repeats; ++i) {
        QElapsedTimer timer;
        timer.start();
        bool done = false;
        auto connection = QObject::connect(panel->model(), &panels::RunListModel::loaded,
                                           [&done] { done = true; });
        panel->model()->refresh();
        while (!done)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
        QObject::disconnect(connection);
        poll.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    report("poll round trip", poll);
    return 0;
}
