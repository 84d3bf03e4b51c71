// The export dialog on a real store with a tiny real run: options chosen through the widgets,
// the export run on its worker thread, the outcome (files, parity, compression) and errors.

#include "../tiny_run.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/export_dialog.h"
#include "panels/runs/runs_panel.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"

#include <QDesktopServices>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

namespace {

constexpr int kExportTimeoutMs = 120000;

// With LATHE_TEST_GRABS=<dir>, saves a picture of `widget` there as <name>.png.
void grab(QWidget *widget, const QString &name)
{
    const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    QVERIFY(widget->grab().save(QDir(dir).filePath(name + ".png")));
}

// Picks `text` in `combo` with the keyboard, as a user would.
void chooseWithKeys(QComboBox *combo, const QString &text)
{
    combo->setFocus();
    const int target = combo->findText(text);
    QVERIFY2(target >= 0, qPrintable(text));
    QTest::keyClick(combo, Qt::Key_Home);
    for (int i = 0; i < combo->count() && combo->currentIndex() != target; ++i)
        QTest::keyClick(combo, Qt::Key_Down);
    QCOMPARE(combo->currentText(), text);
}

// Replaces the text of `edit` by typing.
void typeInto(QWidget *edit, const QString &text)
{
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(edit, Qt::Key_Delete);
    QTest::keyClicks(edit, text);
}

// Stands in for the desktop's file manager (QDesktopServices::setUrlHandler).
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public Q_SLOTS:
    void open(const QUrl &url) { urls.push_back(url); }
};

} // namespace

class TestExportDialog : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::int64_t m_run = 0;

    std::unique_ptr<ExportDialog> openDialog()
    {
        auto dialog = std::make_unique<ExportDialog>(m_db, m_run, QStringLiteral("tiny run"));
        dialog->show();
        return dialog;
    }

    // Presses Export and waits for the export to end; fails with the dialog's status if it
    // does not end in `expected`.
    static void exportAndWait(ExportDialog &dialog, ExportDialog::State expected)
    {
        QVERIFY(namedChild<QPushButton>(&dialog, "exportStart")->isEnabled());
        QSignalSpy ended(&dialog, &ExportDialog::exportEnded);
        QTest::mouseClick(namedChild<QPushButton>(&dialog, "exportStart"), Qt::LeftButton);
        QCOMPARE(dialog.state(), ExportDialog::State::Running);
        // Nothing can be changed or started again while it runs.
        QVERIFY(!namedChild<QPushButton>(&dialog, "exportStart")->isEnabled());
        QVERIFY(!namedChild<QComboBox>(&dialog, "exportFormat")->isEnabled());
        QCOMPARE(namedChild<QPushButton>(&dialog, "exportClose")->text(), QStringLiteral("Cancel"));
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, kExportTimeoutMs);
        QVERIFY2(dialog.state() == expected, qPrintable(dialog.statusText()));
        QCOMPARE(namedChild<QPushButton>(&dialog, "exportClose")->text(), QStringLiteral("Close"));
        QVERIFY(namedChild<QPushButton>(&dialog, "exportStart")->isEnabled());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "store.db";
        m_run = lathe::testing::trainRun(m_db, lathe::testing::tinyConfig(), "tiny run");
    }

    void listsCheckpointsAndDefaultsTheFolder()
    {
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        QStringList checkpoints;
        for (int i = 0; i < namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count(); ++i)
            checkpoints.push_back(
                namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->itemText(i));
        QVERIFY2(checkpoints.contains(QStringLiteral("best")), qPrintable(checkpoints.join(',')));
        QVERIFY(checkpoints.contains(QStringLiteral("last")));
        QCOMPARE(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->currentText(),
                 QStringLiteral("best"));

        const QString exports = QDir::cleanPath(m_dir.path() + QStringLiteral("/exports"));
        const QString first = namedChild<QComboBox>(dialog.get(), "exportFormat")->currentText();
        QCOMPARE(namedChild<QLineEdit>(dialog.get(), "exportFolder")->text(),
                 exports + QStringLiteral("/tiny_run-") + first);
        // The default folder follows the format until the user types one.
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"), QStringLiteral("onnx"));
        QCOMPARE(namedChild<QLineEdit>(dialog.get(), "exportFolder")->text(),
                 exports + QStringLiteral("/tiny_run-onnx"));
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"),
                 m_dir.path() + QStringLiteral("/mine"));
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"),
                       QStringLiteral("safetensors"));
        QCOMPARE(namedChild<QLineEdit>(dialog.get(), "exportFolder")->text(),
                 m_dir.path() + QStringLiteral("/mine"));
    }

    void exportsSafetensorsAndShowsTheOutcome()
    {
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"),
                       QStringLiteral("safetensors"));
        const QString folder = namedChild<QLineEdit>(dialog.get(), "exportFolder")->text();
        exportAndWait(*dialog, ExportDialog::State::Done);
        if (QTest::currentTestFailed())
            return;

        const auto files = dialog->files();
        QVERIFY(!files.isEmpty());
        bool weights = false;
        for (const auto &file : files) {
            QVERIFY2(QFileInfo(file).isFile(), qPrintable(file));
            QCOMPARE(QFileInfo(file).absolutePath(), QFileInfo(folder).absoluteFilePath());
            weights = weights || file.endsWith(QStringLiteral(".safetensors"));
        }
        QVERIFY(weights);
        QVERIFY(QFileInfo(folder + QStringLiteral("/MODEL_CARD.md")).isFile());
        auto *list = dialog->findChild<QListWidget *>(QStringLiteral("exportFiles"));
        QVERIFY(list && list->isVisible());
        QCOMPARE(list->count(), int(files.size()));
        QVERIFY2(dialog->parityText().startsWith(QStringLiteral("Parity: passed")),
                 qPrintable(dialog->parityText()));
        QVERIFY(dialog->parityText().contains(QStringLiteral("tolerance")));
        QVERIFY(dialog->compressionText().isEmpty());
        QCOMPARE(namedChild<QProgressBar>(dialog.get(), "exportProgress")->value(),
                 namedChild<QProgressBar>(dialog.get(), "exportProgress")->maximum());
        grab(dialog.get(), QStringLiteral("export-dialog-done"));
    }

    void exportsEveryFormat_data()
    {
        QTest::addColumn<QString>("format");
        for (const auto &format : exportFormatNames())
            QTest::newRow(qPrintable(format)) << format;
    }

    void exportsEveryFormat()
    {
        QFETCH(QString, format);
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"), format);
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"),
                 m_dir.path() + QStringLiteral("/every-") + format);
        exportAndWait(*dialog, ExportDialog::State::Done);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(dialog->files().size(), 4);
        for (const auto &file : dialog->files())
            QVERIFY2(QFileInfo(file).isFile(), qPrintable(file));
        // Passed, or skipped where the checker (python3 with torch, onnxruntime) is missing.
        const QString parity = dialog->parityText();
        QVERIFY2(parity.startsWith(QStringLiteral("Parity: passed"))
                     || parity.startsWith(QStringLiteral("Parity: skipped")),
                 qPrintable(parity));
    }

    void cancelStopsTheExportAndKeepsNothing()
    {
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"),
                       QStringLiteral("safetensors"));
        const QString folder = m_dir.path() + QStringLiteral("/cancelled");
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"), folder);
        QSignalSpy ended(dialog.get(), &ExportDialog::exportEnded);
        QTest::mouseClick(namedChild<QPushButton>(dialog.get(), "exportStart"), Qt::LeftButton);
        QCOMPARE(namedChild<QPushButton>(dialog.get(), "exportClose")->text(),
                 QStringLiteral("Cancel"));
        QTest::mouseClick(namedChild<QPushButton>(dialog.get(), "exportClose"), Qt::LeftButton);
        // Cancel stops the export; it does not close the dialog.
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, kExportTimeoutMs);
        QVERIFY(dialog->isVisible());
        QCOMPARE(ended.first().first().toBool(), false);
        QCOMPARE(dialog->state(), ExportDialog::State::Failed);
        QCOMPARE(dialog->statusText(), QStringLiteral("Cancelled: nothing was exported."));
        QVERIFY(!QFileInfo::exists(folder + QStringLiteral("/model.safetensors")));
        QVERIFY(!QFileInfo::exists(folder + QStringLiteral("/MODEL_CARD.md")));
        QVERIFY(namedChild<QPushButton>(dialog.get(), "exportStart")->isEnabled());
    }

    void quantisingAndPruningReportAccuracyAndSize()
    {
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"),
                       QStringLiteral("safetensors"));
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"),
                 m_dir.path() + QStringLiteral("/compressed"));
        QTest::mouseClick(
            namedChild<QCheckBox>(dialog.get(), "exportInt8"), Qt::LeftButton, {},
            QPoint(6, namedChild<QCheckBox>(dialog.get(), "exportInt8")->height() / 2));
        QVERIFY(namedChild<QCheckBox>(dialog.get(), "exportInt8")->isChecked());
        typeInto(namedChild<QDoubleSpinBox>(dialog.get(), "exportPrune"), QStringLiteral("0.5"));
        QCOMPARE(namedChild<QDoubleSpinBox>(dialog.get(), "exportPrune")->value(), 0.5);
        const auto request = dialog->request();
        QVERIFY(request.quantizeInt8);
        QCOMPARE(request.prune, 0.5);
        exportAndWait(*dialog, ExportDialog::State::Done);
        if (QTest::currentTestFailed())
            return;
        const QString text = dialog->compressionText();
        QVERIFY2(text.startsWith(QStringLiteral("Accuracy ")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("→")));
        QVERIFY(text.contains(QStringLiteral("weights pruned")));
        QVERIFY(!dialog->parityText().isEmpty());
        grab(dialog.get(), QStringLiteral("export-dialog-compressed"));
    }

    void aBadOutputFolderShowsTheErrorInRed()
    {
        QFile blocker(m_dir.filePath(QStringLiteral("a-file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.write("not a folder\n");
        blocker.close();
        auto dialog = openDialog();
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        chooseWithKeys(namedChild<QComboBox>(dialog.get(), "exportFormat"),
                       QStringLiteral("safetensors"));
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"),
                 blocker.fileName() + QStringLiteral("/out"));
        exportAndWait(*dialog, ExportDialog::State::Failed);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(dialog->statusText().startsWith(QStringLiteral("Export failed: ")),
                 qPrintable(dialog->statusText()));
        // The message names what failed: the folder it could not create.
        QVERIFY2(dialog->statusText().contains(QStringLiteral("a-file")),
                 qPrintable(dialog->statusText()));
        auto *status = dialog->findChild<QLabel *>(QStringLiteral("exportStatus"));
        QVERIFY(status && status->isVisible());
        QVERIFY(status->styleSheet().contains(QStringLiteral("#c62828")));
        QVERIFY(dialog->parityText().isEmpty());
        QVERIFY(dialog->files().isEmpty());
        grab(dialog.get(), QStringLiteral("export-dialog-error"));
    }

    void offersToOpenTheFolderAndAnnouncesTheFiles()
    {
        StoreClient client(m_db);
        RunsPanel panel(client);
        panel.show();
        QTRY_COMPARE(panel.model()->rowCount(), 1);
        panel.selectRuns({m_run});
        namedChild<QAction>(&panel, "exportRunAction")->trigger();
        QPointer<ExportDialog> dialog = panel.findChild<ExportDialog *>();
        QVERIFY(dialog);
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        auto *open = namedChild<QPushButton>(dialog.get(), "exportOpenFolder");
        QVERIFY(!open->isVisible()); // nothing to open before an export
        typeInto(namedChild<QLineEdit>(dialog.get(), "exportFolder"),
                 m_dir.path() + QStringLiteral("/to-open"));
        QSignalSpy written(&panel, &RunsPanel::exportWritten);
        exportAndWait(*dialog, ExportDialog::State::Done);
        if (QTest::currentTestFailed())
            return;
        const QString folder
            = QFileInfo(m_dir.path() + QStringLiteral("/to-open")).absoluteFilePath();
        // The window's log hears what was written, where.
        QCOMPARE(written.count(), 1);
        QCOMPARE(written.at(0).at(0).toLongLong(), m_run);
        QCOMPARE(written.at(0).at(1).toString(), QStringLiteral("tiny run"));
        QCOMPARE(written.at(0).at(2).toString(), folder);
        QCOMPARE(written.at(0).at(3).toStringList(), dialog->files());
        // Open folder appears, enabled, for that folder; clicking it asks the desktop to open it.
        QVERIFY(open->isVisible() && open->isEnabled());
        QCOMPARE(dialog->exportedFolderUrl(), QUrl::fromLocalFile(folder));
        UrlCatcher catcher;
        QDesktopServices::setUrlHandler(QStringLiteral("file"), &catcher, "open");
        QTest::mouseClick(open, Qt::LeftButton);
        QDesktopServices::unsetUrlHandler(QStringLiteral("file"));
        QCOMPARE(catcher.urls, QList<QUrl>{QUrl::fromLocalFile(folder)});
        grab(dialog.get(), QStringLiteral("export-dialog-open-folder"));
        dialog->close();
    }

    void openedFromTheRunsPanelAndClosed()
    {
        StoreClient client(m_db);
        RunsPanel panel(client);
        panel.resize(1000, 600);
        panel.show();
        QTRY_COMPARE(panel.model()->rowCount(), 1);
        QVERIFY(!namedChild<QAction>(&panel, "exportRunAction")->isEnabled());
        panel.selectRuns({m_run});
        QVERIFY(namedChild<QAction>(&panel, "exportRunAction")->isEnabled());
        namedChild<QAction>(&panel, "exportRunAction")->trigger();
        QPointer<ExportDialog> dialog = panel.findChild<ExportDialog *>();
        QVERIFY(dialog);
        QCOMPARE(dialog->runId(), m_run);
        QVERIFY(dialog->isVisible());
        QTRY_VERIFY(namedChild<QComboBox>(dialog.get(), "exportCheckpoint")->count() > 0);
        QTest::mouseClick(namedChild<QPushButton>(dialog.get(), "exportClose"), Qt::LeftButton);
        // Closed and deleted (Qt::WA_DeleteOnClose), with nothing exported.
        QTRY_VERIFY(dialog.isNull());
    }
};

LATHE_TEST_MAIN(TestExportDialog)
#include "tst_export_dialog.moc"
