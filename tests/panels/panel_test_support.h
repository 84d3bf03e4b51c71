// Helpers the panel and window tests share: screenshots for a person to look at, a click on the
// run toolbar's button, and a run's status read back from the store.
#pragma once

#include "core/track/run_store.h"
#include "panels/window/main_window.h"

#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QToolBar>
#include <QtTest>

#include <filesystem>

namespace lathe::testing {

/// Saves `widget` as LATHE_TEST_GRABS/<name>.png when that variable names a folder (made if
/// missing), after the layouts settle; does nothing without it.
inline void saveGrab(QWidget *widget, const QString &name)
{
    const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
    if (dir.isEmpty())
        return;
    QVERIFY(QDir().mkpath(dir));
    QTest::qWait(100);
    QVERIFY(widget->grab().save(QDir(dir).filePath(name + ".png")));
}

/// Replaces a line edit's (or spin box's) text by typing, as a person would: select all, delete,
/// type.
inline void retype(QWidget *edit, const QString &text)
{
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

/// Ticks (or unticks) `check` with a click on its box, as a person would.
inline void tick(QCheckBox *check)
{
    QTest::mouseClick(check, Qt::LeftButton, {}, QPoint(8, check->height() / 2));
}

/// Clicks the run toolbar's button for `action`, which must be enabled.
inline void clickToolButton(panels::MainWindow &window, QAction *action)
{
    auto *toolbar = window.findChild<QToolBar *>("toolbar-run");
    QVERIFY(toolbar);
    QWidget *button = toolbar->widgetForAction(action);
    QVERIFY(button && button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
}

/// The stored status of run `runId` in the store at `db` ("no store", "no run" when missing).
inline QString storedStatus(const std::filesystem::path &db, qint64 runId)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return "no store";
    auto run = (*store)->run(runId);
    return run ? QString::fromUtf8(track::toString(run->status)) : "no run";
}

} // namespace lathe::testing
