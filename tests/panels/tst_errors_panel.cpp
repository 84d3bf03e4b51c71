// ErrorsPanel on a real (tiny) trained run: Compute by a click gives core's confusion matrix
// and per-class scores, clicking a cell lists exactly ErrorReport::cell's samples with their
// thumbnails, the gallery sorts by loss, a double-click asks for the sample's attributions, and
// Cancel stops the computation.
#include "core/inspect/errors.h"
#include "core/train/open_run.h"
#include "panels/bridge/store_client.h"
#include "panels/errors/confusion_matrix_view.h"
#include "panels/errors/error_gallery_model.h"
#include "panels/errors/errors_panel.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

class TstErrorsPanel : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    qint64 m_runId = 0;
    std::unique_ptr<StoreClient> m_client;
    std::unique_ptr<ErrorsPanel> m_panel;
    std::optional<inspect::ErrorReport> m_core; ///< what core computes for "best"

    void grab(const QString &name)
    {
        // Set LATHE_TEST_GRABS to a folder to look at what the tests drove the panel to.
        const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
        if (!dir.isEmpty())
            QVERIFY(m_panel->grab().save(QDir(dir).filePath("errors-" + name + ".png")));
    }

    /// The off-diagonal cell with the most samples.
    QPoint worstConfusion() const
    {
        QPoint worst(-1, -1);
        std::int64_t most = 0;
        for (std::size_t t = 0; t < m_core->confusion.size(); ++t) {
            for (std::size_t p = 0; p < m_core->confusion.size(); ++p) {
                if (t != p && m_core->confusion[t][p] > most) {
                    most = m_core->confusion[t][p];
                    worst = QPoint(int(p), int(t));
                }
            }
        }
        return worst;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        auto config = testing::tinyConfig(1000, 1, "cnn", {24, 48, 96});
        config.augment.enabled = false;
        m_runId = testing::trainRun(m_db, config, "errors-test");

        auto model = train::openRun(m_db, std::to_string(m_runId), "best");
        QVERIFY(model.has_value());
        auto report = inspect::errorReport(*model);
        QVERIFY(report.has_value());
        m_core = std::move(*report);

        m_client = std::make_unique<StoreClient>(m_db);
        m_panel = std::make_unique<ErrorsPanel>(*m_client);
        m_panel->resize(1100, 640);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
        grab("empty");
    }

    void computeGivesCoresConfusionMatrix()
    {
        m_panel->setSelection({.inspected = m_runId});
        QTRY_VERIFY(namedChild<QPushButton>(m_panel.get(), "errors-compute")->isEnabled());
        QCOMPARE(
            namedChild<QComboBox>(m_panel.get(), "errors-checkpoint")->currentData().toString(),
            QString("best"));
        QSignalSpy finished(m_panel.get(), &ErrorsPanel::computeFinished);
        QTest::mouseClick(namedChild<QPushButton>(m_panel.get(), "errors-compute"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15000);
        QVERIFY(m_panel->report().has_value());
        const auto &report = *m_panel->report();
        QCOMPARE(report.confusion.size(), qsizetype(m_core->confusion.size()));
        for (std::size_t t = 0; t < m_core->confusion.size(); ++t) {
            for (std::size_t p = 0; p < m_core->confusion.size(); ++p)
                QCOMPARE(report.confusion[t][p], m_core->confusion[t][p]);
        }
        QCOMPARE(report.accuracy, m_core->accuracy);
        QCOMPARE(namedChild<ConfusionMatrixView>(m_panel.get(), "errors-matrix")->classCount(), 10);
        QVERIFY(namedChild<QLabel>(m_panel.get(), "errors-status")->text().startsWith("Accuracy"));
        QVERIFY(!namedChild<QProgressBar>(m_panel.get(), "errors-progress")->isVisible());

        auto *table = namedChild<QTableWidget>(m_panel.get(), "errors-metrics");
        QCOMPARE(table->rowCount(), 10);
        QCOMPARE(report.classNames.first(), QString("T-shirt/top"));
        for (int c = 0; c < 10; ++c) {
            QCOMPARE(table->item(c, 0)->text(), report.classNames[c]);
            QCOMPARE(table->item(c, 1)->text(), QString::number(m_core->precision[c], 'f', 3));
            QCOMPARE(table->item(c, 2)->text(), QString::number(m_core->recall[c], 'f', 3));
            QCOMPARE(table->item(c, 3)->text(), QString::number(m_core->f1[c], 'f', 3));
        }
        grab("matrix");
    }

    void clickingACellListsItsSamples()
    {
        const QPoint cell = worstConfusion();
        QVERIFY(cell.x() >= 0);
        const int label = cell.y(), predicted = cell.x();
        auto *matrix = namedChild<ConfusionMatrixView>(m_panel.get(), "errors-matrix");
        QTest::mouseClick(matrix, Qt::LeftButton, {}, matrix->cellRect(label, predicted).center());
        QCOMPARE(matrix->selectedCell(), QPoint(predicted, label));

        const auto expected = m_core->cell(label, predicted);
        auto *gallery = namedChild<QTableView>(m_panel.get(), "errors-gallery");
        auto *model = gallery->model();
        QCOMPARE(model->rowCount(), int(expected.size()));
        for (int row = 0; row < model->rowCount(); ++row) {
            QCOMPARE(model->index(row, 0).data(ErrorGalleryModel::kIndexRole).toLongLong(),
                     expected[std::size_t(row)].index);
            QCOMPARE(model->index(row, ErrorGalleryModel::Loss).data(Qt::UserRole).toDouble(),
                     double(expected[std::size_t(row)].loss));
        }
        QVERIFY(namedChild<QLabel>(m_panel.get(), "errors-gallery-title")
                    ->text()
                    .contains(QString::number(expected.size())));
        // The thumbnails arrive from the worker.
        QTRY_VERIFY(!model->index(0, 0).data(Qt::DecorationRole).isNull());
        grab("gallery");
    }

    void gallerySortsByLossAndOpensAttributions()
    {
        auto *gallery = namedChild<QTableView>(m_panel.get(), "errors-gallery");
        auto *model = gallery->model();
        QVERIFY(model->rowCount() >= 2);
        auto *header = gallery->horizontalHeader();
        const QPoint lossHeader(header->sectionViewportPosition(ErrorGalleryModel::Loss) + 10,
                                header->height() / 2);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, lossHeader);
        const bool ascending = header->sortIndicatorOrder() == Qt::AscendingOrder;
        for (int row = 1; row < model->rowCount(); ++row) {
            const double a
                = model->index(row - 1, ErrorGalleryModel::Loss).data(Qt::UserRole).toDouble();
            const double b
                = model->index(row, ErrorGalleryModel::Loss).data(Qt::UserRole).toDouble();
            QVERIFY(ascending ? a <= b : a >= b);
        }

        QSignalSpy activated(m_panel.get(), &ErrorsPanel::sampleActivated);
        const QModelIndex first = model->index(0, ErrorGalleryModel::True);
        const QPoint pos = gallery->visualRect(first).center();
        QTest::mouseClick(gallery->viewport(), Qt::LeftButton, {}, pos);
        QTest::mouseDClick(gallery->viewport(), Qt::LeftButton, {}, pos);
        QVERIFY(activated.count() >= 1);
        QCOMPARE(activated.last().at(0).toLongLong(), m_runId);
        QCOMPARE(activated.last().at(1).toString(), QString("best"));
        QCOMPARE(activated.last().at(2).toLongLong(),
                 first.data(ErrorGalleryModel::kIndexRole).toLongLong());
    }

    void cancelStopsTheComputation()
    {
        QSignalSpy finished(m_panel.get(), &ErrorsPanel::computeFinished);
        QTest::mouseClick(namedChild<QPushButton>(m_panel.get(), "errors-compute"), Qt::LeftButton);
        QVERIFY(m_panel->isComputing());
        QVERIFY(namedChild<QPushButton>(m_panel.get(), "errors-cancel")->isEnabled());
        QTest::mouseClick(namedChild<QPushButton>(m_panel.get(), "errors-cancel"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15000);
        QCOMPARE(namedChild<QLabel>(m_panel.get(), "errors-status")->text(), QString("Cancelled"));
        QVERIFY(!m_panel->isComputing());
        QVERIFY(namedChild<QPushButton>(m_panel.get(), "errors-compute")->isEnabled());
        // The previous report stays on screen.
        QVERIFY(m_panel->report().has_value());
    }

    void aRunWithoutATestSplitIsJudgedOnItsValidationSplit()
    {
        // An IDX pair has no test split (as an image folder or a CSV without test_fraction).
        auto config = testing::tinyConfig(600, 1, "cnn", {8, 16});
        config.data.dataset = "idx";
        config.data.path = LATHE_TEST_FASHION_DIR "/t10k-images-idx3-ubyte.gz";
        config.data.options = {{"labels", LATHE_TEST_FASHION_DIR "/t10k-labels-idx1-ubyte.gz"}};
        config.histograms.every = 0;
        const auto runId = testing::trainRun(m_db, config, "no-test-split");
        auto model = train::openRun(m_db, std::to_string(runId), "best");
        QVERIFY(model.has_value());
        QVERIFY(!model->data.test);
        const auto valSize = model->split.val.numel();
        QVERIFY(valSize > 0);

        m_panel->setSelection({.inspected = runId});
        QTRY_VERIFY(namedChild<QPushButton>(m_panel.get(), "errors-compute")->isEnabled());
        QSignalSpy finished(m_panel.get(), &ErrorsPanel::computeFinished);
        QTest::mouseClick(namedChild<QPushButton>(m_panel.get(), "errors-compute"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15000);
        const QString status = namedChild<QLabel>(m_panel.get(), "errors-status")->text();
        QVERIFY2(m_panel->report().has_value(), qPrintable(status));
        QVERIFY(m_panel->report()->validation);
        QCOMPARE(m_panel->report()->predictions.size(), qsizetype(valSize));
        QVERIFY2(status.contains("no test split")
                     && status.contains(QString("%1 validation samples").arg(valSize)),
                 qPrintable(status));
        qint64 total = 0;
        for (const auto &row : m_panel->report()->confusion)
            for (qint64 n : row)
                total += n;
        QCOMPARE(total, qint64(valSize));

        // A cell lists validation samples with their thumbnails; they have no attributions.
        auto *matrix = namedChild<ConfusionMatrixView>(m_panel.get(), "errors-matrix");
        QTest::mouseClick(matrix, Qt::LeftButton, {}, matrix->cellRect(0, 0).center());
        auto *gallery = namedChild<QTableView>(m_panel.get(), "errors-gallery");
        QVERIFY(gallery->model()->rowCount() > 0);
        QVERIFY(namedChild<QLabel>(m_panel.get(), "errors-gallery-title")
                    ->text()
                    .contains("validation samples"));
        QTRY_VERIFY(!gallery->model()->index(0, 0).data(Qt::DecorationRole).isNull());
        // A double-click asks for the attributions of that validation sample, not a test one.
        QSignalSpy asTest(m_panel.get(), &ErrorsPanel::sampleActivated);
        std::shared_ptr<const data::Dataset> samples;
        qint64 activated = -1;
        const auto connection
            = connect(m_panel.get(), &ErrorsPanel::validationSampleActivated, this,
                      [&](std::shared_ptr<const data::Dataset> set, qint64 index) {
                          samples = std::move(set);
                          activated = index;
                      });
        const QModelIndex first = gallery->model()->index(0, 1);
        const QPoint pos = gallery->visualRect(first).center();
        QTest::mouseClick(gallery->viewport(), Qt::LeftButton, {}, pos);
        QTest::mouseDClick(gallery->viewport(), Qt::LeftButton, {}, pos);
        QCOMPARE(asTest.count(), 0);
        QCOMPARE(activated, first.data(ErrorGalleryModel::kIndexRole).toLongLong());
        QVERIFY(samples);
        QCOMPARE(samples->size(), valSize);
        // It is the sample the gallery listed: training sample split.val[i], with its label.
        const auto trainIndex = model->split.val[activated].item<std::int64_t>();
        QCOMPARE(samples->labels()[activated].item<std::int64_t>(),
                 model->data.train->labels()[trainIndex].item<std::int64_t>());
        disconnect(connection);
        grab("validation");
    }

    void cleanupTestCase()
    {
        m_panel.reset();
        m_client.reset();
    }
};

LATHE_TEST_MAIN(TstErrorsPanel)
#include "tst_errors_panel.moc"
