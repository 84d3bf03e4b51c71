// The window fits the screen it opens on: at 1366×768, 1600×1000 and 2560×1440, on a first start
// and with a layout saved on a larger screen. Each screen is a child process of this test on
// the offscreen platform configured with that screen (offscreen:configfile=...), which prints
// what it sees: the screen's available geometry, the window's frame, its minimum size and
// whether every visible dock and the status bar lie inside the window.
#include "panels/window/main_window.h"
#include "panels/window/window_geometry.h"

#include <QtTest>
#include <QApplication>
#include <QDockWidget>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScreen>
#include <QStatusBar>

#include <cstdio>
#include <cstring>

using namespace lathe::panels;

namespace {

/// What the child saw, as JSON on one line of its output.
QJsonObject childReport(const MainWindow &window)
{
    const QRect available = window.screen()->availableGeometry();
    const QRect frame = window.frameGeometry();
    const QRect inside = window.rect();
    // Docks tabbed behind another are parked outside the window: only those shown count, and
    // the Runs panel (with its tabs) must be one of them.
    bool docksInside = !window.dock("dock-runs")->visibleRegion().isEmpty();
    for (auto *dock : window.findChildren<QDockWidget *>())
        if (!dock->visibleRegion().isEmpty() && !inside.contains(dock->geometry()))
            docksInside = false;
    const auto rect = [](const QRect &r) {
        return QJsonArray{r.x(), r.y(), r.width(), r.height()};
    };
    return {{"available", rect(available)},
            {"frame", rect(frame)},
            {"minimum",
             QJsonArray{window.minimumSizeHint().width(), window.minimumSizeHint().height()}},
            {"docksInside", docksInside},
            {"statusBarInside", inside.contains(window.statusBar()->geometry())}};
}

/// The child: opens the window with the saved layout (if any), reports, and with "save"
/// first makes it `saveWidth`×`saveHeight` and closes it, which saves the layout.
int childMain(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Lathe");
    QApplication::setApplicationName("lathe-window-geometry-test");
    QTemporaryDir dir;
    const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
    MainWindow window({db, LATHE_TEST_RESOURCES "/configs/fashion-cnn.json", true});
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return 2;
    QTest::qWait(100);
    if (std::strcmp(argv[2], "save") == 0) {
        window.setGeometry(40, 40, std::atoi(argv[3]), std::atoi(argv[4]));
        QTest::qWait(100);
        window.close();
    }
    std::printf("REPORT %s\n",
                QJsonDocument(childReport(window)).toJson(QJsonDocument::Compact).constData());
    return 0;
}

QRect rectOf(const QJsonValue &value)
{
    const auto a = value.toArray();
    return {a[0].toInt(), a[1].toInt(), a[2].toInt(), a[3].toInt()};
}

/// Runs the child on a `screen`-sized offscreen screen with settings in `settingsDir`.
QJsonObject runChild(const QSize &screen, const QString &settingsDir, const QStringList &args)
{
    QTemporaryFile config;
    if (!config.open())
        return {};
    const QJsonObject screenJson{{"name", "Screen"},
                                 {"x", 0},
                                 {"y", 0},
                                 {"width", screen.width()},
                                 {"height", screen.height()},
                                 {"logicalDpi", 96},
                                 {"logicalBaseDpi", 96},
                                 {"dpr", 1}};
    config.write(QJsonDocument(QJsonObject{{"screens", QJsonArray{screenJson}}}).toJson());
    config.flush();
    QProcess child;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen:configfile=" + config.fileName());
    env.insert("XDG_CONFIG_HOME", settingsDir);
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), QStringList{"--child"} + args);
    if (!child.waitForFinished(60000) || child.exitCode() != 0) {
        qWarning() << "child failed:" << child.readAllStandardError();
        return {};
    }
    for (const auto &line : child.readAllStandardOutput().split('\n'))
        if (line.startsWith("REPORT "))
            return QJsonDocument::fromJson(line.mid(7)).object();
    return {};
}

void verifyFits(const QJsonObject &report, const QSize &screen)
{
    QVERIFY2(!report.isEmpty(), "the child reported nothing");
    const QRect available = rectOf(report["available"]);
    QCOMPARE(available.size(), screen);
    const QRect frame = rectOf(report["frame"]);
    QVERIFY2(available.contains(frame),
             qPrintable(QString("frame %1,%2 %3x%4 is not inside the screen")
                            .arg(frame.x())
                            .arg(frame.y())
                            .arg(frame.width())
                            .arg(frame.height())));
    QVERIFY(report["docksInside"].toBool());
    QVERIFY(report["statusBarInside"].toBool());
    // A 1366×768 laptop with a desktop panel has about 740 pixels of height.
    const auto minimum = report["minimum"].toArray();
    QVERIFY2(minimum[0].toInt() <= 1366 && minimum[1].toInt() <= 740,
             qPrintable(QString("minimum %1x%2").arg(minimum[0].toInt()).arg(minimum[1].toInt())));
}

} // namespace

class TstWindowGeometry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fittedGeometry_data()
    {
        QTest::addColumn<QRect>("available");
        QTest::addColumn<QRect>("saved");
        QTest::addColumn<QSize>("minimum");
        QTest::addColumn<QRect>("expected");
        const QRect laptop(0, 28, 1366, 740);
        QTest::newRow("first start: 90% centred")
            << laptop << QRect() << QSize(400, 300) << QRect(68, 65, 1229, 666);
        QTest::newRow("saved and fits")
            << laptop << QRect(10, 40, 1000, 600) << QSize(400, 300) << QRect(10, 40, 1000, 600);
        QTest::newRow("saved taller than the screen")
            << laptop << QRect(0, 0, 1440, 1417) << QSize(400, 300) << QRect(68, 65, 1229, 666);
        QTest::newRow("saved off the screen")
            << laptop << QRect(1400, 40, 800, 600) << QSize(400, 300) << QRect(68, 65, 1229, 666);
        QTest::newRow("saved smaller than the minimum")
            << laptop << QRect(10, 40, 300, 200) << QSize(400, 300) << QRect(68, 65, 1229, 666);
        QTest::newRow("minimum above 90%")
            << QRect(0, 0, 1000, 800) << QRect() << QSize(950, 780) << QRect(25, 10, 950, 780);
        QTest::newRow("minimum above the screen")
            << QRect(0, 0, 800, 600) << QRect() << QSize(900, 700) << QRect(0, 0, 800, 600);
        QTest::newRow("second screen") << QRect(1920, 0, 2560, 1440) << QRect() << QSize(400, 300)
                                       << QRect(2048, 72, 2304, 1296);
    }

    void fittedGeometry()
    {
        QFETCH(QRect, available);
        QFETCH(QRect, saved);
        QFETCH(QSize, minimum);
        QFETCH(QRect, expected);
        QCOMPARE(lathe::panels::fittedGeometry(available, saved, minimum), expected);
    }

    void opensInsideTheScreen_data()
    {
        QTest::addColumn<QSize>("screen");
        QTest::newRow("1366x768") << QSize(1366, 768);
        QTest::newRow("1600x1000") << QSize(1600, 1000);
        QTest::newRow("2560x1440") << QSize(2560, 1440);
    }

    void opensInsideTheScreen()
    {
        QFETCH(QSize, screen);
        QTemporaryDir settings;
        verifyFits(runChild(screen, settings.path(), {"open"}), screen);
    }

    void restoresASavedLayoutOnlyWhereItFits_data()
    {
        QTest::addColumn<QSize>("savedOn");
        QTest::addColumn<QSize>("savedSize");
        QTest::addColumn<QSize>("openedOn");
        QTest::addColumn<bool>("restored");
        QTest::newRow("2560x1440 on 1366x768")
            << QSize(2560, 1440) << QSize(2400, 1300) << QSize(1366, 768) << false;
        QTest::newRow("1600x1000 on 1600x1000")
            << QSize(1600, 1000) << QSize(1200, 800) << QSize(1600, 1000) << true;
    }

    void restoresASavedLayoutOnlyWhereItFits()
    {
        QFETCH(QSize, savedOn);
        QFETCH(QSize, savedSize);
        QFETCH(QSize, openedOn);
        QFETCH(bool, restored);
        QTemporaryDir settings;
        const auto saved = runChild(
            savedOn, settings.path(),
            {"save", QString::number(savedSize.width()), QString::number(savedSize.height())});
        QVERIFY(!saved.isEmpty());
        const auto opened = runChild(openedOn, settings.path(), {"open"});
        verifyFits(opened, openedOn);
        QCOMPARE(rectOf(opened["frame"]) == rectOf(saved["frame"]), restored);
    }
};

int main(int argc, char **argv)
{
    if (argc > 2 && std::strcmp(argv[1], "--child") == 0)
        return childMain(argc, argv);
    QApplication app(argc, argv);
    TstWindowGeometry test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_window_geometry.moc"
