#include "panels/dataset/dataset_panel.h"

#include "panels/dataset/augment_preview_view.h"
#include "panels/dataset/sample_grid_model.h"
#include "panels/dataset/stats_view.h"

#include "core/data/dataset.h"

#include <torch/torch.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using lathe::data::AugmentConfig;
using lathe::panels::AugmentPreviewView;
using lathe::panels::DatasetPanel;
using lathe::panels::SampleGridModel;

namespace {

constexpr int kLoadTimeoutMs = 15000;

QString statusText(DatasetPanel &panel)
{
    return panel.findChild<QLabel *>("datasetStatus")->text();
}

int distinctImages(const QList<QImage> &images)
{
    QList<QImage> distinct;
    for (const QImage &image : images) {
        if (!distinct.contains(image))
            distinct << image;
    }
    return int(distinct.size());
}

} // namespace

class TestDatasetPanel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<DatasetPanel> m_panel; ///< Fashion-MNIST train, loaded once
    QListView *m_grid = nullptr;
    QAbstractItemModel *m_model = nullptr;

private Q_SLOTS:
    void initTestCase()
    {
        m_panel = std::make_unique<DatasetPanel>();
        m_panel->resize(1280, 800);
        m_panel->show();
        QSignalSpy loaded(m_panel.get(), &DatasetPanel::datasetLoaded);
        m_panel->loadDefault(LATHE_TEST_FASHION_DIR);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.first().at(1).toLongLong(), qint64(60000));
        QVERIFY(loaded.first().at(0).toString().contains("Fashion-MNIST train"));
        m_grid = m_panel->findChild<QListView *>("sampleGrid");
        QVERIFY(m_grid);
        m_model = m_grid->model();
    }

    void gridHoldsEverySampleWithItsClass()
    {
        QCOMPARE(m_model->rowCount(), 60000);
        // Fashion-MNIST train's first label is 9 (Ankle boot).
        QCOMPARE(m_model->index(0, 0).data().toString(), QString("Ankle boot"));
        const QPixmap thumbnail = m_model->index(0, 0).data(Qt::DecorationRole).value<QPixmap>();
        QCOMPARE(thumbnail.size(), QSize(84, 84)); // 28 x 28 enlarged 3 times
    }

    void classFilterByKeyboard()
    {
        auto *combo = m_panel->findChild<QComboBox *>("classFilter");
        QVERIFY(combo && combo->isEnabled());
        QCOMPARE(combo->count(), 11);
        QVERIFY(combo->itemText(1).contains("T-shirt/top (6,000)"));
        combo->setFocus();
        QTest::keyClick(combo, Qt::Key_Down);
        QCOMPARE(combo->currentIndex(), 1);
        QCOMPARE(m_model->rowCount(), 6000);
        for (int row : {0, 2999, 5999})
            QCOMPARE(m_model->index(row, 0).data(SampleGridModel::ClassRole).toInt(), 0);
        QTest::keyClick(combo, Qt::Key_Up);
        QCOMPARE(m_model->rowCount(), 60000);
    }

    void statisticsFinish()
    {
        auto *stats = m_panel->findChild<lathe::panels::StatsView *>("statsView");
        QTRY_VERIFY_WITH_TIMEOUT(stats->summaryText().contains("Exact duplicates"), 10000);
        const QString text = stats->summaryText();
        QVERIFY2(text.contains("Samples: 60,000"), qPrintable(text));
        QVERIFY2(text.contains("Mean per channel: 0.2860"), qPrintable(text));
        QVERIFY2(text.contains("Std per channel: 0.3530"), qPrintable(text));
        qInfo("%s", qPrintable(text));
        // This copy of Fashion-MNIST train has no byte-identical images (checked with numpy).
        QVERIFY2(text.contains("Exact duplicates: 0 groups"), qPrintable(text));
        QVERIFY(m_panel->findChild<QListWidget *>("unreadableList")->isHidden());
    }

    void augmentationPreviewDiffersAndRerolls()
    {
        auto *preview = m_panel->findChild<AugmentPreviewView *>("augmentPreview");
        AugmentConfig config;
        config.enabled = true;
        config.hflipProb = 1.0;
        config.rotateDeg = 30.0;
        m_panel->setAugment(config);
        QTRY_COMPARE(preview->images().size(), 16);
        const QList<QImage> first = preview->images();
        QVERIFY(distinctImages(first) >= 15); // random rotations: practically all different
        QVERIFY(preview->note().contains("#0 (Ankle boot)"));

        auto *reroll = preview->findChild<QPushButton *>("rerollButton");
        QVERIFY(reroll->isEnabled());
        QTest::mouseClick(reroll, Qt::LeftButton);
        QTRY_VERIFY(preview->images().size() == 16 && preview->images() != first);

        m_panel->setAugment(AugmentConfig{}); // disabled
        QTRY_VERIFY(preview->note().contains("Augmentation is off"));
        QVERIFY(preview->images().isEmpty());
    }

    void doubleClickActivatesSample()
    {
        QSignalSpy activated(m_panel.get(), &DatasetPanel::sampleActivated);
        const QModelIndex index = m_model->index(5, 0);
        const QPoint centre = m_grid->visualRect(index).center();
        QTest::mouseClick(m_grid->viewport(), Qt::LeftButton, {}, centre);
        QTest::mouseDClick(m_grid->viewport(), Qt::LeftButton, {}, centre);
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.first().at(0).toLongLong(), qint64(5));
        QCOMPARE(m_panel->previewSample(), qint64(5));
    }

    void scrollsSmoothlyToTheEnd()
    {
        QScrollBar *bar = m_grid->verticalScrollBar();
        bar->setValue(0);
        auto wheel = [this](int notches) {
            const QPointF at(50, 50);
            QWheelEvent event(at, m_grid->viewport()->mapToGlobal(at), {},
                              QPoint(0, -120 * notches), Qt::NoButton, Qt::NoModifier,
                              Qt::NoScrollPhase, false);
            QApplication::sendEvent(m_grid->viewport(), &event);
        };
        // A wheel event scrolls at most a page (Qt clamps it): each frame below shows only
        // thumbnails never shown before. 200 pages down from the top, Ctrl+End by keyboard,
        // then 200 pages up from the end; every frame is painted and timed.
        const int notches = 100;
        QElapsedTimer total;
        total.start();
        qint64 slowest = 0;
        auto timedFrames = [&](int frames, int direction) {
            for (int i = 0; i < frames; ++i) {
                QElapsedTimer frame;
                frame.start();
                wheel(direction * notches);
                m_grid->viewport()->repaint();
                slowest = std::max(slowest, frame.elapsed());
            }
        };
        timedFrames(200, 1);
        const int afterTop = bar->value();
        QVERIFY(afterTop > 0 && afterTop < bar->maximum());

        m_grid->setFocus();
        QTest::keyClick(m_grid, Qt::Key_End, Qt::ControlModifier);
        QCOMPARE(m_grid->currentIndex().row(), 59999);
        QCOMPARE(bar->value(), bar->maximum());
        QVERIFY(m_grid->viewport()->rect().intersects(m_grid->visualRect(m_grid->currentIndex())));
        timedFrames(200, -1);
        QVERIFY(bar->value() < bar->maximum());
        qInfo("400 wheel frames (a page each) at both ends of 60,000 thumbnails: %lld ms, "
              "slowest frame %lld ms",
              total.elapsed(), slowest);
        QVERIFY2(slowest < 100, "a scroll frame took 100 ms or more");
    }

    void floatDatasetThumbnailsRenderOnAWorker()
    {
        torch::manual_seed(1);
        auto dataset = lathe::data::TensorDataset::create(
            torch::rand({600, 3, 8, 8}), torch::randint(0, 2, {600}), {"a", "b"}, "random floats");
        QVERIFY(dataset.has_value());
        DatasetPanel panel;
        panel.resize(900, 600);
        panel.show();
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.setDataset(*dataset);
        QTRY_COMPARE(loaded.count(), 1);
        QAbstractItemModel *model = panel.findChild<QListView *>("sampleGrid")->model();
        QCOMPARE(model->rowCount(), 600);
        const QModelIndex last = model->index(599, 0);
        QTRY_VERIFY(!last.data(Qt::DecorationRole).value<QPixmap>().isNull());
        const QImage shown = last.data(Qt::DecorationRole).value<QPixmap>().toImage();
        QCOMPARE(shown.size(), QSize(80, 80)); // 8 x 8 enlarged 10 times
        const torch::Tensor pixel = (*dataset)->rawImages()[599].select(1, 0).select(1, 0);
        const QColor expected(qRound(pixel[0].item<float>() * 255),
                              qRound(pixel[1].item<float>() * 255),
                              qRound(pixel[2].item<float>() * 255));
        QCOMPARE(shown.pixelColor(0, 0).rgb(), expected.rgb());
    }

    void missingIdxFileIsNamed()
    {
        DatasetPanel panel;
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.openIdxPair("/nonexistent/images-idx3-ubyte", "/nonexistent/labels-idx1-ubyte");
        QTRY_VERIFY(statusText(panel).contains("Could not load"));
        QVERIFY(statusText(panel).contains("/nonexistent/images-idx3-ubyte"));
        QCOMPARE(loaded.count(), 0);
    }

    void corruptIdxIsNamed()
    {
        QTemporaryDir dir;
        const std::string images = dir.filePath("bad-idx3-ubyte").toStdString();
        std::ofstream(images, std::ios::binary) << "this is not an IDX file at all";
        DatasetPanel panel;
        panel.openIdxPair(images,
                          std::string(LATHE_TEST_FASHION_DIR) + "/t10k-labels-idx1-ubyte.gz");
        QTRY_VERIFY(statusText(panel).contains("Could not load"));
        QVERIFY(statusText(panel).contains("bad-idx3-ubyte"));
    }

    void emptyFolderIsExplained()
    {
        QTemporaryDir dir;
        DatasetPanel panel;
        panel.openImageFolder(dir.path().toStdString());
        QTRY_VERIFY(statusText(panel).contains("no images found"));
        QVERIFY(statusText(panel).contains(dir.path()));
    }

    void imageFolderReportsUnreadableFiles()
    {
        QTemporaryDir dir;
        QDir root(dir.path());
        for (const QString &cls : {QString("circle"), QString("square")}) {
            root.mkpath(cls);
            for (int i = 0; i < 3; ++i) {
                QImage image(20, 20, QImage::Format_RGB888);
                image.fill(QColor(40 * i, cls == "circle" ? 200 : 50, 90));
                QVERIFY(image.save(root.filePath(QString("%1/%2.png").arg(cls).arg(i))));
            }
        }
        std::ofstream(root.filePath("square/x.png").toStdString(), std::ios::binary)
            << "\x89PNG garbage bytes";
        QVERIFY(QFile::copy(root.filePath("circle/0.png"), root.filePath("circle/3.png")));
        DatasetPanel panel;
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.openImageFolder(dir.path().toStdString());
        QTRY_COMPARE(loaded.count(), 1);
        QCOMPARE(loaded.first().at(1).toLongLong(), qint64(7));
        auto *unreadable = panel.findChild<QListWidget *>("unreadableList");
        QTRY_COMPARE(unreadable->count(), 1);
        QVERIFY(unreadable->item(0)->text().contains(root.filePath("square/x.png")));
        QAbstractItemModel *model = panel.findChild<QListView *>("sampleGrid")->model();
        QCOMPARE(model->index(4, 0).data().toString(), QString("square"));

        // circle/0.png and its copy circle/3.png form one duplicate group; clicking it shows
        // exactly those two samples.
        auto *groups = panel.findChild<QListWidget *>("duplicateList");
        QCOMPARE(groups->count(), 1);
        QVERIFY(groups->item(0)->text().contains("2 copies: #0, #3"));
        QTest::mouseClick(groups->viewport(), Qt::LeftButton, {},
                          groups->visualItemRect(groups->item(0)).center());
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->index(0, 0).data(SampleGridModel::SampleIndexRole).toLongLong(), 0);
        QCOMPARE(model->index(1, 0).data(SampleGridModel::SampleIndexRole).toLongLong(), 3);
        QVERIFY(panel.findChild<QComboBox *>("classFilter")->currentText().contains("Duplicate"));
    }
};

QTEST_MAIN(TestDatasetPanel)
#include "tst_dataset_panel.moc"
