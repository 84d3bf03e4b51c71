// Visualise's adversarial example on a real (tiny) trained run: the "Adversarial example (PGD)"
// view chosen by keyboard draws the clean image, the adversarial one and the perturbation side by
// side (three tiles of the sample's size), the adversarial image stays within epsilon of the
// clean one, the status names the class the model now predicts, and Epsilon changes the view.
#include "panels/bridge/adversarial_view.h"
#include "panels/bridge/inspect_jobs.h"
#include "panels/bridge/store_client.h"
#include "panels/visualise/visualise_panel.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

class TstAdversarialView : public QObject
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
            QVERIFY(m_panel->grab().save(QDir(dir).filePath("adversarial-" + name + ".png")));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        m_runId = testing::trainRun(m_db, testing::tinyConfig(800, 1), "adversarial-view");
        m_client = std::make_unique<StoreClient>(m_db);
        m_panel = std::make_unique<VisualisePanel>(*m_client);
        m_panel->resize(1100, 640);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        m_panel->setSelection({.inspected = m_runId});
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 15000);
    }

    void theViewShowsCleanAdversarialAndPerturbation()
    {
        auto *combo = namedChild<QComboBox>(m_panel.get(), "visualise-mode");
        const int target = combo->findData(int(InspectMode::Adversarial));
        QVERIFY(target >= 0);
        combo->setFocus();
        QSignalSpy updated(m_panel.get(), &VisualisePanel::viewUpdated);
        while (combo->currentIndex() != target)
            QTest::keyClick(combo, combo->currentIndex() < target ? Qt::Key_Down : Qt::Key_Up);
        QTRY_VERIFY_WITH_TIMEOUT(!updated.isEmpty() && !m_panel->isBusy(), 20000);
        const auto &render = m_panel->lastRender();
        QVERIFY(render.has_value());
        QCOMPARE(render->mode, InspectMode::Adversarial);
        QCOMPARE(render->channels, 3);
        QCOMPARE(render->tileWidth, 28);
        QCOMPARE(render->image.width(), 3 * 28 + 2 * render->padding);
        QCOMPARE(render->image.height(), 28);
        QVERIFY(render->low >= -0.1 - 1e-6 && render->high <= 0.1 + 1e-6);
        QVERIFY(render->high > render->low); // it moved some pixels
        QVERIFY(render->target >= 0 && render->target < 10);
        QVERIFY2(namedChild<QLabel>(m_panel.get(), "visualise-status")->text().contains("now says"),
                 qPrintable(namedChild<QLabel>(m_panel.get(), "visualise-status")->text()));
        // The first tile is the clean image: the same pixels as the sample on its own.
        const QImage clean = render->image.copy(0, 0, 28, 28);
        QVERIFY(!clean.isNull());
        grab("eps-0.1");

        QSignalSpy again(m_panel.get(), &VisualisePanel::viewUpdated);
        namedChild<QDoubleSpinBox>(m_panel.get(), "visualise-epsilon")->setValue(0.3);
        QTRY_VERIFY_WITH_TIMEOUT(!again.isEmpty() && !m_panel->isBusy(), 20000);
        QVERIFY(m_panel->lastRender()->high <= 0.3 + 1e-6);
        QVERIFY(m_panel->lastRender()->high - m_panel->lastRender()->low
                    > render->high - render->low
                || m_panel->lastRender()->high > 0.1);
        grab("eps-0.3");
    }

    void theAttackStaysInTheBall()
    {
        auto run = train::openRun(m_db, std::to_string(m_runId), "best");
        QVERIFY(run.has_value());
        auto image = run->testImage(3);
        QVERIFY(image.has_value());
        InspectOptions options;
        options.mode = InspectMode::Adversarial;
        options.epsilon = 0.05;
        options.attackSteps = 10;
        const auto label = run->data.test->labels()[3].item<std::int64_t>();
        auto view = inspect_jobs::adversarialView(*run, *image, label, options, {});
        QVERIFY(view.has_value());
        // The perturbation summed over one channel: within epsilon.
        QVERIFY(view->low >= -0.05 - 1e-6);
        QVERIFY(view->high <= 0.05 + 1e-6);
        std::stop_source stop;
        stop.request_stop();
        auto cancelled
            = inspect_jobs::adversarialView(*run, *image, label, options, stop.get_token());
        QVERIFY(!cancelled);
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }
};

LATHE_TEST_MAIN(TstAdversarialView)
#include "tst_adversarial_view.moc"
