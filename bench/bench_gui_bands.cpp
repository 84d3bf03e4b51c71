// The curves panel's grouped view: 100 runs of 10,000 steps in 10 groups, a third of the runs
// ending early. Times the three steps of showing them as bands: copying the plotted points on
// the GUI thread (groupJobs), the aggregation on the worker (aggregateGroups, each band kind)
// and the redraw of the ten bands (PlotWidget::grab at 1366x768; target 100 ms).
//
//   bench_gui_bands [repeats=11]
#include "bench/bench_timing.h"
#include "panels/common/plot_widget.h"
#include "panels/common/run_colour.h"
#include "panels/curves/curve_groups.h"
#include "panels/curves/curve_set.h"

#include <QApplication>
#include <QFile>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentMap>

#include <cstdio>
#include <ctime>
#include <functional>
#include <numeric>
#include <random>

using namespace lathe;
using namespace lathe::panels;

namespace {

constexpr int kRuns = 100;
constexpr int kGroups = 10;
constexpr int kSteps = 10000;
constexpr double kTargetMs = 100;

// Median wall and CPU time of `body` (ms). The CPU time (the process's, every thread of the
// pool included) is what it costs whatever else shares the cores: on a loaded 2-core machine
// the wall time of the GUI-thread steps can be twice it.
struct Timing
{
    double wall = 0;
    double cpu = 0;
};

Timing timed(const std::function<void()> &body, int repeats)
{
    const auto cpuNow = [] {
        timespec t{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
    };
    std::vector<double> cpu;
    const double wall = bench::medianMs(
        [&] {
            const double start = cpuNow();
            body();
            cpu.push_back(cpuNow() - start);
        },
        repeats);
    return {wall, bench::median(std::vector(cpu.begin() + 1, cpu.end()))}; // less the warm-up
}

void report(const char *what, const Timing &t)
{
    std::printf("%-36s wall %8.2f ms, cpu %8.2f ms\n", what, t.wall, t.cpu);
    std::fflush(stdout);
}

QString cpuModel()
{
    QFile file(QStringLiteral("/proc/cpuinfo"));
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("unknown CPU");
    for (const QByteArray &line : file.readAll().split('\n'))
        if (line.startsWith("model name"))
            return QString::fromUtf8(line.mid(line.indexOf(':') + 1).trimmed());
    return QStringLiteral("unknown CPU");
}

// Every run's train/loss as a poll would bring it; runs 1, 4, 7, ... of a group stop early.
std::vector<RunUpdate> makeRuns()
{
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, 0.05);
    std::vector<RunUpdate> updates;
    for (int r = 0; r < kRuns; ++r) {
        const int steps = r % 3 == 1 ? kSteps * (5 + r % 5) / 10 : kSteps;
        SeriesUpdate series{TrainLoss, true, {}, 0, steps};
        CurveSamples &rows = series.rows;
        for (int i = 0; i < steps; ++i) {
            rows.step.push_back(i);
            rows.epoch.push_back(i / 100.0);
            rows.wallTime.push_back(1.7e9 + i);
            rows.value.push_back((2.0 + 0.1 * (r % kGroups)) / (1 + i * 1e-3) + noise(rng));
        }
        RunUpdate update;
        update.runId = r + 1;
        update.name = "run " + std::to_string(r + 1);
        update.series.push_back(std::move(series));
        updates.push_back(std::move(update));
    }
    return updates;
}

std::vector<CurveGroup> makeGroups()
{
    std::vector<CurveGroup> groups(kGroups);
    for (int r = 0; r < kRuns; ++r) {
        groups[r % kGroups].value = QStringLiteral("g%1").arg(r % kGroups);
        groups[r % kGroups].runIds.push_back(r + 1);
    }
    return groups;
}

std::vector<PlotSeries> drawn(const std::vector<GroupBand> &bands,
                              const std::vector<CurveGroup> &groups)
{
    std::vector<PlotSeries> out;
    for (const auto &band : bands) {
        const CurveGroup &group = groups[band.group];
        out.push_back(CurveGroups::bandSeries(
            CurveGroups::groupName(group), runColour(group.runIds.front()),
            std::make_shared<const std::vector<stats::BandPoint>>(band.points),
            int(group.runIds.size()), stats::Centre::Mean, false));
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int repeats = argc > 1 ? std::max(3, std::atoi(argv[1])) : 11;
    CurveSet curves;
    std::vector<std::int64_t> ids(kRuns);
    std::iota(ids.begin(), ids.end(), 1);
    curves.setRuns(ids);
    curves.apply(makeRuns());
    const auto groups = makeGroups();
    const int keys[] = {TrainLoss};
    std::printf("bench_gui_bands on %s (a pool of %d threads): %d runs x up to %d steps in %d "
                "groups, %d repeats\n",
                qPrintable(cpuModel()), QThreadPool::globalInstance()->maxThreadCount(), kRuns,
                kSteps, kGroups, repeats);

    std::vector<GroupJob> jobs;
    report("copy the plotted points (GUI)",
           timed([&] { jobs = groupJobs(curves, groups, keys); }, repeats));
    const std::pair<const char *, stats::Band> kinds[]
        = {{"aggregate, mean, std (pool)", stats::Band::Std},
           {"aggregate, mean, std error", stats::Band::StdError},
           {"aggregate, mean, min-max", stats::Band::MinMax},
           {"aggregate, mean, bootstrap 95%", stats::Band::Bootstrap95}};
    std::vector<GroupBand> bands;
    for (const auto &[name, kind] : kinds) {
        const GroupSettings settings{"repeat", stats::Centre::Mean, kind};
        const auto aggregate = [&] {
            bands = QtConcurrent::blockingMapped(
                jobs, [&](const GroupJob &job) { return aggregateGroup(job, settings); });
        };
        report(name, timed(aggregate, kind == stats::Band::Bootstrap95 ? 3 : repeats));
    }

    PlotWidget plot;
    plot.resize(1366, 768);
    plot.setTitle(QStringLiteral("Loss"));
    plot.setAxisTitles(QStringLiteral("step"), QStringLiteral("loss"));
    const auto redraw = [&](const std::vector<PlotSeries> &series) {
        return timed(
            [&] {
                plot.setSeries(series);
                plot.grab();
            },
            repeats);
    };
    const auto series = drawn(bands, groups);
    const Timing full = redraw(series);
    report("redraw 10 bands (grab 1366x768)", full);
    std::printf("  target %.0f ms: %4.2fx by wall time, %4.2fx by CPU time\n", kTargetMs,
                full.wall / kTargetMs, full.cpu / kTargetMs);
    auto lines = series; // the peer: the same centre lines without their bands
    for (auto &s : lines)
        s.band.clear();
    report("peer: the 10 lines alone", redraw(lines));
    plot.setXRange(2000, 2600);
    report("redraw zoomed in (steps 2000-2600)", redraw(series));
    return 0;
}
