// Runs panel grouping with 1,000 runs in the store (4 optimizers x 4 widths, repeat groups of 5,
// a sweep, final metrics): group by one config key (cold: the configs read on the store thread;
// then warm, from the cache), by two keys, sort the groups by a metric column with every group
// open, and a poll that brings a new run into its group; each as median/p95 ms against the
// 100 ms target, with the CPU model.
// Usage: bench_gui_groups [runs=1000] [repeats=9]

#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/run_group_model.h"
#include "panels/runs/runs_panel.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTreeView>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

using namespace lathe;

namespace {

constexpr double kTargetMs = 100.0;

/// /proc/cpuinfo's "model name" (what lscpu calls Model name).
QString cpuModel()
{
    QFile file(QStringLiteral("/proc/cpuinfo"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return QStringLiteral("unknown");
    // Read whole: /proc files report a size of 0, so QFile::atEnd() is true from the start.
    for (const auto &line : QString::fromUtf8(file.readAll()).split(QLatin1Char('\n')))
        if (line.startsWith(QStringLiteral("model name")))
            return line.section(QLatin1Char(':'), 1).trimmed();
    return QStringLiteral("unknown");
}

/// One run of `group` (a repeat group of 5 runs sharing a config), with its final metrics.
bool addRun(track::RunStore &store, int i, std::mt19937 &rng)
{
    const int group = i / 5;
    const char *optimizers[] = {"sgd", "adam", "adamw", "rmsprop"};
    const std::vector<int> widths[] = {{64}, {128, 64}, {256, 128}, {512, 256}};
    nlohmann::json config
        = {{"model", {{"arch", "mlp"}, {"widths", widths[group / 4 % 4]}}},
           {"optimizer", {{"name", optimizers[group % 4]}, {"lr", 0.001 * (1 + group % 3)}}},
           {"training", {{"epochs", 10}, {"seed", i}, {"batch_size", 32 << (group % 3)}}}};
    auto id = store.createRun({.name = "run-" + std::to_string(i), .configJson = config.dump()});
    if (!id)
        return false;
    std::uniform_real_distribution<double> acc(0.80, 0.92);
    std::vector<track::MetricPoint> points;
    for (int epoch = 1; epoch <= 5; ++epoch) {
        points.push_back({*id, "val/accuracy", epoch * 100, double(epoch), 0, acc(rng)});
        points.push_back({*id, "train/loss", epoch * 100, double(epoch), 0, 1.0 / epoch});
    }
    points.push_back({*id, "test/accuracy", 500, 5, 0, acc(rng)});
    if (!store.addMetrics(points))
        return false;
    const std::string tag = i < 100 ? "sweep:1" : "repeat:g" + std::to_string(group);
    return store.addTag(*id, tag).has_value()
           && (i % 7 != 0 || store.addTag(*id, "baseline").has_value());
}

bool fillStore(track::RunStore &store, int runs)
{
    std::mt19937 rng(7);
    for (int i = 0; i < runs; ++i)
        if (!addRun(store, i, rng))
            return false;
    return true;
}

void report(const char *what, std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::size_t(q * double(ms.size() - 1) + 0.5)]; };
    std::printf("%-34s median %7.2f ms  p95 %7.2f ms  (n=%zu)  p95/target %.3f\n", what, at(0.5),
                at(0.95), ms.size(), at(0.95) / kTargetMs);
}

/// Chooses `key` in a "Group by" combo as a user picking it from the list, and times it until
/// the groups are applied and the tree painted.
double timeGroupBy(QComboBox *combo, const QString &key, panels::RunGroupModel *groups,
                   QTreeView *tree)
{
    bool done = false;
    auto connection
        = QObject::connect(groups, &panels::RunGroupModel::grouped, [&done] { done = true; });
    QElapsedTimer timer;
    timer.start();
    const int index = combo->findText(key);
    combo->setCurrentIndex(index);
    Q_EMIT combo->activated(index);
    while (!done && key != combo->itemText(0))
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    tree->viewport()->repaint();
    QObject::disconnect(connection);
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
    std::printf("cpu: %s\n", qPrintable(cpuModel()));
    QTemporaryDir dir;
    const auto db = std::filesystem::path(dir.path().toStdString()) / "bench.db";
    auto store = track::RunStore::open(db);
    QElapsedTimer fill;
    fill.start();
    if (!store || !fillStore(**store, runs)) {
        std::fprintf(stderr, "bench_gui_groups: cannot fill the store at %s\n", db.c_str());
        return 1;
    }
    std::printf("store: %d runs written in %.1f s\n", runs, double(fill.elapsed()) / 1000.0);

    panels::StoreClient client(db);
    panels::RunsPanel panel(client);
    panel.resize(1366, 768);
    panel.show();
    panel.model()->setPollInterval(0);
    while (!panel.model()->isLoaded())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    auto *groups = panel.findChild<panels::RunGroupModel *>(QStringLiteral("runGroupModel"));
    auto *tree = panel.findChild<QTreeView *>(QStringLiteral("runGroupsTree"));
    auto *first = panel.findChild<QComboBox *>(QStringLiteral("groupByCombo"));
    auto *second = panel.findChild<QComboBox *>(QStringLiteral("thenByCombo"));
    const QString none = first->itemText(0);
    const QString key = QStringLiteral("optimizer.name");
    const QString key2 = QStringLiteral("model.widths");

    const double cold = timeGroupBy(first, key, groups, tree);
    std::printf("groups: %d by %s, ", groups->rowCount(), qPrintable(key));
    std::vector<double> one, two, sort;
    for (int i = 0; i < repeats; ++i) {
        timeGroupBy(first, none, groups, tree);
        one.push_back(timeGroupBy(first, key, groups, tree));
        two.push_back(timeGroupBy(second, key2, groups, tree));
        tree->expandAll();
        for (const auto order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
            QElapsedTimer timer;
            timer.start();
            tree->sortByColumn(panels::RunListModel::TestAccuracyColumn, order);
            tree->viewport()->repaint();
            sort.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
        timeGroupBy(second, none, groups, tree);
    }
    timeGroupBy(second, key2, groups, tree);
    std::printf("%d by %s then %s\n", groups->rowCount(), qPrintable(key), qPrintable(key2));
    report("group by 1 key, configs read (cold)", {cold});
    report("group by 1 key (cached configs)", one);
    report("then by a 2nd key", two);
    report("sort groups by test acc (all open)", sort);

    // A poll that brings one new run: read on the store thread, then regrouped.
    std::vector<double> poll;
    std::mt19937 rng(11);
    for (int i = 0; i < repeats; ++i) {
        if (!addRun(**store, runs + i, rng))
            return 1;
        bool done = false;
        auto connection
            = QObject::connect(groups, &panels::RunGroupModel::grouped, [&done] { done = true; });
        QElapsedTimer timer;
        timer.start();
        panel.model()->refresh();
        while (!done)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
        tree->viewport()->repaint();
        QObject::disconnect(connection);
        poll.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    report("poll with a new run, regrouped", poll);
    return 0;
}
