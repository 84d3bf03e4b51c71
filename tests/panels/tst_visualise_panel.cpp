// VisualisePanel on a real (tiny) trained run: checkpoints listed, feature maps of a clicked
// layer equal to core's grid, a tile zoomed by a click, Grad-CAM offering only spatial layers,
// Integrated Gradients with its completeness error, Cancel, side-by-side checkpoints, a
// dataset sample, and Attention disabled for a CNN.
#include "core/data/fashion_mnist.h"
#include "core/inspect/layers.h"
#include "core/train/open_run.h"
#include "kernels/feature_map_grid/feature_map_grid.h"
#include "panels/bridge/inspect_session.h"
#include "panels/bridge/store_client.h"
#include "panels/visualise/inspect_image_view.h"
#include "panels/visualise/visualise_panel.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QtTest>

#include <cstring>

using namespace lathe;
using namespace lathe::panels;

class TstVisualisePanel : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    qint64 m_runId = 0;
    std::unique_ptr<StoreClient> m_client;
    std::unique_ptr<VisualisePanel> m_panel;

    void grab(const QString &name)
    {
        // Set LATHE_TEST_GRABS to a folder to look at what the tests drove the panel to.
        const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
        if (!dir.isEmpty())
            QVERIFY(m_panel->grab().save(QDir(dir).filePath("visualise-" + name + ".png")));
    }

    /// Switches the mode combo by keyboard to `mode` and waits for its view.
    void chooseMode(InspectMode mode)
    {
        auto *combo = namedChild<QComboBox>(m_panel.get(), "visualise-mode");
        const int target = combo->findData(int(mode));
        combo->setFocus();
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        while (combo->currentIndex() != target)
            QTest::keyClick(combo, combo->currentIndex() < target ? Qt::Key_Down : Qt::Key_Up);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QVERIFY(m_panel->lastRender().has_value());
        QCOMPARE(m_panel->lastRender()->mode, mode);
    }

    void clickLayer(const QString &name)
    {
        auto *list = namedChild<QListWidget>(m_panel.get(), "visualise-layers");
        QListWidgetItem *item = nullptr;
        for (int row = 0; row < list->count(); ++row) {
            if (list->item(row)->data(Qt::UserRole).toString() == name)
                item = list->item(row);
        }
        QVERIFY2(item, qPrintable(name));
        list->scrollToItem(item);
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                          list->visualItemRect(item).center());
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        auto config = testing::tinyConfig(800, 2, "cnn", {24, 48, 96});
        config.augment.enabled = false;
        m_runId = testing::trainRun(m_db, config, "visualise-test");

        m_client = std::make_unique<StoreClient>(m_db);
        m_panel = std::make_unique<VisualisePanel>(*m_client);
        m_panel->resize(1100, 640);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        m_panel->setSelection({.inspected = m_runId});
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 15000);
    }

    void listsCheckpointsAndShowsFeatureMaps()
    {
        auto *combo = namedChild<QComboBox>(m_panel.get(), "visualise-checkpoint");
        QStringList names;
        for (int i = 0; i < combo->count(); ++i)
            names << combo->itemData(i, Qt::UserRole + 1).toString();
        QCOMPARE(names, QStringList({"best", "last", "epoch-1", "epoch-2"}));
        QCOMPARE(combo->currentData(Qt::UserRole + 1).toString(), QString("best"));
        QVERIFY(m_panel->modelInfo().has_value());
        QCOMPARE(m_panel->modelInfo()->classNames.size(), 10);
        QCOMPARE(namedChild<QSpinBox>(m_panel.get(), "visualise-sample")->maximum(),
                 int(m_panel->modelInfo()->testSize - 1));
        QTRY_VERIFY(namedChild<QLabel>(m_panel.get(), "visualise-sample-text")
                        ->text()
                        .contains("predicted"));
        QVERIFY(m_panel->lastRender().has_value());
        QCOMPARE(m_panel->lastRender()->mode, InspectMode::FeatureMaps);
        grab("feature-maps");
    }

    void clickedLayerMatchesCoreGrid()
    {
        // The last spatial layer of the CNN, clicked in the list.
        QString layer;
        qint64 channels = 0;
        for (const auto &l : m_panel->modelInfo()->layers) {
            if (l.spatial) {
                layer = l.name;
                channels = l.shape[0];
            }
        }
        QVERIFY(!layer.isEmpty());
        clickLayer(layer);
        const auto &render = *m_panel->lastRender();
        QCOMPARE(render.channels, int(channels));

        // The same pixels as core's feature maps drawn by the grid kernel.
        auto model = train::openRun(m_db, std::to_string(m_runId), "best");
        QVERIFY(model.has_value());
        auto image
            = model->testImage(namedChild<QSpinBox>(m_panel.get(), "visualise-sample")->value());
        QVERIFY(image.has_value());
        auto maps = inspect::featureMaps(model->net, model->prepare(*image), layer.toStdString());
        QVERIFY(maps.has_value());
        auto grid = kernels::featureMapGrid(*maps, {});
        QVERIFY(grid.has_value());
        QCOMPARE(render.image.width(), int(grid->rgba.size(1)));
        QCOMPARE(render.image.height(), int(grid->rgba.size(0)));
        const auto bytes = grid->rgba.contiguous();
        for (int y = 0; y < render.image.height(); ++y)
            QVERIFY(std::memcmp(render.image.constScanLine(y),
                                bytes.data_ptr<std::uint8_t>() + y * render.image.width() * 4,
                                std::size_t(render.image.width()) * 4)
                    == 0);
    }

    void clickTileZoomsIntoChannel()
    {
        auto *view = namedChild<InspectImageView>(m_panel.get(), "visualise-view");
        const QRect tile = view->tileRect(2);
        QVERIFY(!tile.isEmpty());
        QTest::mouseClick(view, Qt::LeftButton, {}, tile.center());
        QCOMPARE(view->zoomChannel(), 2);
        const auto &render = *m_panel->lastRender();
        QCOMPARE(view->shownImage().size(), QSize(render.tileWidth, render.tileHeight));
        grab("zoomed-channel");
        QTest::mouseClick(view, Qt::LeftButton, {}, view->rect().center());
        QCOMPARE(view->zoomChannel(), -1);
    }

    void colourMapAndSharedRangeRedraw()
    {
        const QImage before = m_panel->lastRender()->image;
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        auto *colormap = namedChild<QComboBox>(m_panel.get(), "visualise-colormap");
        colormap->setFocus();
        QTest::keyClick(colormap, Qt::Key_Down); // viridis -> magma
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QVERIFY(m_panel->lastRender()->image != before);
        updated.clear();
        namedChild<QComboBox>(m_panel.get(), "visualise-normalization")->setFocus();
        QTest::keyClick(namedChild<QComboBox>(m_panel.get(), "visualise-normalization"),
                        Qt::Key_Down); // shared range
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QVERIFY(m_panel->lastRender()->image.size() == before.size());
        QTest::keyClick(colormap, Qt::Key_Up);
    }

    void gradCamOffersOnlySpatialLayers()
    {
        chooseMode(InspectMode::GradCam);
        const auto &layers = m_panel->modelInfo()->layers;
        auto *list = namedChild<QListWidget>(m_panel.get(), "visualise-layers");
        QCOMPARE(list->count(), int(layers.size()));
        for (int row = 0; row < list->count(); ++row)
            QCOMPARE(bool(list->item(row)->flags() & Qt::ItemIsEnabled), layers[row].spatial);
        QVERIFY(list->currentItem()->flags() & Qt::ItemIsEnabled);
        const auto &render = *m_panel->lastRender();
        QCOMPARE(render.image.size(), QSize(28, 28));
        QCOMPARE(render.input.size(), QSize(28, 28));
        QVERIFY(render.target >= 0 && render.target < 10);
        QVERIFY(namedChild<QLabel>(m_panel.get(), "visualise-status")->text().contains("Grad-CAM"));
        namedChild<QSlider>(m_panel.get(), "visualise-opacity")->setValue(80);
        QCOMPARE(namedChild<InspectImageView>(m_panel.get(), "visualise-view")->opacity(), 0.8);
        grab("grad-cam");
    }

    void integratedGradientsShowCompleteness()
    {
        chooseMode(InspectMode::IntegratedGradients);
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        auto *steps = namedChild<QSpinBox>(m_panel.get(), "visualise-ig-steps");
        steps->setFocus();
        steps->selectAll();
        QTest::keyClicks(steps, "64");
        QCOMPARE(steps->value(), 64);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        const auto &render = *m_panel->lastRender();
        QVERIFY(render.completenessError.has_value());
        QVERIFY(*render.completenessError >= 0.0 && *render.completenessError < 0.2);
        QVERIFY(QRegularExpression(R"(^\d+\.\d\d % \(sum)")
                    .match(namedChild<QLabel>(m_panel.get(), "visualise-completeness")->text())
                    .hasMatch());
        grab("integrated-gradients");
    }

    void cancelStopsTheView()
    {
        QCOMPARE(m_panel->mode(), InspectMode::IntegratedGradients);
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        // Click Cancel as soon as the new view is asked for, before its result can arrive.
        bool clicked = false;
        auto connection
            = connect(m_panel.get(), &VisualisePanel::busyChanged, this, [&](bool busy) {
                  if (!busy || clicked)
                      return;
                  QVERIFY(namedChild<QPushButton>(m_panel.get(), "visualise-cancel")->isEnabled());
                  QTest::mouseClick(namedChild<QPushButton>(m_panel.get(), "visualise-cancel"),
                                    Qt::LeftButton);
                  clicked = true;
              });
        namedChild<QComboBox>(m_panel.get(), "visualise-baseline")->setFocus();
        QTest::keyClick(namedChild<QComboBox>(m_panel.get(), "visualise-baseline"),
                        Qt::Key_Down); // a new view is requested
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        disconnect(connection);
        QVERIFY(clicked);
        QCOMPARE(namedChild<QLabel>(m_panel.get(), "visualise-status")->text(),
                 QString("Cancelled"));
        QVERIFY(!m_panel->lastRender().has_value());
        QVERIFY(!namedChild<InspectImageView>(m_panel.get(), "visualise-view")->hasImage());
        QVERIFY(!namedChild<QPushButton>(m_panel.get(), "visualise-cancel")->isEnabled());
    }

    void attentionIsDisabledForACnn()
    {
        auto *modes = qobject_cast<QStandardItemModel *>(
            namedChild<QComboBox>(m_panel.get(), "visualise-mode")->model());
        auto *item = modes->item(namedChild<QComboBox>(m_panel.get(), "visualise-mode")
                                     ->findData(int(InspectMode::Attention)));
        QVERIFY(!item->isEnabled());
        QVERIFY(item->toolTip().contains("no attention"));
        QVERIFY(!m_panel->setMode(InspectMode::Attention));
    }

    void comparesTwoCheckpointsSideBySide()
    {
        chooseMode(InspectMode::FeatureMaps);
        auto *compare = namedChild<QComboBox>(m_panel.get(), "visualise-compare");
        const int epoch1 = compare->findData("epoch-1", Qt::UserRole + 1);
        QVERIFY(epoch1 > 0);
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        compare->setFocus();
        while (compare->currentIndex() != epoch1)
            QTest::keyClick(compare, Qt::Key_Down);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QVERIFY(namedChild<InspectImageView>(m_panel.get(), "visualise-compare-view")->isVisible());
        QVERIFY(namedChild<InspectImageView>(m_panel.get(), "visualise-compare-view")->hasImage());
        QCOMPARE(
            namedChild<InspectImageView>(m_panel.get(), "visualise-compare-view")
                ->shownImage()
                .size(),
            namedChild<InspectImageView>(m_panel.get(), "visualise-view")->shownImage().size());
        QVERIFY(namedChild<InspectImageView>(m_panel.get(), "visualise-compare-view")->shownImage()
                != namedChild<InspectImageView>(m_panel.get(), "visualise-view")->shownImage());
        grab("side-by-side");
        QTest::keyClick(compare, Qt::Key_Home);
        QTRY_VERIFY(
            !namedChild<InspectImageView>(m_panel.get(), "visualise-compare-view")->isVisible());
    }

    void showsADatasetSample()
    {
        auto dataset = data::loadFashionMnist(LATHE_TEST_FASHION_DIR, data::Split::Test);
        QVERIFY(dataset.has_value());
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        m_panel->showDatasetSample(*dataset, 4321);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QTRY_VERIFY(namedChild<QLabel>(m_panel.get(), "visualise-sample-text")
                        ->text()
                        .contains("dataset sample #4321"));
        QVERIFY(m_panel->lastRender().has_value());
    }

    void errorsGallerySampleOpensAttributions()
    {
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        m_panel->showTestSample(m_runId, "epoch-1", 7);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QCOMPARE(m_panel->mode(), InspectMode::Saliency);
        QCOMPARE(namedChild<QSpinBox>(m_panel.get(), "visualise-sample")->value(), 7);
        QCOMPARE(namedChild<QComboBox>(m_panel.get(), "visualise-checkpoint")
                     ->currentData(Qt::UserRole + 1)
                     .toString(),
                 QString("epoch-1"));
        QVERIFY(!namedChild<QListWidget>(m_panel.get(), "visualise-layers")->isEnabled());
        QCOMPARE(m_panel->lastRender()->mode, InspectMode::Saliency);
    }

    void attentionOfAVisionTransformer()
    {
        auto config = testing::tinyConfig(300, 1, "vit-tiny", {32, 2, 2, 7});
        config.model.dropout = 0.0;
        config.augment.enabled = false;
        m_panel->setSelection({.inspected = testing::trainRun(m_db, config, "vit-test")});
        QTRY_VERIFY_WITH_TIMEOUT(m_panel->modelInfo().has_value() && !m_panel->isBusy(), 15000);
        QCOMPARE(m_panel->modelInfo()->attentionLayers, 2);
        QCOMPARE(m_panel->modelInfo()->attentionHeads, 2);
        chooseMode(InspectMode::Attention);
        auto *list = namedChild<QListWidget>(m_panel.get(), "visualise-layers");
        QCOMPARE(list->count(), 3); // rollout + one row per layer
        QCOMPARE(namedChild<QComboBox>(m_panel.get(), "visualise-head")->count(),
                 3); // mean + one per head
        QCOMPARE(m_panel->lastRender()->image.size(), QSize(28, 28));
        const QImage rollout = m_panel->lastRender()->image;
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                          list->visualItemRect(list->item(2)).center());
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 10000);
        QVERIFY(m_panel->lastRender()->image != rollout);
        grab("attention");
    }

    void cleanupTestCase()
    {
        m_panel.reset();
        m_client.reset();
    }
};

LATHE_TEST_MAIN(TstVisualisePanel)
#include "tst_visualise_panel.moc"
