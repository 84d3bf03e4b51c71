// GUI responsiveness while a run trains: the workbench window trains the default Fashion-MNIST
// experiment in this process (real data, real store) while a 10 ms timer on the GUI thread
// measures how late the event loop serves it. Prints the lateness distribution (target: p99
// <= 30 ms). Usage: bench_gui_latency [seconds=30] [db folder=temp]
#include "panels/window/main_window.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace lathe::panels;

namespace {

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto at = std::size_t(p * double(values.size() - 1) + 0.5);
    return values[std::min(at, values.size() - 1)];
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const int seconds = argc > 1 ? std::max(5, std::atoi(argv[1])) : 30;
    QTemporaryDir dir;
    const std::filesystem::path db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";

    MainWindow window({db, LATHE_BENCH_CONFIG, false});
    window.resize(1440, 900);
    window.show();

    constexpr int kIntervalMs = 10;
    std::vector<double> lateness;
    QElapsedTimer clock;
    double expected = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(kIntervalMs);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const double now = double(clock.nsecsElapsed()) / 1e6;
        lateness.push_back(std::max(0.0, now - expected));
        expected = now + kIntervalMs;
    });
    QObject::connect(&window.session(), &RunSession::runCreated, [&] {
        // Measure from the first training step on: preparing (loading data) is not steady state.
        QTimer::singleShot(2000, [&] {
            clock.start();
            expected = kIntervalMs;
            probe.start();
            QTimer::singleShot(seconds * 1000, [&] {
                probe.stop();
                window.session().stop();
            });
        });
    });
    QObject::connect(&window.session(), &RunSession::finished, &app, &QApplication::quit);
    QObject::connect(&window.session(), &RunSession::failed, [&](const QString &message) {
        std::fprintf(stderr, "run failed: %s\n", qPrintable(message));
        app.exit(1);
    });
    QTimer::singleShot(500, [&] { window.startAction()->trigger(); });
    if (app.exec() != 0)
        return 1;

    std::printf("GUI event-loop lateness over %d s of training (%zu timer ticks, %d ms timer)\n",
                seconds, lateness.size(), kIntervalMs);
    std::printf("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (target p99 <= 30 ms: %s)\n",
                percentile(lateness, 0.5), percentile(lateness, 0.9), percentile(lateness, 0.99),
                percentile(lateness, 1.0), percentile(lateness, 0.99) <= 30 ? "met" : "NOT met");
    std::printf("  last status: %s\n", qPrintable(window.statusText()));
    return 0;
}
