// compare::compareSides on a real store: runs stand for their repeat groups, KEY=VALUE sides,
// sides on two keys (the runs with both values, as a group of the Runs panel's tree), each
// metric's verdict equal to core's stats::verdict of the same values, best-of metrics, the
// config keys that differ (the seed aside), where the sides ran when that differs, and the
// errors a user can get.
#include "core/compare/side_comparison.h"
#include "core/stats/comparison.h"
#include "core/track/run_store.h"
#include "core/train/run_environment.h"
#include "core/util/environment.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace lathe;

class TestSideComparison : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<track::RunStore> m_store;

    /// A finished run with optimizer.lr `lr`, test/accuracy `accuracy` and a val/accuracy series
    /// peaking at `accuracy` + 0.01, tagged `tag` when one is given.
    std::int64_t addRun(double lr, int seed, double accuracy, const std::string &tag = {})
    {
        const nlohmann::json config{{"optimizer", {{"lr", lr}}}, {"training", {{"seed", seed}}}};
        const auto id = m_store->createRun({"run", config.dump(), std::uint64_t(seed)});
        if (!id)
            qFatal("%s", id.error().toString().c_str());
        const std::vector<track::MetricPoint> points{
            {*id, "val/accuracy", 1, 1, 0, accuracy + 0.01},
            {*id, "val/accuracy", 2, 2, 0, accuracy - 0.02},
            {*id, "test/accuracy", 2, 2, 0, accuracy}};
        if (!m_store->addMetrics(points) || (!tag.empty() && !m_store->addTag(*id, tag)))
            qFatal("cannot write run %lld", (long long)*id);
        return *id;
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto store = track::RunStore::open(m_dir.filePath("lathe.db").toStdString());
        QVERIFY_OK(store);
        m_store = std::move(*store);
        for (int i = 0; i < 4; ++i)
            addRun(0.01, i, 0.80 + 0.01 * i, "repeat:low");
        for (int i = 0; i < 4; ++i)
            addRun(0.1, i, 0.86 + 0.005 * i, "repeat:high");
        addRun(0.5, 0, 0.5); // run 9, in no group
    }

    void runsStandForTheirRepeatGroups()
    {
        auto c = compare::compareSides(*m_store, {1, {}, {}}, {6, {}, {}});
        QVERIFY_OK(c);
        QCOMPARE(c->a.label, std::string("repeat=low"));
        QCOMPARE(c->b.runIds, (std::vector<std::int64_t>{5, 6, 7, 8}));
        QCOMPARE(c->metrics.size(), std::size_t(2)); // no run has a loss
        const auto &test = c->metrics[std::size_t(c->headline)];
        QCOMPARE(test.label, std::string("test/accuracy"));
        const std::vector<double> low{0.80, 0.81, 0.82, 0.83}, high{0.86, 0.865, 0.87, 0.875};
        QCOMPARE(test.verdict, stats::verdict(low, high, test.words));
        QVERIFY(test.verdict.starts_with("repeat=high is better than repeat=low"));
        QVERIFY(test.permutation && test.permutation->exact);
        // best val/accuracy: the highest of each run's series.
        const auto &best = c->metrics[1];
        QCOMPARE(best.label, std::string("best val/accuracy"));
        QVERIFY(std::abs(best.summaryA.mean - 0.825) < 1e-12);
        // The seed differs within each side by design; only the lr is reported.
        QCOMPARE(c->configDifferences.size(), std::size_t(1));
        QCOMPARE(c->configDifferences[0].key, std::string("optimizer.lr"));
        QCOMPARE(c->configDifferences[0].a, std::vector<std::string>{"0.01"});
    }

    void keyValueSidesAndRunsAlone()
    {
        auto byKey = compare::parseSideRef(*m_store, "optimizer.lr=0.1");
        QVERIFY_OK(byKey);
        auto lone = compare::parseSideRef(*m_store, "9");
        QVERIFY_OK(lone);
        auto c = compare::compareSides(*m_store, *lone, *byKey);
        QVERIFY_OK(c);
        // Names are made unique by the store: "run", "run-2", ...
        QCOMPARE(c->a.label, "run 9 (" + m_store->run(9)->name + ")");
        QCOMPARE(c->b.runIds.size(), std::size_t(4));
        QVERIFY2(c->metrics[0].verdict.starts_with("1 vs 4 runs: no conclusion is possible"),
                 c->metrics[0].verdict.c_str());
        // Two runs of one group are compared alone, not the group with itself.
        auto same = compare::compareSides(*m_store, {1, {}, {}}, {2, {}, {}});
        QVERIFY_OK(same);
        QCOMPARE(same->a.runIds, std::vector<std::int64_t>{1});
        QCOMPARE(same->b.runIds, std::vector<std::int64_t>{2});
    }

    void twoKeySidesHoldTheRunsWithBothValues()
    {
        // lr 0.1 and seed 2: run 7 alone; seed 0 of every lr: runs 1, 5 and 9.
        const compare::SideRef both{0, {"optimizer.lr", "training.seed"}, {"0.1", "2"}};
        const compare::SideRef seed{0, {"training.seed"}, {"0"}};
        auto c = compare::compareSides(*m_store, both, seed);
        QVERIFY_OK(c);
        QCOMPARE(c->a.label, std::string("optimizer.lr=0.1, training.seed=2"));
        QCOMPARE(c->a.runIds, std::vector<std::int64_t>{7});
        QCOMPARE(c->b.label, std::string("training.seed=0"));
        QCOMPARE(c->b.runIds, (std::vector<std::int64_t>{1, 5, 9}));
        // A config key and a repeat group: the group's runs with that lr.
        auto mixed
            = compare::compareSides(*m_store, {0, {"optimizer.lr", "repeat"}, {"0.1", "high"}},
                                    {0, {"repeat", "optimizer.lr"}, {"low", "0.01"}});
        QVERIFY_OK(mixed);
        QCOMPARE(mixed->a.runIds, (std::vector<std::int64_t>{5, 6, 7, 8}));
        QCOMPARE(mixed->b.runIds, (std::vector<std::int64_t>{1, 2, 3, 4}));
        // Values no run has together.
        auto none = compare::compareSides(*m_store,
                                          {0, {"optimizer.lr", "repeat"}, {"0.01", "high"}}, seed);
        QVERIFY(!none);
        QCOMPARE(none.error().code, ErrorCode::NotFound);
        QVERIFY2(none.error().message.find("no run has optimizer.lr=0.01, repeat=high")
                     != std::string::npos,
                 none.error().message.c_str());
        // A key without its value.
        auto lopsided
            = compare::compareSides(*m_store, {0, {"optimizer.lr", "repeat"}, {"0.1"}}, seed);
        QVERIFY(!lopsided);
        QCOMPARE(lopsided.error().code, ErrorCode::InvalidArgument);
    }

    void unknownSidesAreNamed()
    {
        QCOMPARE(compare::parseSideRef(*m_store, "nosuchrun").error().code, ErrorCode::NotFound);
        auto none = compare::compareSides(*m_store, {0, {"optimizer.lr"}, {"7"}}, {1, {}, {}});
        QVERIFY(!none);
        QCOMPARE(none.error().code, ErrorCode::NotFound);
        QVERIFY2(none.error().message.find("no run has optimizer.lr=7") != std::string::npos,
                 none.error().message.c_str());
    }

    // Two repeat groups of one config that ran on different CPUs (and, for one run of B, another
    // LibTorch): the comparison says so beside the config keys; a run that recorded nothing is
    // not a difference; configs that differ drop "same config".
    void groupsThatRanElsewhereSayWhere()
    {
        auto opened = track::RunStore::open(m_dir.filePath("environments.db").toStdString());
        QVERIFY_OK(opened);
        auto &store = **opened;
        util::RunEnvironment base;
        base.latheVersion = "0.1.0";
        base.torchVersion = "1.13.1";
        base.cpu.model = "AMD EPYC 9454 48-Core Processor";
        base.threads = 2;
        base.os = "Debian GNU/Linux 12 (bookworm)";
        base.host = "lab-1";
        auto xeon = base;
        xeon.cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
        auto newerTorch = xeon;
        newerTorch.torchVersion = "2.1.0";
        const auto add
            = [&](double lr, int seed, const std::string &group, const util::RunEnvironment *env) {
                  const nlohmann::json config{{"optimizer", {{"lr", lr}}},
                                              {"training", {{"seed", seed}}}};
                  const auto id = store.createRun({"run", config.dump(), std::uint64_t(seed)});
                  QVERIFY_OK(id);
                  const std::vector<track::MetricPoint> points{
                      {*id, "test/accuracy", 1, 1, 0, 0.8 + 0.01 * seed}};
                  QVERIFY_OK(store.addMetrics(points));
                  QVERIFY_OK(store.addTag(*id, "repeat:" + group));
                  if (env)
                      QVERIFY_OK(train::recordEnvironment(store, *id, 0, *env));
              };
        for (int seed = 0; seed < 3; ++seed)
            add(0.05, seed, "epyc", &base);
        add(0.05, 0, "xeon", &xeon);
        add(0.05, 1, "xeon", &newerTorch);
        add(0.05, 2, "xeon", nullptr); // an older run: recorded nothing
        add(0.5, 0, "epyc-lr", &base);
        add(0.5, 1, "epyc-lr", &base);
        if (QTest::currentTestFailed())
            return;

        const compare::SideRef epyc{0, {"repeat"}, {"epyc"}}, xeons{0, {"repeat"}, {"xeon"}};
        auto c = compare::compareSides(store, epyc, xeons);
        QVERIFY_OK(c);
        QVERIFY(c->configDifferences.empty());
        const auto &env = c->environment;
        QCOMPARE(env.summary,
                 std::string("same config, the groups ran on different CPU, LibTorch"));
        QCOMPARE(env.recordedA, 3);
        QCOMPARE(env.recordedB, 2);
        QCOMPARE(env.rows.size(), std::size_t(2));
        QCOMPARE(env.rows[0].aspect, std::string("CPU"));
        QCOMPARE(env.rows[0].a, std::vector<std::string>{base.cpu.model});
        QCOMPARE(env.rows[0].b, std::vector<std::string>{xeon.cpu.model});
        QCOMPARE(env.rows[1].aspect, std::string("LibTorch"));
        QCOMPARE(env.rows[1].b, (std::vector<std::string>{"1.13.1", "2.1.0"}));

        // Same machine, another lr: no environment difference, whatever the config says.
        auto sameMachine = compare::compareSides(store, epyc, {0, {"repeat"}, {"epyc-lr"}});
        QVERIFY_OK(sameMachine);
        QCOMPARE(sameMachine->configDifferences.size(), std::size_t(1));
        QVERIFY(sameMachine->environment.rows.empty());
        QVERIFY(sameMachine->environment.summary.empty());
        // Another lr on another CPU: the difference without "same config".
        auto both = compare::compareSides(store, {0, {"repeat"}, {"epyc-lr"}}, xeons);
        QVERIFY_OK(both);
        QCOMPARE(both->environment.summary,
                 std::string("the groups ran on different CPU, LibTorch"));
        // The run without an environment alone against a group: nothing to compare with.
        auto unknown = compare::compareSides(store, {6, {}, {}}, epyc);
        QVERIFY_OK(unknown);
        QCOMPARE(unknown->a.runIds, (std::vector<std::int64_t>{4, 5, 6}));
        auto lone = compare::environmentGroupDiff(store, std::vector<std::int64_t>{6},
                                                  std::vector<std::int64_t>{1, 2}, true);
        QVERIFY_OK(lone);
        QCOMPARE(lone->recordedA, 0);
        QVERIFY(lone->rows.empty());
        QVERIFY(lone->summary.empty());
        QCOMPARE(compare::environmentGroupDiff(store, std::vector<std::int64_t>{99},
                                               std::vector<std::int64_t>{1}, true)
                     .error()
                     .code,
                 ErrorCode::NotFound);
    }
};

LATHE_TEST_GUILESS_MAIN(TestSideComparison)
#include "tst_side_comparison.moc"
