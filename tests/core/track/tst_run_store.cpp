#include "core/util/clock.h"
#include "core/track/process_identity.h"
#include "core/track/run_store.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace lathe;
using namespace lathe::track;
using lathe::track::testing::deadPid;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawExec;
using lathe::track::testing::rawInt;
using lathe::track::testing::str;

Q_DECLARE_METATYPE(std::vector<std::string>)

namespace {

const char *kConfig = R"({"optimizer": {"name": "adam", "lr": 0.001, "betas": [0.9, 0.999]},
                          "epochs": 10, "model": {"kind": "mlp", "hidden": 128}})";

std::vector<std::string> runNames(const std::vector<RunInfo> &runs)
{
    std::vector<std::string> out;
    for (const auto &run : runs)
        out.push_back(run.name);
    return out;
}

} // namespace

class TestRunStore : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<RunStore> m_store;

    std::int64_t create(const std::string &name, const std::string &config = "{}")
    {
        auto id = m_store->createRun({.name = name, .configJson = config});
        return id ? *id : -1;
    }

    // seriesXY (packed blocks + tail rows) returns exactly what metricSeries (rows) does.
    bool sameSeries(std::int64_t runId, const std::string &key)
    {
        auto rows = m_store->metricSeries(runId, key);
        if (!rows)
            return false;
        const auto same = [](double a, double b) { return a == b || (a != a && b != b); };
        for (auto x : {SeriesX::Step, SeriesX::Epoch, SeriesX::WallTime}) {
            std::int64_t lastId = -1;
            auto points = m_store->seriesXY(runId, key, x, &lastId);
            if (!points || points->size() != rows->size() || lastId != rows->back().id)
                return false;
            for (std::size_t i = 0; i < rows->size(); ++i) {
                const auto &r = (*rows)[i];
                const double rx = x == SeriesX::Step    ? double(r.step)
                                  : x == SeriesX::Epoch ? r.epoch
                                                        : r.wallTime;
                if (!same((*points)[i].x, rx) || !same((*points)[i].y, r.value))
                    return false;
            }
        }
        return true;
    }

private Q_SLOTS:
    void init()
    {
        static int counter = 0;
        m_db = pathIn(m_dir, ("store" + std::to_string(++counter) + ".db").c_str());
        auto store = RunStore::open(m_db);
        QVERIFY_OK(store);
        m_store = std::move(*store);
    }
    void cleanup() { m_store.reset(); }

    void createAndReadBack()
    {
        const double before = util::unixNow();
        const std::uint64_t seed = std::numeric_limits<std::uint64_t>::max() - 7;
        auto id = m_store->createRun({.name = "first", .configJson = kConfig, .seed = seed});
        QVERIFY_OK(id);
        auto run = m_store->run(*id);
        QVERIFY_OK(run);
        QCOMPARE(run->id, *id);
        QCOMPARE(run->name, std::string("first"));
        QCOMPARE(str(run->status), str(RunStatus::Created));
        QCOMPARE(run->seed, seed);
        QCOMPARE(run->configJson, std::string(kConfig));
        QVERIFY(run->createdAt >= before - 1 && run->createdAt <= util::unixNow() + 1);
        QCOMPARE(run->startedAt, 0.0);
        QCOMPARE(run->endedAt, 0.0);
        QVERIFY(!run->parentId);
        QVERIFY(run->tags.empty());
    }

    void paramsAreFlattened()
    {
        const auto id = create("p", kConfig);
        auto params = m_store->params(id);
        QVERIFY_OK(params);
        const std::vector<std::pair<std::string, std::string>> expected{
            {"epochs", "10"},          {"model.hidden", "128"},
            {"model.kind", "mlp"},     {"optimizer.betas", "[0.9,0.999]"},
            {"optimizer.lr", "0.001"}, {"optimizer.name", "adam"}};
        QCOMPARE(*params, expected);
    }

    void setConfigReplacesConfigAndParams()
    {
        const auto id = create("steered", kConfig);
        const std::string changed = R"({"optimizer": {"lr": 0.0005}, "steering": [{"step": 4}]})";
        QVERIFY_OK(m_store->setConfig(id, changed));
        auto run = m_store->run(id);
        QVERIFY_OK(run);
        QCOMPARE(run->configJson, changed);
        auto params = m_store->params(id);
        QVERIFY_OK(params);
        const std::vector<std::pair<std::string, std::string>> expected{
            {"optimizer.lr", "0.0005"}, {"steering", "[{\"step\":4}]"}};
        QCOMPARE(*params, expected);

        auto bad = m_store->setConfig(id, "[1, 2]");
        QVERIFY(!bad);
        QCOMPARE(int(bad.error().code), int(ErrorCode::InvalidArgument));
        QCOMPARE(m_store->run(id)->configJson, changed); // a refused change leaves it as it was
        auto missing = m_store->setConfig(id + 100, "{}");
        QVERIFY(!missing);
        QCOMPARE(int(missing.error().code), int(ErrorCode::NotFound));
    }

    void badConfigIsRefusedAndStoresNothing()
    {
        auto id = m_store->createRun({.name = "bad", .configJson = R"({"lr": 0.1,})"});
        QVERIFY(!id);
        QCOMPARE(id.error().code, ErrorCode::InvalidArgument);
        QVERIFY(id.error().message.find("JSON") != std::string::npos);
        QCOMPARE(m_store->listRuns({})->size(), std::size_t(0));
        QCOMPARE(m_store->createRun({.name = ""}).error().code, ErrorCode::InvalidArgument);
    }

    void unknownParentIsNotFound()
    {
        auto id = m_store->createRun({.name = "child", .parentId = 999});
        QVERIFY(!id);
        QCOMPARE(id.error().code, ErrorCode::NotFound);
        QVERIFY(id.error().message.find("999") != std::string::npos);
    }

    void statusTransitions()
    {
        const auto id = create("s");
        QVERIFY_OK(m_store->setStatus(id, RunStatus::Running));
        auto run = m_store->run(id);
        QCOMPARE(str(run->status), str(RunStatus::Running));
        QVERIFY(run->startedAt > 0);
        QCOMPARE(run->host, currentProcess().host);
        const double started = run->startedAt;

        QVERIFY_OK(m_store->setStatus(id, RunStatus::Paused));
        QCOMPARE(str(m_store->run(id)->status), str(RunStatus::Paused));
        QVERIFY_OK(m_store->setStatus(id, RunStatus::Running));
        QCOMPARE(m_store->run(id)->startedAt, started); // only the first start counts

        QVERIFY_OK(m_store->setStatus(id, RunStatus::Failed, "loss is NaN at step 12"));
        run = m_store->run(id);
        QCOMPARE(str(run->status), str(RunStatus::Failed));
        QCOMPARE(run->errorMessage, std::string("loss is NaN at step 12"));
        QVERIFY(run->endedAt >= started);

        QCOMPARE(m_store->setStatus(4242, RunStatus::Running).error().code, ErrorCode::NotFound);
    }

    void statusNamesRoundTrip()
    {
        for (auto s :
             {RunStatus::Created, RunStatus::Running, RunStatus::Paused, RunStatus::Finished,
              RunStatus::Failed, RunStatus::Stopped, RunStatus::Interrupted, RunStatus::Pruned}) {
            QVERIFY(parseRunStatus(toString(s)) == s);
        }
        QVERIFY(!parseRunStatus("Running"));
        QCOMPARE(QString::fromLatin1(toString(RunStatus::Pruned).data()), QString("pruned"));
        QVERIFY(isTerminal(RunStatus::Pruned));
    }

    void tagsNotesAndRename()
    {
        const auto id = create("old name");
        QVERIFY_OK(m_store->addTag(id, "zeta"));
        QVERIFY_OK(m_store->addTag(id, "baseline"));
        QVERIFY_OK(m_store->addTag(id, "baseline")); // already there: no-op
        QCOMPARE(m_store->run(id)->tags, (std::vector<std::string>{"baseline", "zeta"}));
        QVERIFY_OK(m_store->removeTag(id, "zeta"));
        QVERIFY_OK(m_store->removeTag(id, "never added"));
        QCOMPARE(m_store->run(id)->tags, std::vector<std::string>{"baseline"});

        QVERIFY_OK(m_store->setNotes(id, "try a lower LR next"));
        QVERIFY_OK(m_store->rename(id, "new name"));
        auto run = m_store->run(id);
        QCOMPARE(run->notes, std::string("try a lower LR next"));
        QCOMPARE(run->name, std::string("new name"));

        QCOMPARE(m_store->rename(id, "").error().code, ErrorCode::InvalidArgument);
        QCOMPARE(m_store->addTag(id, "").error().code, ErrorCode::InvalidArgument);
        QCOMPARE(m_store
                     ->addTag(id, "a\x1f"
                                  "b")
                     .error()
                     .code,
                 ErrorCode::InvalidArgument);
        QCOMPARE(m_store->addTag(77, "x").error().code, ErrorCode::NotFound);
        QCOMPARE(m_store->removeTag(77, "x").error().code, ErrorCode::NotFound);
        QCOMPARE(m_store->setNotes(77, "x").error().code, ErrorCode::NotFound);
        QCOMPARE(m_store->rename(77, "x").error().code, ErrorCode::NotFound);
    }

    void deleteCascades()
    {
        const auto id = create("doomed", kConfig);
        auto child = m_store->createRun({.name = "child", .parentId = id});
        QVERIFY_OK(child);
        const std::vector<MetricPoint> points{{id, "loss", 1, 0, 1, 0.5},
                                              {id, "loss", 2, 0, 2, 0.4}};
        QVERIFY_OK(m_store->addMetrics(points));
        QVERIFY_OK(m_store->addEvent({.runId = id, .kind = "checkpoint"}));
        QVERIFY_OK(m_store->addArtifact({.runId = id, .kind = "checkpoint", .path = "/tmp/c.pt"}));
        QVERIFY_OK(m_store->addTag(id, "t"));

        QVERIFY_OK(m_store->deleteRun(id));
        QCOMPARE(m_store->run(id).error().code, ErrorCode::NotFound);
        for (const char *table : {"metrics", "events", "artifacts", "tags", "params"}) {
            QCOMPARE(rawInt(m_db, std::string("SELECT count(*) FROM ") + table
                                      + " WHERE run_id = " + std::to_string(id)),
                     std::int64_t(0));
        }
        QVERIFY(!m_store->run(*child)->parentId);
        QCOMPARE(m_store->deleteRun(id).error().code, ErrorCode::NotFound);
    }

    void listRuns_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("status"); // -1: any
        QTest::addColumn<QString>("sortKey");
        QTest::addColumn<bool>("descending");
        QTest::addColumn<int>("limit");
        QTest::addColumn<std::vector<std::string>>("expected");
        using V = std::vector<std::string>;
        QTest::newRow("all, newest first")
            << "" << -1 << "created_at" << true << 0 << V{"delta_1", "gamma", "Beta", "alpha"};
        QTest::newRow("by id ascending")
            << "" << -1 << "id" << false << 0 << V{"alpha", "Beta", "gamma", "delta_1"};
        QTest::newRow("by name, case-insensitive")
            << "" << -1 << "name" << false << 0 << V{"alpha", "Beta", "delta_1", "gamma"};
        QTest::newRow("limit") << "" << -1 << "id" << true << 2 << V{"delta_1", "gamma"};
        QTest::newRow("name match") << "GAM" << -1 << "id" << false << 0 << V{"gamma"};
        QTest::newRow("tag match") << "baseLINE" << -1 << "id" << false << 0 << V{"alpha"};
        QTest::newRow("notes match") << "higher lr" << -1 << "id" << false << 0 << V{"Beta"};
        QTest::newRow("underscore is literal") << "_" << -1 << "id" << false << 0 << V{"delta_1"};
        QTest::newRow("status filter")
            << "" << int(RunStatus::Running) << "id" << false << 0 << V{"gamma"};
        QTest::newRow("text and status") << "a" << int(RunStatus::Created) << "id" << false << 0
                                         << V{"alpha", "Beta", "delta_1"};
        QTest::newRow("started_at, nulls last")
            << "" << -1 << "started_at" << true << 0 << V{"gamma", "delta_1", "Beta", "alpha"};
    }
    void listRuns()
    {
        QFETCH(QString, text);
        QFETCH(int, status);
        QFETCH(QString, sortKey);
        QFETCH(bool, descending);
        QFETCH(int, limit);
        QFETCH(std::vector<std::string>, expected);
        const auto alpha = create("alpha");
        const auto beta = create("Beta");
        const auto gamma = create("gamma");
        create("delta_1");
        QVERIFY_OK(m_store->addTag(alpha, "baseline"));
        QVERIFY_OK(m_store->setNotes(beta, "Try a HIGHER LR"));
        QVERIFY_OK(m_store->setStatus(gamma, RunStatus::Running));

        RunQuery query{text.toStdString(), std::nullopt, sortKey.toStdString(), descending, limit};
        if (status >= 0)
            query.status = static_cast<RunStatus>(status);
        auto runs = m_store->listRuns(query);
        QVERIFY_OK(runs);
        QCOMPARE(runNames(*runs), expected);
        for (const auto &run : *runs) {
            const auto tags = run.id == alpha ? std::vector<std::string>{"baseline"}
                                              : std::vector<std::string>{};
            QCOMPARE(run.tags, tags);
        }
    }

    void listRunsRejectsUnknownSortKey()
    {
        auto runs = m_store->listRuns({.sortKey = "name; DROP TABLE runs"});
        QVERIFY(!runs);
        QCOMPARE(runs.error().code, ErrorCode::InvalidArgument);
    }

    void namesStayUnique()
    {
        // A second "Fine-tune from here" of the same run asks for the same name.
        const auto first = create("fashion-cnn-ft");
        const auto second = create("fashion-cnn-ft");
        const auto third = create("fashion-cnn-ft");
        QCOMPARE(m_store->run(first)->name, std::string("fashion-cnn-ft"));
        QCOMPARE(m_store->run(second)->name, std::string("fashion-cnn-ft-2"));
        QCOMPARE(m_store->run(third)->name, std::string("fashion-cnn-ft-3"));
        // A freed suffix is taken again; a name that looks suffixed is a name like any other.
        QVERIFY_OK(m_store->deleteRun(second));
        QCOMPARE(m_store->run(create("fashion-cnn-ft"))->name, std::string("fashion-cnn-ft-2"));
        QCOMPARE(m_store->run(create("fashion-cnn-ft-3"))->name, std::string("fashion-cnn-ft-3-2"));
        // Each name finds its own run.
        QCOMPARE(m_store->findRun("fashion-cnn-ft")->id, first);
        QCOMPARE(m_store->findRun("fashion-cnn-ft-3")->id, third);
        // A rename to another run's name is refused, naming that run; to its own name is fine.
        auto clash = m_store->rename(third, "fashion-cnn-ft");
        QVERIFY(!clash);
        QCOMPARE(clash.error().code, ErrorCode::InvalidArgument);
        QVERIFY(clash.error().message.find("run " + std::to_string(first)) != std::string::npos);
        QCOMPARE(m_store->run(third)->name, std::string("fashion-cnn-ft-3"));
        QVERIFY_OK(m_store->rename(first, "fashion-cnn-ft"));
    }

    void findRunByIdAndName()
    {
        const auto first = create("twin");
        const auto second = create("twin");
        const auto other = create("other");
        QCOMPARE(m_store->findRun(std::to_string(other))->name, std::string("other"));
        QCOMPARE(m_store->findRun("twin")->id, first);
        QCOMPARE(m_store->findRun("twin-2")->id, second);
        // A store written before names were unique: the newest of a name is found.
        QVERIFY(
            rawExec(m_db, "UPDATE runs SET name = 'twin' WHERE id = " + std::to_string(second)));
        QCOMPARE(m_store->findRun("twin")->id, std::max(first, second));
        auto missing = m_store->findRun("nope");
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        QVERIFY(missing.error().message.find("'nope'") != std::string::npos);
        QCOMPARE(m_store->findRun("123456").error().code, ErrorCode::NotFound);
    }

    void metricsQueries()
    {
        const auto id = create("m");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        std::vector<MetricPoint> points;
        for (int step = 1; step <= 5; ++step) {
            points.push_back({id, "train.loss", step, step * 0.5, 100.0 + step, 1.0 / step});
            points.push_back({id, "val.acc", step, step * 0.5, 100.0 + step, 0.1 * step});
        }
        points.push_back({id, "train.loss", 6, 3.0, 106.0, nan});
        QVERIFY_OK(m_store->addMetrics(points));

        auto loss = m_store->metricSeries(id, "train.loss");
        QVERIFY_OK(loss);
        QCOMPARE(loss->size(), std::size_t(6));
        QCOMPARE((*loss)[1].step, std::int64_t(2));
        QCOMPARE((*loss)[1].epoch, 1.0);
        QCOMPARE((*loss)[1].wallTime, 102.0);
        QCOMPARE((*loss)[1].value, 0.5);
        QVERIFY(std::isnan(loss->back().value));
        auto newer = m_store->metricSeries(id, "train.loss", (*loss)[3].id);
        QCOMPARE(newer->size(), std::size_t(2));
        QCOMPARE(newer->front().step, std::int64_t(5));

        QCOMPARE(*m_store->metricKeys(id), (std::vector<std::string>{"train.loss", "val.acc"}));
        QVERIFY(std::isnan(m_store->lastMetric(id, "train.loss")->value()));
        QCOMPARE(m_store->lastMetric(id, "val.acc")->value(), 0.5);
        QCOMPARE(m_store->bestMetric(id, "train.loss", false)->value(), 0.2);
        QCOMPARE(m_store->bestMetric(id, "val.acc", true)->value(), 0.5);
        QVERIFY(!m_store->lastMetric(id, "nothing")->has_value());
        QVERIFY(!m_store->bestMetric(id, "nothing", true)->has_value());

        auto xy = m_store->seriesXY(id, "val.acc", SeriesX::Epoch);
        QVERIFY_OK(xy);
        QCOMPARE(xy->size(), std::size_t(5));
        QCOMPARE(xy->back().x, 2.5);
        QCOMPARE(xy->back().y, 0.5);
        QCOMPARE(m_store->seriesXY(id, "val.acc", SeriesX::WallTime)->front().x, 101.0);
    }

    void seriesXYMatchesRowsAcrossBlocks()
    {
        const auto id = create("blocks");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        auto addSteps = [&](int from, int to) {
            std::vector<MetricPoint> points;
            for (int step = from; step < to; ++step) {
                const double loss = step % 997 == 0 ? nan : 1.0 / step;
                points.push_back({id, "loss", step, step / 100.0, 1000.0 + step, loss});
                points.push_back({id, "acc", step, step / 100.0, 1000.0 + step, step * 1e-4});
            }
            return m_store->addMetrics(points);
        };
        for (int from = 1; from < 12500; from += 1000)
            QVERIFY_OK(addSteps(from, std::min(from + 1000, 12500)));
        QCOMPARE(rawInt(m_db, "SELECT count(*) FROM metric_blocks"), std::int64_t(6));
        QVERIFY(sameSeries(id, "loss"));
        QVERIFY(sameSeries(id, "acc"));

        QVERIFY_OK(m_store->deleteMetricsAfter(id, 5000));
        QCOMPARE(rawInt(m_db, "SELECT count(*) FROM metric_blocks"), std::int64_t(2));
        QVERIFY(sameSeries(id, "loss"));
        QVERIFY_OK(addSteps(5001, 9000));
        QCOMPARE(rawInt(m_db, "SELECT count(*) FROM metric_blocks"), std::int64_t(4));
        QVERIFY(sameSeries(id, "loss"));
        QVERIFY(sameSeries(id, "acc"));
    }

    void addMetricsIsAllOrNothing()
    {
        const auto id = create("m");
        const std::vector<MetricPoint> points{{id, "loss", 1, 0, 0, 1.0},
                                              {id + 100, "loss", 1, 0, 0, 1.0}};
        auto added = m_store->addMetrics(points);
        QVERIFY(!added);
        QCOMPARE(added.error().code, ErrorCode::NotFound);
        QVERIFY(m_store->metricSeries(id, "loss")->empty());
    }

    void deleteMetricsAfterStep()
    {
        const auto id = create("resumed");
        std::vector<MetricPoint> points;
        for (int step = 1; step <= 10; ++step) {
            points.push_back({id, "loss", step, 0, 0, 1.0});
            points.push_back({id, "acc", step, 0, 0, 1.0});
        }
        QVERIFY_OK(m_store->addMetrics(points));
        QVERIFY_OK(m_store->deleteMetricsAfter(id, 6));
        QCOMPARE(m_store->metricSeries(id, "loss")->size(), std::size_t(6));
        QCOMPARE(m_store->metricSeries(id, "acc")->back().step, std::int64_t(6));
        QCOMPARE(m_store->deleteMetricsAfter(999, 0).error().code, ErrorCode::NotFound);
    }

    void eventsAndArtifacts()
    {
        const auto id = create("e");
        QVERIFY_OK(m_store->addEvent({.runId = id,
                                      .kind = "checkpoint",
                                      .step = 10,
                                      .payloadJson = R"({"path": "ckpt-10.pt"})"}));
        QVERIFY_OK(m_store->addEvent({.runId = id, .kind = "early_stop", .step = 12}));
        auto events = m_store->events(id);
        QVERIFY_OK(events);
        QCOMPARE(events->size(), std::size_t(2));
        QCOMPARE((*events)[0].payloadJson, std::string(R"({"path": "ckpt-10.pt"})"));
        QCOMPARE((*events)[1].kind, std::string("early_stop"));
        QCOMPARE((*events)[1].payloadJson, std::string("{}"));
        QVERIFY((*events)[1].wallTime > 0);
        QCOMPARE(m_store->addEvent({.runId = id, .kind = "x", .payloadJson = "{nope"}).error().code,
                 ErrorCode::InvalidArgument);
        QCOMPARE(m_store->addEvent({.runId = 999, .kind = "x"}).error().code, ErrorCode::NotFound);

        QVERIFY_OK(m_store->addArtifact(
            {.runId = id, .kind = "onnx", .path = "/out/m.onnx", .bytes = 1234, .sha256 = "ab"}));
        auto artifacts = m_store->artifacts(id);
        QVERIFY_OK(artifacts);
        QCOMPARE(artifacts->size(), std::size_t(1));
        QCOMPARE(artifacts->front().path, std::string("/out/m.onnx"));
        QCOMPARE(artifacts->front().bytes, std::int64_t(1234));
        QVERIFY(artifacts->front().createdAt > 0);
        QCOMPARE(m_store->addArtifact({.runId = id, .kind = "onnx"}).error().code,
                 ErrorCode::InvalidArgument);
    }

    void configDiffListsOnlyDifferences()
    {
        const auto a = create("a", R"({"lr": 0.1, "epochs": 10, "opt": {"name": "sgd"}})");
        const auto b = create("b", R"({"lr": 0.01, "epochs": 10, "opt": {"name": "sgd"}})");
        const auto c = create("c", R"({"lr": 0.1, "epochs": 10, "warmup": 5,
                                       "opt": {"name": "sgd"}})");
        const std::vector<std::int64_t> ids{a, b, c};
        auto diff = m_store->configDiff(ids);
        QVERIFY_OK(diff);
        QCOMPARE(diff->size(), std::size_t(2));
        QCOMPARE((*diff)[0].key, std::string("lr"));
        QCOMPARE((*diff)[0].values,
                 (std::vector<std::optional<std::string>>{"0.1", "0.01", "0.1"}));
        QCOMPARE((*diff)[1].key, std::string("warmup"));
        QCOMPARE((*diff)[1].values,
                 (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt, "5"}));
        const std::vector<std::int64_t> same{a, a};
        QVERIFY(m_store->configDiff(same)->empty());
        const std::vector<std::int64_t> unknown{a, 999};
        QCOMPARE(m_store->configDiff(unknown).error().code, ErrorCode::NotFound);
    }

    void applyBatchSkipsRefusedRows()
    {
        const auto id = create("b");
        const std::vector<WriteOp> ops{
            MetricPoint{id, "loss", 1, 0, 0, 1.0}, MetricPoint{id + 50, "loss", 1, 0, 0, 1.0},
            StatusChange{id, RunStatus::Running, {}}, MetricPoint{id, "loss", 2, 0, 0, 0.5}};
        auto outcome = m_store->applyBatch(ops);
        QVERIFY_OK(outcome);
        QCOMPARE(outcome->applied, std::size_t(3));
        QCOMPARE(outcome->rejected.size(), std::size_t(1));
        QCOMPARE(outcome->rejected[0].code, ErrorCode::NotFound);
        QCOMPARE(m_store->metricSeries(id, "loss")->size(), std::size_t(2));
        QCOMPARE(str(m_store->run(id)->status), str(RunStatus::Running));
    }

    void applyBatchIsolatesRefusedRowsInGroups()
    {
        // 70 samples: two full multi-row groups and a short one; the refused rows sit in the
        // first (empty key) and second (unknown run) groups.
        const auto id = create("groups");
        std::vector<WriteOp> ops;
        for (int i = 0; i < 70; ++i)
            ops.push_back(MetricPoint{id, "loss", i, 0, 0, double(i)});
        std::get<MetricPoint>(ops[5]).key.clear();
        std::get<MetricPoint>(ops[40]).runId = id + 1000;
        auto outcome = m_store->applyBatch(ops);
        QVERIFY_OK(outcome);
        QCOMPARE(outcome->applied, std::size_t(68));
        QCOMPARE(outcome->rejected.size(), std::size_t(2));
        QCOMPARE(outcome->rejected[0].code, ErrorCode::InvalidArgument);
        QCOMPARE(outcome->rejected[1].code, ErrorCode::NotFound);
        auto rows = m_store->metricSeries(id, "loss");
        QCOMPARE(rows->size(), std::size_t(68));
        std::int64_t expected = 0;
        for (const auto &row : *rows) {
            expected += (expected == 5 || expected == 40) ? 1 : 0;
            QCOMPARE(row.step, expected++);
        }

        std::vector<MetricPoint> points(64, MetricPoint{id, "acc", 1, 0, 0, 1.0});
        points[33].runId = id + 1000;
        QCOMPARE(m_store->addMetrics(points).error().code, ErrorCode::NotFound);
        QVERIFY(m_store->metricSeries(id, "acc")->empty());
    }

    void deadOwnersAreMarkedInterrupted()
    {
        const auto self = currentProcess();
        const auto deadPidRun = create("dead pid");
        const auto reusedPidRun = create("reused pid");
        const auto liveRun = create("live");
        const auto foreignRun = create("other host");
        const auto pausedRun = create("paused, dead");
        for (auto id : {deadPidRun, reusedPidRun, liveRun, foreignRun, pausedRun})
            QVERIFY_OK(m_store->setStatus(id, RunStatus::Running));
        const double lastWrite = util::unixNow() - 60;
        const std::vector<MetricPoint> written{{deadPidRun, "loss", 40, 1, lastWrite - 1, 0.5},
                                               {deadPidRun, "loss", 41, 1, lastWrite, 0.4}};
        QVERIFY_OK(m_store->addMetrics(written));
        QVERIFY_OK(m_store->setStatus(pausedRun, RunStatus::Paused));
        const auto where = [](std::int64_t id) { return " WHERE id = " + std::to_string(id); };
        const auto dead = std::to_string(deadPid());
        QVERIFY(rawExec(m_db, "UPDATE runs SET pid = " + dead + where(deadPidRun)));
        QVERIFY(rawExec(m_db, "UPDATE runs SET pid_start = pid_start + 1" + where(reusedPidRun)));
        QVERIFY(
            rawExec(m_db, "UPDATE runs SET host = 'elsewhere', pid = " + dead + where(foreignRun)));
        QVERIFY(rawExec(m_db, "UPDATE runs SET pid = " + dead + where(pausedRun)));

        auto reopened = RunStore::open(m_db);
        QVERIFY_OK(reopened);
        auto &store = **reopened;
        for (auto id : {deadPidRun, reusedPidRun, pausedRun}) {
            auto run = store.run(id);
            QCOMPARE(str(run->status), str(RunStatus::Interrupted));
            QVERIFY(run->endedAt > 0);
            auto events = store.events(id);
            QCOMPARE(events->size(), std::size_t(1));
            QCOMPARE(events->front().kind, std::string("interrupted"));
        }
        // It ended when it last wrote, not when the store noticed.
        QCOMPARE(store.run(deadPidRun)->endedAt, lastWrite);
        QCOMPARE(store.events(deadPidRun)->front().step, std::int64_t(41));
        // So is its event: the time until a resume is not training (run_timing.h).
        QCOMPARE(store.events(deadPidRun)->front().wallTime, lastWrite);
        QCOMPARE(str(store.run(liveRun)->status), str(RunStatus::Running));
        QCOMPARE(store.run(liveRun)->host, self.host);
        QCOMPARE(str(store.run(foreignRun)->status), str(RunStatus::Running));
        QVERIFY(store.events(liveRun)->empty());

        // Resuming makes the run ours again.
        QVERIFY_OK(store.setStatus(deadPidRun, RunStatus::Running));
        QCOMPARE(store.run(deadPidRun)->endedAt, 0.0);
        QVERIFY_OK(RunStore::open(m_db));
        QCOMPARE(str(store.run(deadPidRun)->status), str(RunStatus::Running));
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunStore)
#include "tst_run_store.moc"
