#include "panels/dataset/dataset_panel.h"

#include "panels/dataset/augment_preview_view.h"
#include "panels/dataset/feature_histograms.h"
#include "panels/dataset/open_dataset_dialog.h"
#include "panels/dataset/sample_grid_model.h"
#include "panels/dataset/stats_view.h"
#include "panels/hyperparams/hyperparams_panel.h"

#include "core/data/dataset.h"
#include "core/plugin/loader.h"
#include "core/train/run_config.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QScopeGuard>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using lathe::data::AugmentConfig;
using lathe::panels::AugmentPreviewView;
using lathe::panels::DatasetPanel;
using lathe::panels::FeatureHistograms;
using lathe::panels::HyperparamsPanel;
using lathe::panels::OpenDatasetDialog;
using lathe::panels::SampleGridModel;
using lathe::testing::saveGrab;
using lathe::train::DataConfig;

namespace {

constexpr int kLoadTimeoutMs = 15000;

QString statusText(DatasetPanel &panel)
{
    return panel.findChild<QLabel *>("datasetStatus")->text();
}

const char *kWineConfig = LATHE_TEST_RESOURCES "/../plugins/csv-tabular/wine.json";

/// A run config's data section naming `reader`, `path` and `options`.
DataConfig readerData(std::string reader, std::string path, lathe::Options options = {})
{
    DataConfig data;
    data.dataset = std::move(reader);
    data.path = std::move(path);
    data.options = std::move(options);
    return data;
}

/// Whether the sidebar tab holding `page` is shown.
bool tabShown(QWidget *page)
{
    auto *tabs = page->parentWidget()->parentWidget(); // the stack, then the tab widget
    auto *tabWidget = qobject_cast<QTabWidget *>(tabs);
    return tabWidget && tabWidget->isTabVisible(tabWidget->indexOf(page));
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

// An image folder of two classes ("circle", "square"), three size×size PNGs each.
bool writeImageFolder(const QDir &root, int size)
{
    for (const QString &cls : {QString("circle"), QString("square")}) {
        root.mkpath(cls);
        for (int i = 0; i < 3; ++i) {
            QImage image(size, size, QImage::Format_RGB888);
            image.fill(QColor(40 * i, cls == "circle" ? 200 : 50, 90));
            if (!image.save(root.filePath(QString("%1/%2.png").arg(cls).arg(i))))
                return false;
        }
    }
    return true;
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
        m_panel->openDataset(readerData("fashion-mnist", LATHE_TEST_FASHION_DIR));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.first().at(1).toLongLong(), qint64(60000));
        QVERIFY(loaded.first().at(0).toString().contains("Fashion-MNIST train"));
        m_grid = m_panel->findChild<QListView *>("sampleGrid");
        QVERIFY(m_grid);
        m_model = m_grid->model();
        // The csv reader of the csv-tabular sample plugin for the tabular tests below, and the
        // fairness metric its wine config names.
        for (const char *file :
             {LATHE_TEST_PLUGIN_DIR "/csv-tabular.so", LATHE_TEST_PLUGIN_DIR "/fairness.so"}) {
            const auto record = lathe::plugin::loadPlugin(file);
            QVERIFY2(record.status == lathe::plugin::PluginRecord::Status::Loaded,
                     record.message.c_str());
        }
    }

    void imagesShowAsAGrid()
    {
        QVERIFY(m_grid->isVisible());
        QVERIFY(!m_panel->findChild<QTableView *>("sampleTable")->isVisible());
        QVERIFY(!tabShown(m_panel->findChild<QWidget *>("featuresTab")));
        QVERIFY(tabShown(m_panel->findChild<QWidget *>("augmentPreview")));
        QTRY_VERIFY(!m_model->index(0, 0).data(Qt::DecorationRole).value<QPixmap>().isNull());
        saveGrab(&*m_panel, "fashion-mnist");
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

        // The user opens the Augmentation tab to reach its button.
        qobject_cast<QTabWidget *>(preview->parentWidget()->parentWidget())
            ->setCurrentWidget(preview);
        auto *reroll = preview->findChild<QPushButton *>("rerollButton");
        QVERIFY(reroll->isVisible() && reroll->isEnabled());
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

    void wineShowsAsATableWithFeatureHistograms()
    {
        const auto wine = lathe::train::loadRunConfig(kWineConfig);
        QVERIFY(wine.has_value());
        QCOMPARE(wine->data.dataset, std::string("csv"));
        DatasetPanel panel;
        panel.resize(1000, 800);
        panel.show();
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.openDataset(wine->data);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.first().at(1).toLongLong(), qint64(178));

        auto *table = panel.findChild<QTableView *>("sampleTable");
        QVERIFY(table->isVisible());
        QVERIFY(!panel.findChild<QListView *>("sampleGrid")->isVisible());
        QAbstractItemModel *model = table->model();
        QCOMPARE(model->rowCount(), 178);
        QCOMPARE(model->columnCount(), 14); // 13 features and the class
        QCOMPARE(model->headerData(0, Qt::Horizontal).toString(), QString("alcohol"));
        QCOMPARE(model->headerData(12, Qt::Horizontal).toString(), QString("proline"));
        QCOMPARE(model->headerData(13, Qt::Horizontal).toString(), QString("class"));
        // wine_data.csv's first row: 14.23, ..., 1065, class 0; its last is class 2.
        const QLocale locale;
        QCOMPARE(model->index(0, 0).data().toString(), locale.toString(14.23, 'g', 6));
        QCOMPARE(model->index(0, 12).data().toString(), locale.toString(1065.0, 'g', 6));
        QCOMPARE(model->index(0, 13).data().toString(), QString("class_0"));
        QCOMPARE(model->index(177, 13).data().toString(), QString("class_2"));

        saveGrab(&panel, "wine");
        auto *features = panel.findChild<FeatureHistograms *>("featureHistograms");
        QCOMPARE(features->count(), 13);
        QVERIFY(tabShown(panel.findChild<QWidget *>("featuresTab")));
        QVERIFY(features->isVisible()); // the tab shown for tabular data
        QVERIFY(!tabShown(panel.findChild<QWidget *>("augmentPreview")));
        const QImage histograms = features->grab().toImage();
        saveGrab(&*features, "wine-features");
        auto barPixels = [&](int feature) {
            const QRect cell = features->cellRect(feature);
            const QColor bar = features->palette().color(QPalette::Mid);
            int count = 0;
            for (int y = cell.top(); y <= cell.bottom(); ++y)
                for (int x = cell.left(); x <= cell.right(); ++x)
                    count += histograms.pixelColor(x, y).rgb() == bar.rgb() ? 1 : 0;
            return count;
        };
        for (int feature : {0, 12})
            QVERIFY2(barPixels(feature) > 200, "a feature histogram has no bars");

        // The class filter cuts the table and the class histogram and statistics still work.
        auto *combo = panel.findChild<QComboBox *>("classFilter");
        QCOMPARE(combo->count(), 4);
        QVERIFY(combo->itemText(2).contains("class_1 (71)"));
        combo->setCurrentIndex(2);
        QCOMPARE(model->rowCount(), 71);
        for (int row : {0, 70})
            QCOMPARE(model->index(row, 13).data().toString(), QString("class_1"));
        auto *stats = panel.findChild<lathe::panels::StatsView *>("statsView");
        QTRY_VERIFY_WITH_TIMEOUT(stats->summaryText().contains("Exact duplicates"), 10000);
        QVERIFY2(stats->summaryText().contains("Samples: 178"), qPrintable(stats->summaryText()));
        saveGrab(&panel, "wine-class_1");
        combo->setCurrentIndex(0);
        QCOMPARE(model->rowCount(), 178);

        QSignalSpy activated(&panel, &DatasetPanel::sampleActivated);
        const QRect cell = table->visualRect(model->index(3, 1));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.first().at(0).toLongLong(), qint64(3));
    }

    void openDatasetDialogReadsThroughTheChosenReader()
    {
        DatasetPanel panel;
        panel.resize(1000, 800);
        panel.show();
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        bool filled = false;
        QTimer::singleShot(0, &panel, [&] {
            auto *dialog = panel.findChild<OpenDatasetDialog *>();
            // A failed check leaves the lambda early: close the dialog so exec() returns.
            const auto closeLeftover = qScopeGuard([&] {
                if (!filled && dialog)
                    dialog->reject();
            });
            QVERIFY(dialog);
            auto *reader = dialog->findChild<QComboBox *>("readerCombo");
            // Every registered reader is offered: the built-ins and the plugin's.
            for (const char *name : {"fashion-mnist", "idx", "image-folder", "csv"})
                QVERIFY2(reader->findData(QString(name)) >= 0, name);
            reader->setCurrentIndex(reader->findData(QString("csv")));
            QVERIFY(
                dialog->findChild<QLabel *>("readerDescription")->text().contains("csv-tabular"));
            dialog->findChild<QLineEdit *>("pathEdit")
                ->setText("/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv");
            auto *options = dialog->findChild<QLineEdit *>("optionsEdit");
            auto *open = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
            options->setText("header");
            open->click();
            QVERIFY(dialog->isVisible()); // refused: the entry has no value
            QVERIFY(dialog->findChild<QLabel *>("optionsError")->text().contains("\"header\""));
            options->setText("header=sklearn");
            filled = true;
            open->click();
        });
        auto *byReader = panel.findChild<QToolButton *>("openButton")
                             ->menu()
                             ->findChild<QAction *>("openByReader");
        QVERIFY(byReader);
        byReader->trigger();
        QVERIFY(filled);
        QTRY_VERIFY2_WITH_TIMEOUT(loaded.count() == 1, qPrintable(statusText(panel)),
                                  kLoadTimeoutMs);
        QCOMPARE(loaded.first().at(1).toLongLong(), qint64(178));
        QAbstractItemModel *model = panel.findChild<QTableView *>("sampleTable")->model();
        QCOMPARE(model->rowCount(), 178);
        QCOMPARE(model->columnCount(), 14);
    }

    void badPathIsNamed()
    {
        DatasetPanel panel;
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        auto wine = lathe::train::loadRunConfig(kWineConfig);
        QVERIFY(wine.has_value());
        wine->data.path = "/nonexistent/wine_data.csv";
        panel.openDataset(wine->data);
        QTRY_VERIFY(statusText(panel).contains("Could not load"));
        QVERIFY2(statusText(panel).contains("/nonexistent/wine_data.csv"),
                 qPrintable(statusText(panel)));
        panel.openDataset(readerData("no-such-reader", "/tmp"));
        QTRY_VERIFY(statusText(panel).contains("Could not load")
                    && statusText(panel).contains("no-such-reader"));
        QVERIFY(statusText(panel).contains("csv")); // among the readers it may be
        QCOMPARE(loaded.count(), 0);
    }

    void missingIdxFileIsNamed()
    {
        DatasetPanel panel;
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.openDataset(readerData("idx", "/nonexistent/images-idx3-ubyte",
                                     {{"labels", "/nonexistent/labels-idx1-ubyte"}}));
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
        panel.openDataset(readerData(
            "idx", images, {{"labels", LATHE_TEST_FASHION_DIR "/t10k-labels-idx1-ubyte.gz"}}));
        QTRY_VERIFY(statusText(panel).contains("Could not load"));
        QVERIFY(statusText(panel).contains("bad-idx3-ubyte"));
    }

    void theDatasetOpenedIsTheOneTheFormTrains()
    {
        QTemporaryDir dir;
        QDir root(dir.path());
        QVERIFY(writeImageFolder(root, 16));
        auto config = lathe::train::loadRunConfig(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
        QVERIFY(config);
        config->data.classes = {0, 1};
        DatasetPanel panel;
        HyperparamsPanel form;
        form.setConfig(*config);
        // As the main window connects them.
        connect(&panel, &DatasetPanel::dataOpened, &form, &HyperparamsPanel::useData);
        QSignalSpy opened(&panel, &DatasetPanel::dataOpened);
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);

        // The window showing the form's own data is not the user choosing a dataset.
        panel.openDataset(readerData("image-folder", dir.path().toStdString()));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(opened.count(), 0);
        QCOMPARE(form.config().data, config->data);

        QTimer::singleShot(0, &panel, [&] {
            auto *dialog = panel.findChild<OpenDatasetDialog *>();
            QVERIFY(dialog);
            const auto closeLeftover = qScopeGuard([&] {
                if (dialog->isVisible())
                    dialog->reject();
            });
            auto *reader = dialog->findChild<QComboBox *>("readerCombo");
            reader->setCurrentIndex(reader->findData(QString("image-folder")));
            dialog->findChild<QLineEdit *>("pathEdit")->setText(dir.path());
            dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open)->click();
        });
        panel.findChild<QToolButton *>("openButton")
            ->menu()
            ->findChild<QAction *>("openByReader")
            ->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kLoadTimeoutMs);
        QCOMPARE(opened.first().at(0).value<DataConfig>().path, dir.path().toStdString());

        // The form now names that reader and folder; the class list of the old dataset is gone,
        // the user's split stays, and a note says what changed.
        QCOMPARE(form.findChild<QComboBox *>("data.dataset")->currentText(),
                 QString("image-folder"));
        QCOMPARE(form.findChild<QLineEdit *>("data.path")->text(), dir.path());
        QCOMPARE(form.config().data.dataset, std::string("image-folder"));
        QCOMPARE(form.config().data.path, dir.path().toStdString());
        QVERIFY(form.config().data.classes.empty());
        QCOMPARE(form.config().data.valFraction, config->data.valFraction);
        auto *note = form.findChild<QLabel *>("dataNote");
        QVERIFY(note->isVisibleTo(&form));
        QVERIFY(note->text().contains(dir.path()));
        // Its schedule steps through the folder's 6 images (none held out at 5%).
        auto *caption = form.findChild<QLabel *>("scheduleCaption");
        QTRY_VERIFY_WITH_TIMEOUT(caption->text().contains("(6 training samples"), kLoadTimeoutMs);

        QTest::mouseClick(form.findChild<QPushButton *>("undoData"), Qt::LeftButton);
        QCOMPARE(form.config().data, config->data);
        QVERIFY(!note->isVisibleTo(&form));
    }

    void theFormsDataIsShown()
    {
        QTemporaryDir dir;
        QDir root(dir.path());
        QVERIFY(writeImageFolder(root, 16));
        auto config = lathe::train::loadRunConfig(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
        QVERIFY(config);
        config->data = readerData("image-folder", dir.path().toStdString());
        DatasetPanel panel;
        HyperparamsPanel form;
        // As the main window connects them.
        connect(&form, &HyperparamsPanel::dataReadable, &panel, &DatasetPanel::showData);
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        form.setConfig(*config);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.last().at(1).toLongLong(), qint64(6));

        // Typing a training limit in the form: the panel shows the samples that will train.
        auto *limit = form.findChild<QLineEdit *>("data.train_limit");
        limit->setFocus();
        QTest::keyClick(limit, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(limit, "4");
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, kLoadTimeoutMs);
        QCOMPARE(loaded.last().at(1).toLongLong(), qint64(4));

        // An edit elsewhere reads nothing again.
        auto *epochs = form.findChild<QLineEdit *>("training.epochs");
        epochs->setFocus();
        QTest::keyClick(epochs, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(epochs, "3");
        QTest::qWait(800);
        QCOMPARE(loaded.count(), 2);
    }

    void emptyFolderIsExplained()
    {
        QTemporaryDir dir;
        DatasetPanel panel;
        panel.openDataset(readerData("image-folder", dir.path().toStdString()));
        QTRY_VERIFY(statusText(panel).contains("no images found"));
        QVERIFY(statusText(panel).contains(dir.path()));
    }

    void imageFolderReportsUnreadableFiles()
    {
        QTemporaryDir dir;
        QDir root(dir.path());
        QVERIFY(writeImageFolder(root, 20));
        std::ofstream(root.filePath("square/x.png").toStdString(), std::ios::binary)
            << "\x89PNG garbage bytes";
        QVERIFY(QFile::copy(root.filePath("circle/0.png"), root.filePath("circle/3.png")));
        DatasetPanel panel;
        QSignalSpy loaded(&panel, &DatasetPanel::datasetLoaded);
        panel.openDataset(readerData("image-folder", dir.path().toStdString()));
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

LATHE_TEST_MAIN(TestDatasetPanel)
#include "tst_dataset_panel.moc"
