// Where a run ran, in the window: the Runs panel's Environment tab, Compare's "same config,
// different CPU" line, and Help → About's facts, on a run trained for real.
#include "core/track/run_store.h"
#include "core/train/run_environment.h"
#include "core/util/build_info.h"
#include "core/util/environment.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/compare_view.h"
#include "panels/runs/run_environment_view.h"
#include "panels/window/about_dialog.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QSignalSpy>
#include <QTextDocument>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

namespace {

const QString kTrainLabelsSha
    = QStringLiteral("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056");

} // namespace

class TestRunEnvironmentView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        qputenv("XDG_DATA_HOME", m_dir.path().toUtf8());
        m_db = m_dir.path().toStdString() + "/lathe.db";
        auto config = testing::tinyConfig(256, 1);
        auto job = train::RunJob::createNew(config, {m_db, "here", 2});
        QVERIFY(job.has_value());
        QVERIFY((*job)->run().has_value());
        m_here = (*job)->runId();
        job->reset();
        // The same config, recorded on another CPU.
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        auto first = (*store)->run(m_here);
        auto id = (*store)->createRun(
            {"there", first->configJson, first->seed, {}, first->torchVersion});
        QVERIFY(id.has_value());
        m_there = *id;
        auto env = **train::latestEnvironment(**store, m_here);
        env.cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
        QVERIFY(train::recordEnvironment(**store, m_there, 0, env).has_value());
        m_client = std::make_unique<StoreClient>(m_db);
    }
    void cleanupTestCase() { m_client.reset(); }

    void environmentTab()
    {
        RunEnvironmentView view(*m_client);
        QSignalSpy shown(&view, &RunEnvironmentView::shown);
        view.showRun(m_here);
        QVERIFY(shown.wait(10000));
        const QString text = view.text();
        QVERIFY2(text.contains(QString::fromStdString(util::readCpuInfo().model)),
                 qPrintable(text));
        QVERIFY(text.contains(kTrainLabelsSha));
        QVERIFY(text.contains("LibTorch"));
        QVERIFY(!text.contains("ran elsewhere"));
        view.showRun(0);
        QVERIFY(view.text().contains("Select a run"));
    }

    void compareSaysSameConfigDifferentCpu()
    {
        CompareView view(*m_client);
        QSignalSpy shown(&view, &CompareView::comparisonShown);
        RunRow here, there;
        here.id = m_here;
        here.name = "here";
        there.id = m_there;
        there.name = "there";
        view.showRuns({here, there});
        QVERIFY(shown.wait(10000));
        const QString text = view.environmentText();
        QVERIFY2(text.startsWith("Same config, different CPU:"), qPrintable(text));
        QVERIFY(text.contains("there Intel(R) Xeon(R) Platinum 8480+"));
        // Two runs of one machine: nothing said.
        view.showRuns({here, here});
        QVERIFY(shown.wait(10000));
        QCOMPARE(view.environmentText(), QString());
    }

    void aboutShowsTheSameFacts()
    {
        QTextDocument document;
        document.setHtml(aboutText(m_db));
        const QString text = document.toPlainText();
        QVERIFY2(text.contains(QString::fromStdString(util::latheVersionString())),
                 qPrintable(text));
        QVERIFY(text.contains(QString::fromStdString(util::readCpuInfo().model)));
        QVERIFY(text.contains(QString::fromStdString(m_db.string())));
        QVERIFY(text.contains("oneDNN"));
    }

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::int64_t m_here = 0, m_there = 0;
    std::unique_ptr<StoreClient> m_client;
};

LATHE_TEST_MAIN(TestRunEnvironmentView)
#include "tst_run_environment_view.moc"
