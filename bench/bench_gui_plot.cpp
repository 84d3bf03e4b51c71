// PlotWidget redraw time with 20 runs of 100,000 points each (the live-curves target: a redraw
// after a zoom, a pan or a smoothing change within 100 ms), against a peer: the same series
// drawn point by point with QPainter and no level of detail.
//
//   bench_gui_plot [repeats=21]
#include "panels/common/ema.h"
#include "panels/common/plot_widget.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

using lathe::panels::PlotSeries;
using lathe::panels::PlotWidget;
using lathe::track::SeriesPoint;

namespace {

constexpr int kSeries = 20;
constexpr int kPoints = 100000;
constexpr double kTargetMs = 100;

std::vector<std::vector<SeriesPoint>> makeRuns()
{
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, 0.05);
    std::vector<std::vector<SeriesPoint>> runs(kSeries);
    for (int r = 0; r < kSeries; ++r) {
        runs[r].resize(kPoints);
        for (int i = 0; i < kPoints; ++i)
            runs[r][i] = {double(i), (2.0 + 0.1 * r) / (1 + i * 1e-4) + noise(rng)};
    }
    return runs;
}

std::vector<PlotSeries> plotSeries(const std::vector<std::vector<SeriesPoint>> &runs,
                                   double smoothing)
{
    std::vector<PlotSeries> out;
    for (int r = 0; r < kSeries; ++r) {
        const QColor color = QColor::fromHsv(r * 360 / kSeries, 200, 200);
        const QString name = QStringLiteral("run %1").arg(r);
        if (smoothing > 0) {
            auto smooth = lathe::panels::smoothEma(runs[r], smoothing);
            out.push_back({name, color, std::move(smooth), false, false});
            out.push_back({name, color, runs[r], false, true});
        } else {
            out.push_back({name, color, runs[r], false, false});
        }
    }
    return out;
}

struct Stats
{
    double median = 0;      ///< wall-clock ms
    double p95 = 0;
    double cpuMedian = 0;   ///< ms of this thread's CPU time: what the redraw costs on an idle
                            ///< machine, whatever else shares the cores
};

double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

Stats measure(int repeats, const std::function<void(int)> &once)
{
    std::vector<double> wall, cpu;
    for (int i = 0; i < repeats; ++i) {
        QElapsedTimer timer;
        timer.start();
        const double cpu0 = threadCpuMs();
        once(i);
        cpu.push_back(threadCpuMs() - cpu0);
        wall.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    const auto p95 = std::min(std::size_t(std::ceil(0.95 * double(wall.size()))) - 1,
                              wall.size() - 1);
    return {wall[wall.size() / 2], wall[p95], cpu[cpu.size() / 2]};
}

void report(const char *what, const Stats &s, std::size_t drawn)
{
    std::printf("%-32s wall median %7.2f ms, p95 %7.2f ms (%4.2fx the 100 ms target); "
                "cpu median %7.2f ms; %zu points drawn\n",
                what, s.median, s.p95, s.p95 / kTargetMs, s.cpuMedian, drawn);
    std::fflush(stdout);
}

// The peer: every stored point through QPainter, as a chart without level of detail would.
double drawEverything(const std::vector<std::vector<SeriesPoint>> &runs, QImage &image)
{
    QElapsedTimer timer;
    timer.start();
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    QPolygonF line(kPoints);
    for (int r = 0; r < kSeries; ++r) {
        QPen pen(QColor::fromHsv(r * 360 / kSeries, 200, 200), 1.0); // PlotWidget's pen
        pen.setCosmetic(true);
        p.setPen(pen);
        for (int i = 0; i < kPoints; ++i)
            line[i] = QPointF(60 + runs[r][i].x / kPoints * 1120, 650 - runs[r][i].y * 200);
        p.drawPolyline(line);
    }
    return timer.nsecsElapsed() / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int repeats = argc > 1 ? std::max(3, std::atoi(argv[1])) : 21;
    const auto runs = makeRuns();
    PlotWidget plot;
    plot.resize(1200, 700);
    plot.setTitle(QStringLiteral("Loss"));
    plot.setAxisTitles(QStringLiteral("step"), QStringLiteral("loss"));
    plot.setSeries(plotSeries(runs, 0));
    QImage image(plot.size(), QImage::Format_ARGB32_Premultiplied);
    auto redraw = [&] { plot.render(&image); };
    redraw(); // warm up

    std::printf("PlotWidget 1200x700, %d series x %d points, %d repeats\n", kSeries, kPoints,
                repeats);
    Stats stats = measure(repeats, [&](int) {
        plot.resetView();
        redraw();
    });
    report("full view", stats, plot.drawnPoints());
    stats = measure(repeats, [&](int i) {
        const double span = kPoints / std::pow(1.25, i % 12 + 1);
        plot.setXRange(30000 - span / 2, 30000 + span / 2);
        redraw();
    });
    report("zoom (around x = 30000)", stats, plot.drawnPoints());
    stats = measure(repeats, [&](int i) {
        plot.setXRange(50000 + i, 50000 + i + 800);
        redraw();
    });
    report("zoom far in (all points drawn)", stats, plot.drawnPoints());
    stats = measure(repeats, [&](int i) {
        plot.setXRange(i * 1000, i * 1000 + kPoints / 2);
        redraw();
    });
    report("pan (half the data in view)", stats, plot.drawnPoints());
    plot.resetView();
    stats = measure(repeats, [&](int i) {
        plot.setSeries(plotSeries(runs, 0.5 + 0.02 * (i % 20)));
        redraw();
    });
    report("smoothing change (EMA + redraw)", stats, plot.drawnPoints());

    std::vector<double> peer, peerCpu;
    for (int i = 0; i < 3; ++i) {
        const double cpu0 = threadCpuMs();
        peer.push_back(drawEverything(runs, image));
        peerCpu.push_back(threadCpuMs() - cpu0);
    }
    std::sort(peer.begin(), peer.end());
    std::sort(peerCpu.begin(), peerCpu.end());
    std::printf("peer: all %d points, no LOD     wall median %7.2f ms; cpu median %7.2f ms\n",
                kSeries * kPoints, peer[1], peerCpu[1]);
    return 0;
}
