// File → Import runs…: a TensorBoard log folder chosen in the dialog, imported off the GUI
// thread, the damaged record named with its offset, the Runs list showing the runs after.
#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/import_runs_dialog.h"
#include "panels/window/main_window.h"
#include "tests/core/interop/event_file_writer.h"

#include "named_child.h"
#include "tests/test_registry.h"

#include <QApplication>
#include <QComboBox>
#include <QFileDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;
using namespace lathe::testing;
namespace fs = std::filesystem;

namespace {

// Two runs: "a" with 300 steps and its record of step 150 damaged, "b" with 50 steps.
std::int64_t writeLogs(const fs::path &logs)
{
    EventFileBuilder a;
    a.add(fileVersionEvent(1.6e9));
    for (int step = 0; step < 300; ++step)
        a.scalar(1.6e9 + step, step, "train/loss", 2.0f / float(step + 1));
    const auto damaged = a.offsets()[151];
    a.bytes()[std::size_t(damaged) + 13] ^= 0x10;
    a.write(logs / "a" / "events.out.tfevents.1600000000.host");
    EventFileBuilder b;
    for (int step = 0; step < 50; ++step)
        b.scalar(1.6e9 + step, step, "val/accuracy", 0.01f * float(step));
    b.write(logs / "b" / "events.out.tfevents.1600000000.host");
    return damaged;
}

QAction *fileMenuAction(MainWindow &window, const QString &text)
{
    for (auto *top : window.menuBar()->actions())
        if (top->text() == "&File")
            for (auto *item : top->menu()->actions())
                if (item->text() == text)
                    return item;
    return nullptr;
}

} // namespace

class TestImportRuns : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void importsAFolderFromTheFileMenu()
    {
        QTemporaryDir dir;
        const fs::path root(dir.path().toStdString());
        const auto logs = root / "tb-logs";
        const auto damaged = writeLogs(logs);
        const auto db = root / "lathe.db";
        MainWindow window({db, LATHE_TEST_RESOURCES "/configs/fashion-cnn.json", false});
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        auto *model = window.runsPanel()->model();
        QTRY_VERIFY(model->isLoaded());
        QCOMPARE(model->rowCount(), 0);
        const auto opensBefore = track::RunStore::opensOnThisThread();

        // In the File menu, with its shortcut; the shortcut opens the dialog.
        auto *action = fileMenuAction(window, "&Import runs…");
        QVERIFY(action);
        QCOMPARE(action->objectName(), QString("importRunsAction"));
        QTest::keyClick(&window, Qt::Key_I, Qt::ControlModifier | Qt::ShiftModifier);
        ImportRunsDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<ImportRunsDialog *>("importRunsDialog")));
        QVERIFY(QTest::qWaitForWindowExposed(dialog));

        // Folder… asks for a folder; choosing it fills the path.
        QTest::mouseClick(namedChild<QPushButton>(dialog, "importBrowseFolder"), Qt::LeftButton);
        auto *files = namedChild<QFileDialog>(dialog, "importFolderDialog");
        QCOMPARE(files->fileMode(), QFileDialog::Directory);
        const QString folder = QString::fromStdString(logs.string());
        files->setDirectory(folder);
        files->selectFile(folder);
        static_cast<QDialog *>(files)->accept(); // as its Choose button does
        auto *path = namedChild<QLineEdit>(dialog, "importPath");
        QCOMPARE(path->text(), folder);

        // Import: on a worker (the GUI thread opens no store), the button off meanwhile.
        auto *start = namedChild<QPushButton>(dialog, "importStart");
        auto *results = namedChild<QPlainTextEdit>(dialog, "importResults");
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(!start->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(start->isEnabled(), 30000);
        const QString text = results->toPlainText();
        QVERIFY2(text.contains("2 run(s) imported, 0 skipped"), qPrintable(text));
        QVERIFY2(text.contains(QString("byte %1: bad data checksum").arg(damaged)),
                 qPrintable(text));
        QVERIFY2(text.contains("299 samples"), qPrintable(text));
        auto *progress = namedChild<QProgressBar>(dialog, "importProgress");
        QCOMPARE(progress->value(), progress->maximum());
        QCOMPARE(track::RunStore::opensOnThisThread(), opensBefore);

        // The Runs list shows them (refreshed at once, not at its next poll).
        QTRY_COMPARE(model->rowCount(), 2);
        QStringList names;
        for (int row = 0; row < model->rowCount(); ++row)
            names << model->index(row, RunListModel::NameColumn).data().toString();
        names.sort();
        QCOMPARE(names, (QStringList{"a", "b"}));

        // Again: nothing new, each run found by its import tag.
        QTest::mouseClick(start, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(start->isEnabled(), 30000);
        QVERIFY2(results->toPlainText().contains("0 run(s) imported, 2 skipped"),
                 qPrintable(results->toPlainText()));
        QCOMPARE(model->rowCount(), 2);

        // A path that holds no runs: the error in the dialog, nothing stored.
        path->clear();
        path->setFocus();
        QTest::keyClicks(path, QString::fromStdString((root / "nothing-here").string()));
        QTest::keyClick(path, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(start->isEnabled(), 30000);
        QVERIFY2(results->toPlainText().contains("Import failed:")
                     && results->toPlainText().contains("no such file or folder"),
                 qPrintable(results->toPlainText()));
        dialog->close();
    }
};

LATHE_TEST_MAIN(TestImportRuns)
#include "tst_import_runs.moc"
