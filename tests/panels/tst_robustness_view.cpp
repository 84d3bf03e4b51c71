// The Errors panel's Robustness tab on a real (tiny) trained run: Attack by a click computes
// core's robust accuracy off the GUI thread (the table and the curve show it, epsilon 0 being the
// clean accuracy), stores it as the run's robustness event, refuses a bad epsilon list with a
// message, and Cancel stops it.
#include "core/robust/robustness_evaluation.h"
#include "core/train/open_run.h"
#include "panels/bridge/store_client.h"
#include "panels/errors/errors_panel.h"
#include "panels/errors/robustness_curve.h"
#include "panels/errors/robustness_view.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

class TstRobustnessView : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    qint64 m_runId = 0;
    std::unique_ptr<StoreClient> m_client;
    std::unique_ptr<ErrorsPanel> m_panel;

    void grab(const QString &name)
    {
        // Set LATHE_TEST_GRABS to a folder to look at what the tests drove the panel to.
        const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
        if (!dir.isEmpty())
            QVERIFY(m_panel->grab().save(QDir(dir).filePath("robustness-" + name + ".png")));
    }

    RobustnessView *view() const { return m_panel->robustness(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        m_runId = testing::trainRun(m_db, testing::tinyConfig(1000, 1), "robust-test");
        m_client = std::make_unique<StoreClient>(m_db);
        m_panel = std::make_unique<ErrorsPanel>(*m_client);
        m_panel->resize(1100, 640);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
        namedChild<QTabWidget>(m_panel.get(), "errors-tabs")->setCurrentWidget(view());
        QVERIFY(!namedChild<QPushButton>(view(), "robustness-attack")->isEnabled());
    }

    void attackShowsCoresRobustAccuracy()
    {
        m_panel->setSelection({.inspected = m_runId});
        auto *attack = namedChild<QPushButton>(view(), "robustness-attack");
        QTRY_VERIFY(attack->isEnabled());
        namedChild<QLineEdit>(view(), "robustness-eps")->setText("0.2, 0.05");
        namedChild<QSpinBox>(view(), "robustness-steps")->setValue(5);
        namedChild<QSpinBox>(view(), "robustness-limit")->setValue(120);
        QSignalSpy finished(view(), &RobustnessView::computeFinished);
        QTest::mouseClick(attack, Qt::LeftButton);
        QVERIFY(view()->isComputing());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);

        // What core computes for the same checkpoint and settings.
        auto run = train::openRun(m_db, std::to_string(m_runId), "best");
        QVERIFY(run.has_value());
        robust::RobustnessOptions options;
        options.epsilons = {0.0, 0.05, 0.2};
        options.attack.steps = 5;
        options.limit = 120;
        auto core = robust::evaluateRobustness(*run, options);
        QVERIFY(core.has_value());

        const auto &points = view()->points();
        QCOMPARE(points.size(), qsizetype(3));
        auto *table = namedChild<QTableWidget>(view(), "robustness-table");
        QCOMPARE(table->rowCount(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(points[i].x(), (*core)[std::size_t(i)].epsilon);
            QCOMPARE(points[i].y(), (*core)[std::size_t(i)].accuracy);
            QCOMPARE(table->item(i, 1)->text(),
                     QString::number((*core)[std::size_t(i)].accuracy * 100, 'f', 2) + " %");
        }
        QVERIFY(points[2].y() < points[0].y());
        QCOMPARE(namedChild<RobustnessCurve>(view(), "robustness-curve")->points(), points);
        QVERIFY(namedChild<QLabel>(view(), "robustness-status")->text().contains("120 test"));
        grab("curve");

        auto stored = robust::latestRobustness(m_db, m_runId);
        QVERIFY(stored.has_value());
        auto storedPoints = robust::robustPointsFromJson(*stored);
        QVERIFY(storedPoints.has_value());
        QCOMPARE(storedPoints->size(), std::size_t(3));
        QCOMPARE((*storedPoints)[1].accuracy, points[1].y());
    }

    // A result stored the way `lathe-cli robustness` stores it (core's evaluation, its JSON
    // with the checkpoint's name, the run's robustness event) shows when the run is selected in
    // a new panel, without Attack; another checkpoint shows none.
    void aStoredResultShowsOnSelection()
    {
        auto run = train::openRun(m_db, std::to_string(m_runId), "best");
        QVERIFY(run.has_value());
        robust::RobustnessOptions options;
        options.epsilons = {0.0, 0.03, 0.3};
        options.attack.steps = 4;
        options.limit = 80;
        auto core = robust::evaluateRobustness(*run, options);
        QVERIFY(core.has_value());
        auto payload = robust::robustnessJson(options, *core);
        payload["checkpoint"] = run->checkpoint.name;
        QVERIFY(robust::storeRobustness(m_db, m_runId, payload).has_value());

        ErrorsPanel panel(*m_client);
        auto *stored = panel.robustness();
        QSignalSpy loaded(stored, &RobustnessView::storedLoaded);
        panel.setSelection({.inspected = m_runId});
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 20000);
        auto *checkpoint = namedChild<QComboBox>(&panel, "errors-checkpoint");
        QCOMPARE(checkpoint->currentData().toString(), QString("best"));
        QCOMPARE(loaded.last().at(0).toBool(), true);
        QVERIFY(!stored->isComputing());
        const auto &points = stored->points();
        QCOMPARE(points.size(), qsizetype(3));
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(points[i].x(), (*core)[std::size_t(i)].epsilon);
            QCOMPARE(points[i].y(), (*core)[std::size_t(i)].accuracy);
        }
        auto *table = namedChild<QTableWidget>(stored, "robustness-table");
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->item(2, 0)->text(), QString("0.3"));
        QCOMPARE(namedChild<RobustnessCurve>(stored, "robustness-curve")->points(), points);
        const QString status = namedChild<QLabel>(stored, "robustness-status")->text();
        QVERIFY2(status.contains("Stored result of best") && status.contains("PGD-4")
                     && status.contains("80 test"),
                 qPrintable(status));

        // A checkpoint without a stored result: an empty table and the hint.
        const int other = checkpoint->findData(QString("last"));
        QVERIFY(other >= 0);
        loaded.clear();
        checkpoint->setCurrentIndex(other);
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 20000);
        QCOMPARE(loaded.last().at(0).toBool(), false);
        QVERIFY(stored->points().isEmpty());
        QCOMPARE(table->rowCount(), 0);
    }

    void aBadEpsilonIsNamed()
    {
        namedChild<QLineEdit>(view(), "robustness-eps")->setText("0.1, -2");
        QTest::mouseClick(namedChild<QPushButton>(view(), "robustness-attack"), Qt::LeftButton);
        QVERIFY(!view()->isComputing());
        QVERIFY2(namedChild<QLabel>(view(), "robustness-status")->text().contains("\"-2\""),
                 qPrintable(namedChild<QLabel>(view(), "robustness-status")->text()));
    }

    void cancelStopsIt()
    {
        namedChild<QLineEdit>(view(), "robustness-eps")->setText("0.1, 0.2, 0.3");
        namedChild<QSpinBox>(view(), "robustness-steps")->setValue(200);
        namedChild<QSpinBox>(view(), "robustness-limit")->setValue(1000);
        QSignalSpy finished(view(), &RobustnessView::computeFinished);
        QTest::mouseClick(namedChild<QPushButton>(view(), "robustness-attack"), Qt::LeftButton);
        QVERIFY(view()->isComputing());
        QTest::mouseClick(namedChild<QPushButton>(view(), "robustness-cancel"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QCOMPARE(namedChild<QLabel>(view(), "robustness-status")->text(), QString("Cancelled"));
        QVERIFY(namedChild<QPushButton>(view(), "robustness-attack")->isEnabled());
    }
};

LATHE_TEST_MAIN(TstRobustnessView)
#include "tst_robustness_view.moc"
