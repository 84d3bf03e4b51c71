// lathe: the workbench window. Wiring only: the window is panels/window/MainWindow.
#include "core/plugin/loader.h"
#include "core/privacy/install.h"
#include "core/robust/install.h"
#include "core/util/allocator.h"
#include "core/util/build_info.h"
#include "core/util/log.h"
#include "core/util/paths.h"
#include "panels/log/log_sink.h"
#include "panels/window/main_window.h"
#include "panels/window/screenshot_tour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace {
/// Steps of the run the screenshots show: enough for curves with shape, a minute or so here.
constexpr qint64 kScreenshotSteps = 600;
} // namespace

int main(int argc, char **argv)
{
    // Before QApplication, which needs a display: the version answers in any terminal.
    for (int i = 1; i < argc; ++i)
        if (!std::strcmp(argv[i], "--version") || !std::strcmp(argv[i], "-v")) {
            std::printf("lathe %s\n", lathe::util::latheVersionString().c_str());
            return 0;
        }
    lathe::util::configureAllocator();
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Lathe");
    QApplication::setApplicationName("Lathe");
    QApplication::setApplicationVersion(QString::fromStdString(lathe::util::latheVersionString()));
    // The installed .desktop entry's name (packaging/): Wayland shells match the window to it.
    QGuiApplication::setDesktopFileName(QString::fromStdString(lathe::util::latheAppId()));

    QCommandLineParser parser;
    parser.setApplicationDescription("Lathe: train, watch and compare neural networks.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption db("db",
                                "The experiment store (default: $LATHE_DB, else "
                                "$XDG_DATA_HOME/lathe/lathe.db).",
                                "path");
    const QCommandLineOption config("config",
                                    "The experiment shown at start (default: the "
                                    "Fashion-MNIST CNN).",
                                    "path");
    const QCommandLineOption quitWhenReady("quit-when-ready",
                                           "Quit as soon as the window is shown (start-up "
                                           "benchmark).");
    const QCommandLineOption screenshots("screenshots",
                                         "Train the shown config for a few steps, save the "
                                         "window and each panel as PNGs in DIR, and quit.",
                                         "dir");
    const QCommandLineOption pluginDir("plugin-dir",
                                       "A folder of plugins to load (repeatable), besides "
                                       "$LATHE_PLUGIN_PATH and the user's plugins folder.",
                                       "dir");
    parser.addOptions({db, config, quitWhenReady, screenshots, pluginDir});
    parser.process(app);

    lathe::util::setupLogging(lathe::util::dataDir() / "logs", "warn");
    lathe::panels::LogSink::install();
    std::vector<std::filesystem::path> pluginDirs;
    for (const auto &dir : parser.values(pluginDir))
        pluginDirs.emplace_back(dir.toStdString());
    // Before the window: the hyperparameter form lists what plugins register.
    lathe::plugin::loadPlugins(lathe::plugin::pluginDirs(pluginDirs));
    lathe::privacy::installDpSgd();              // the "privacy" config section
    lathe::robust::installAdversarialTraining(); // the "adversarial" config section

    lathe::panels::WorkbenchOptions options;
    options.db = parser.isSet(db) ? std::filesystem::path(parser.value(db).toStdString())
                                  : lathe::util::defaultDbPath();
    options.defaultConfig = parser.isSet(config)
                                ? std::filesystem::path(parser.value(config).toStdString())
                                : lathe::util::resourceDir() / "configs" / "fashion-cnn.json";
    lathe::panels::MainWindow window(options);
    window.show();
    if (parser.isSet(screenshots)) {
        auto *tour = new lathe::panels::ScreenshotTour(window, QDir(parser.value(screenshots)),
                                                       kScreenshotSteps);
        QTimer::singleShot(500, tour, &lathe::panels::ScreenshotTour::start);
    }
    if (parser.isSet(quitWhenReady))
        QTimer::singleShot(0, &app, &QApplication::quit);
    return QApplication::exec();
}
