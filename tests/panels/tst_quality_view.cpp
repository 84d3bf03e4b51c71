#include "panels/dataset/dataset_panel.h"
#include "panels/dataset/quality_view.h"

#include "named_child.h"

#include "core/track/run_groups.h"
#include "core/track/run_store.h"
#include "core/train/cross_val_probabilities.h"
#include "core/train/run_config.h"
#include "core/train/stored_run.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"

#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using lathe::panels::DatasetPanel;
using lathe::panels::QualityView;
using lathe::testing::saveGrab;

namespace {

QString status(const QWidget &panel)
{
    return namedChild<QLabel>(&panel, "qualityStatus")->text();
}

/// The runs of the store at `db` (oldest first).
std::vector<lathe::track::RunInfo> storedRuns(const std::filesystem::path &db)
{
    auto store = lathe::track::RunStore::openForReading(db);
    if (!store)
        return {};
    auto runs = (*store)->listRuns({.descending = false});
    return runs ? *runs : std::vector<lathe::track::RunInfo>{};
}

} // namespace

class TestQualityView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_db = std::filesystem::path(m_dir->path().toStdString()) / "lathe.db";
        m_panel = std::make_unique<DatasetPanel>();
        m_panel->setStorePath(m_db);
        m_panel->resize(1100, 720);
        m_panel->show();
        QSignalSpy loaded(m_panel.get(), &DatasetPanel::datasetLoaded);
        lathe::train::DataConfig data;
        data.path = LATHE_TEST_FASHION_DIR;
        data.subset = 600;
        m_panel->openDataset(data);
        QVERIFY(loaded.wait(20000));
        auto *tabs = m_panel->findChild<QTabWidget *>();
        QVERIFY(tabs);
        auto *view = namedChild<QualityView>(m_panel.get(), "qualityView");
        tabs->setCurrentWidget(view);
    }
    void cleanup()
    {
        m_panel.reset();
        m_dir.reset();
    }

    // Find duplicates, then label issues on 600 real Fashion-MNIST images through the buttons:
    // the groups and the sortable issue table fill, a row opens its sample, Export writes CSV.
    void findsDuplicatesAndIssuesThroughTheTab()
    {
        auto *view = namedChild<QualityView>(m_panel.get(), "qualityView");
        QVERIFY(namedChild<QPushButton>(view, "qualityFindDuplicates")->isEnabled());
        QTest::mouseClick(namedChild<QPushButton>(view, "qualityFindDuplicates"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status(*m_panel).contains("duplicates")
                                     || status(*m_panel).contains("Click a group"),
                                 30000);
        QVERIFY(namedChild<QPushButton>(view, "qualityFindIssues")->isEnabled());

        namedChild<QSpinBox>(view, "qualityFolds")->setValue(2);
        QTest::mouseClick(namedChild<QPushButton>(view, "qualityFindIssues"), Qt::LeftButton);
        QVERIFY(!namedChild<QPushButton>(view, "qualityFindIssues")->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(status(*m_panel).contains("suspected label issues"), 120000);
        auto *table = namedChild<QTableView>(view, "qualityIssues");
        const int rows = table->model()->rowCount();
        QVERIFY2(rows > 0, qPrintable(status(*m_panel)));
        // The 2 fold trainings are finished runs of the store, one repeat group, named in the
        // status line.
        const auto runs = storedRuns(m_db);
        QCOMPARE(runs.size(), std::size_t(2));
        const auto group = lathe::track::groupValue("repeat", runs[0], {});
        QVERIFY(group.starts_with("label-issues-2fold-"));
        for (std::size_t k = 0; k < runs.size(); ++k) {
            QCOMPARE(runs[k].name, "label-issues-fold" + std::to_string(k + 1));
            QVERIFY(runs[k].status == lathe::track::RunStatus::Finished);
            QCOMPARE(lathe::track::groupValue("repeat", runs[k], {}), group);
            QVERIFY(std::ranges::count(runs[k].tags, lathe::train::kFoldRunTag) == 1);
        }
        QVERIFY2(status(*m_panel).contains(QString::fromStdString("repeat group " + group)),
                 qPrintable(status(*m_panel)));
        // Sorted by self-confidence, lowest first; a click on the header sorts by index.
        const auto score = [table](int row) {
            return table->model()->data(table->model()->index(row, 3), Qt::UserRole).toDouble();
        };
        QVERIFY(score(0) <= score(rows - 1));
        table->horizontalHeader()->setSortIndicator(0, Qt::AscendingOrder);
        const auto index = [table](int row) {
            return table->model()->data(table->model()->index(row, 0), Qt::UserRole).toLongLong();
        };
        QVERIFY(index(0) <= index(rows - 1));
        saveGrab(&*m_panel, "dataset-quality");

        QSignalSpy opened(m_panel.get(), &DatasetPanel::sampleActivated);
        const QRect cell = table->visualRect(table->model()->index(0, 1));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(opened.count(), 1);
        QCOMPARE(opened[0][0].toLongLong(), index(0));

        QTemporaryDir dir;
        const QString path = dir.filePath("issues.csv");
        QVERIFY(view->exportCsv(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), rows + 1);
        QVERIFY(lines[0].startsWith("index,split,given_label"));
        QString error;
        QVERIFY(!view->exportCsv(dir.filePath("no/such/dir/x.csv"), &error));
        QVERIFY(error.contains("Cannot write"));
    }

    // Cancel once the first fold's run exists: the tab is idle at once, and the job deletes
    // the fold runs it stored, so no half group is left.
    void cancelStopsTheWork()
    {
        auto *view = namedChild<QualityView>(m_panel.get(), "qualityView");
        QTest::mouseClick(namedChild<QPushButton>(view, "qualityFindIssues"), Qt::LeftButton);
        auto *cancel = namedChild<QPushButton>(view, "qualityCancel");
        QVERIFY(cancel->isVisible());
        QTRY_COMPARE_WITH_TIMEOUT(storedRuns(m_db).size(), std::size_t(1), 60000);
        QTest::mouseClick(cancel, Qt::LeftButton);
        QCOMPARE(status(*m_panel), QStringLiteral("cancelled"));
        QVERIFY(namedChild<QPushButton>(view, "qualityFindIssues")->isEnabled());
        QVERIFY(!cancel->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(storedRuns(m_db).empty(), 60000);
        QVERIFY(!std::filesystem::exists(lathe::train::runDirectory(m_db, 1)));
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<DatasetPanel> m_panel;
};

LATHE_TEST_MAIN(TestQualityView)
#include "tst_quality_view.moc"
