// lathe-cli sweep end to end: real worker processes on one real store, real training on
// Fashion-MNIST subsets; parallel workers, a grid covered once, kill -9 of a worker and resume,
// a sweep stopped in the store, bad specs, failed and pruned trials.
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/track/sweep_store.h"
#include "tests/app/cli_runner.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <memory>
#include <set>

using namespace lathe;
using json = nlohmann::json;
using testing::Outcome;

namespace {

const std::string kBase = LATHE_TEST_RESOURCES "/configs/fashion-cnn.json";

// A tiny, quick trial: 300 images, 2 epochs, a narrow cnn, one thread per worker.
QStringList tinyTrials()
{
    return {"--set", "data.subset=300",     "--set", "training.epochs=2",
            "--set", "model.widths=[8,16]", "--set", "training.batch_size=64",
            "--set", "training.threads=1",  "--set", "data.val_fraction=0.2"};
}

// lathe-cli on a store of its own, with the sweep spec and the stores at hand.
class SweepCli : public testing::Cli
{
public:
    explicit SweepCli(const QString &dir)
        : Cli(dir)
        , m_dir(dir)
    {
    }

    /// Writes `spec` (the base set to the default experiment when absent) to `name`.
    QString writeSpec(const char *name, json spec) const
    {
        if (!spec.contains("base"))
            spec["base"] = kBase;
        const QString path = m_dir + "/" + name;
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        file.write(QByteArray::fromStdString(spec.dump(2)));
        return path;
    }

    std::unique_ptr<track::SweepStore> sweeps() const
    {
        auto store = track::SweepStore::open(db().toStdString());
        if (!store)
            qFatal("%s", store.error().toString().c_str());
        return std::move(*store);
    }

    std::unique_ptr<track::RunStore> runs() const
    {
        auto store = track::RunStore::open(db().toStdString());
        if (!store)
            qFatal("%s", store.error().toString().c_str());
        return std::move(*store);
    }

private:
    QString m_dir;
};

json lrSpec(const char *sampler, int trials)
{
    return {{"name", "lr"},
            {"space", {{"optimizer.lr", {{"type", "log_uniform"}, {"low", 1e-3}, {"high", 3e-2}}}}},
            {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
            {"sampler", {{"name", sampler}, {"seed", 5}}},
            {"trials", trials}};
}

QString stateOf(const track::TrialRow &trial)
{
    return QString::fromLatin1(track::toString(trial.state).data());
}

// The sweep id printed by `sweep SPEC` ("sweep 3 (name): ...").
std::int64_t sweepIdIn(const QString &out)
{
    static const QRegularExpression line(QStringLiteral("^sweep (\\d+) "));
    const auto match = line.match(out);
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

} // namespace

class TestCliSweep : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Three workers started together on six trials: each trial once, each a tagged run,
    // nothing locked, and `sweeps` and `sweep show` say what the store holds.
    void parallelWorkersShareOneStore()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const auto spec = cli.writeSpec("lr.json", lrSpec("random", 6));
        const auto outcome = cli.run(QStringList{"sweep", spec, "--workers", "3"} + tinyTrials());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(!outcome.err.contains("locked"), qPrintable(outcome.err));
        const auto id = sweepIdIn(outcome.out);
        QVERIFY(id > 0);

        auto trials = cli.sweeps()->trials(id);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(6));
        auto runs = cli.runs();
        std::set<std::int64_t> runIds;
        std::set<std::int64_t> pids;
        for (int n = 0; n < 6; ++n) {
            const auto &trial = (*trials)[n];
            QCOMPARE(trial.number, n);
            QCOMPARE(stateOf(trial), QString("completed"));
            QVERIFY(trial.value);
            QVERIFY(trial.runId);
            runIds.insert(*trial.runId);
            pids.insert(trial.owner.pid);
            auto run = runs->run(*trial.runId);
            QVERIFY_OK(run);
            QCOMPARE(run->name, "lr-t" + std::to_string(n));
            QVERIFY(std::ranges::count(run->tags, "sweep:" + std::to_string(id)) == 1);
            QVERIFY(std::ranges::count(run->tags, "trial:" + std::to_string(n)) == 1);
            QVERIFY(track::isTerminal(run->status));
        }
        QCOMPARE(runIds.size(), std::size_t(6));
        QVERIFY2(pids.size() >= 2, "the trials were not shared between worker processes");
        auto info = cli.sweeps()->sweep(id);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("finished"));

        const auto best
            = std::ranges::max_element(*trials, {}, [](const auto &t) { return *t.value; });
        const auto list = cli.run({"sweeps", "--json"});
        QCOMPARE(list.exitCode, 0);
        const auto rows = json::parse(list.out.toStdString());
        QCOMPARE(rows.size(), std::size_t(1));
        QCOMPARE(rows[0]["id"].get<std::int64_t>(), id);
        QCOMPARE(rows[0]["status"].get<std::string>(), std::string("finished"));
        QCOMPARE(rows[0]["trials_done"].get<int>(), 6);
        QCOMPARE(rows[0]["trials_total"].get<int>(), 6);
        QCOMPARE(rows[0]["best_value"].get<double>(), *best->value);

        const auto show = cli.run({"sweep", "show", QString::number(id), "--json"});
        QCOMPARE(show.exitCode, 0);
        const auto shown = json::parse(show.out.toStdString());
        QCOMPARE(shown["trials"].size(), std::size_t(6));
        for (const auto &row : shown["trials"]) {
            const auto &trial = (*trials)[row["number"].get<int>()];
            QCOMPARE(row["state"].get<std::string>(), std::string("completed"));
            QCOMPARE(row["value"].get<double>(), *trial.value);
            QCOMPARE(row["run_id"].get<std::int64_t>(), *trial.runId);
            QCOMPARE(row["params"].dump(), json::parse(trial.paramsJson).dump());
        }
        QCOMPARE(shown["best"]["number"].get<int>(), best->number);
        QCOMPARE(shown["best"]["config"]["optimizer"]["lr"].get<double>(),
                 json::parse(best->paramsJson)["optimizer.lr"].get<double>());
        QCOMPARE(shown["importance"].size(), std::size_t(1));
        const auto text = cli.run({"sweep", "show", QString::number(id)});
        QVERIFY(text.out.contains("parameter importance"));
    }

    // Two workers on a grid of six points with a budget of ten: every point exactly once.
    void gridIsCoveredOnceByTwoWorkers()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const json spec{{"name", "grid"},
                        {"space",
                         {{"optimizer.lr", {{"type", "choice"}, {"values", {0.001, 0.003, 0.01}}}},
                          {"model.widths", {{"type", "choice"}, {"values", {{8, 16}, {12, 24}}}}}}},
                        {"objective", {{"metric", "val/loss"}, {"direction", "minimize"}}},
                        {"sampler", {{"name", "grid"}}},
                        {"trials", 10}};
        const auto outcome = cli.run(QStringList{"sweep", cli.writeSpec("grid.json", spec),
                                                 "--workers", "2", "--set", "training.epochs=1"}
                                     + tinyTrials());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(!outcome.err.contains("locked"), qPrintable(outcome.err));
        auto trials = cli.sweeps()->trials(sweepIdIn(outcome.out));
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(6));
        std::set<std::string> points;
        for (const auto &trial : *trials) {
            QCOMPARE(stateOf(trial), QString("completed"));
            points.insert(json::parse(trial.paramsJson).dump());
        }
        QCOMPARE(points.size(), std::size_t(6));
    }

    // kill -9 of the worker mid-trial: `sweep resume` re-runs that trial with a new run, and
    // the trials that had ended keep their runs and values.
    void killedWorkersTrialIsRerunOnResume()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const auto spec = cli.writeSpec("kill.json", lrSpec("random", 3));
        QStringList args = QStringList{"sweep", spec, "--workers", "1"} + tinyTrials();
        args += QStringList{"--set", "data.subset=1500", "--set", "training.epochs=3"};
        std::unique_ptr<QProcess> worker(cli.start(args));
        QVERIFY(worker->waitForStarted());
        // Wait until trial 1 trains (trial 0 has ended and trial 1 has its run).
        std::optional<track::TrialRow> before;
        std::optional<std::int64_t> victimRun;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto trials = cli.sweeps()->trials(1);
                if (!trials || trials->size() < 2 || !(*trials)[1].runId)
                    return false;
                before = (*trials)[0];
                victimRun = (*trials)[1].runId;
                return true;
            }(),
            60000);
        QTest::qWait(300);
        worker->kill(); // SIGKILL
        QVERIFY(worker->waitForFinished());
        QCOMPARE(stateOf(*before), QString("completed"));
        auto left = cli.sweeps()->trials(1);
        QVERIFY_OK(left);
        QCOMPARE(stateOf((*left)[1]), QString("running"));

        const auto resumed = cli.run({"sweep", "resume", "1", "--workers", "1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("trial 1: re-run"), qPrintable(resumed.err));
        auto trials = cli.sweeps()->trials(1);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(3));
        for (const auto &trial : *trials)
            QCOMPARE(stateOf(trial), QString("completed"));
        QCOMPARE((*trials)[0].runId, before->runId);
        QCOMPARE((*trials)[0].value, before->value);
        QVERIFY((*trials)[1].runId && *(*trials)[1].runId != *victimRun);
        QCOMPARE((*trials)[1].paramsJson, (*left)[1].paramsJson);
        // The killed attempt's run is left as what it is: interrupted.
        auto victim = cli.runs()->run(*victimRun);
        QVERIFY_OK(victim);
        QCOMPARE(QString::fromLatin1(track::toString(victim->status).data()),
                 QString("interrupted"));
        auto info = cli.sweeps()->sweep(1);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("finished"));
    }

    // Ctrl-C of `sweep` with two worker processes: the running trials stop and stay running,
    // the sweep is stopped; `sweep resume` re-runs them and finishes it.
    void ctrlCStopsAndResumeFinishes()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const auto spec = cli.writeSpec("stop.json", lrSpec("random", 3));
        QStringList args = QStringList{"sweep", spec, "--workers", "2"} + tinyTrials();
        args += QStringList{"--set", "data.subset=1500", "--set", "training.epochs=4"};
        std::unique_ptr<QProcess> sweep(cli.start(args));
        QVERIFY(sweep->waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto trials = cli.sweeps()->trials(1);
                return trials && !trials->empty() && (*trials)[0].runId;
            }(),
            60000);
        ::kill(pid_t(sweep->processId()), SIGINT);
        QVERIFY(sweep->waitForFinished(60000));
        QCOMPARE(sweep->exitCode(), 0);
        const QString out = sweep->readAllStandardOutput();
        QVERIFY2(out.contains("sweep 1 stopped"), qPrintable(out));
        auto info = cli.sweeps()->sweep(1);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("stopped"));
        auto left = cli.sweeps()->trials(1);
        QVERIFY_OK(left);
        const auto running = std::ranges::count_if(
            *left, [](const track::TrialRow &t) { return t.state == track::TrialState::Running; });
        QVERIFY(running >= 1);

        const auto resumed = cli.run({"sweep", "resume", "1", "--workers", "1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("re-run"), qPrintable(resumed.err));
        auto trials = cli.sweeps()->trials(1);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(3));
        for (const auto &trial : *trials)
            QCOMPARE(stateOf(trial), QString("completed"));
        info = cli.sweeps()->sweep(1);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("finished"));
    }

    // The sweep stopped in the store by another process (the window's Stop): both workers stop
    // their running trials and exit, the sweep stays stopped with every trial ended or left to
    // be re-run (its worker gone), and `sweep resume` finishes it.
    void stopInTheStoreEndsTheWorkers()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const auto spec = cli.writeSpec("store-stop.json", lrSpec("random", 3));
        QStringList args = QStringList{"sweep", spec, "--workers", "2"} + tinyTrials();
        args += QStringList{"--set", "data.subset=1500", "--set", "training.epochs=4"};
        std::unique_ptr<QProcess> sweep(cli.start(args));
        QVERIFY(sweep->waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto trials = cli.sweeps()->trials(1);
                return trials && !trials->empty() && (*trials)[0].runId;
            }(),
            60000);
        QVERIFY_OK(cli.sweeps()->setSweepStatus(1, track::SweepStatus::Stopped));
        QVERIFY(sweep->waitForFinished(30000));
        QCOMPARE(sweep->exitCode(), 0);
        const QString out = sweep->readAllStandardOutput();
        const QString err = sweep->readAllStandardError();
        QVERIFY2(out.contains("sweep 1 stopped"), qPrintable(out));
        QVERIFY2(err.contains("the sweep was stopped"), qPrintable(err));
        auto info = cli.sweeps()->sweep(1);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("stopped"));
        auto left = cli.sweeps()->trials(1);
        QVERIFY_OK(left);
        for (const auto &trial : *left)
            QVERIFY(trial.state != track::TrialState::Running || !track::isAliveHere(trial.owner));

        const auto resumed = cli.run({"sweep", "resume", "1", "--workers", "1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        auto trials = cli.sweeps()->trials(1);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(3));
        for (const auto &trial : *trials)
            QCOMPARE(stateOf(trial), QString("completed"));
        info = cli.sweeps()->sweep(1);
        QCOMPARE(QString::fromLatin1(track::toString(info->status).data()), QString("finished"));
    }

    void badSpecsExit3NamingTheKey_data()
    {
        QTest::addColumn<QString>("specText");
        QTest::addColumn<QString>("named");
        const auto text = [](json spec) {
            spec["base"] = kBase;
            return QString::fromStdString(spec.dump());
        };
        auto unknown = lrSpec("random", 2);
        unknown["space"] = {{"optimizer.lrr", {{"type", "uniform"}, {"low", 0.1}, {"high", 1}}}};
        QTest::newRow("unknown key") << text(unknown) << "optimizer.lrr";
        auto inverted = lrSpec("random", 2);
        inverted["space"]["optimizer.lr"]["low"] = 0.1;
        QTest::newRow("low > high") << text(inverted) << "optimizer.lr";
        auto metric = lrSpec("random", 2);
        metric["objective"]["metric"] = "val/f1";
        QTest::newRow("metric never recorded") << text(metric) << "val/f1";
        QTest::newRow("malformed JSON") << QString("{\"name\": \"x\",\n \"space\": {") << "line";
    }

    void badSpecsExit3NamingTheKey()
    {
        QFETCH(QString, specText);
        QFETCH(QString, named);
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const QString path = dir.path() + "/bad.json";
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(specText.toUtf8());
        file.close();
        const auto outcome = cli.run(QStringList{"sweep", path} + tinyTrials());
        QCOMPARE(outcome.exitCode, 3);
        QVERIFY2(outcome.err.contains(named), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains(path), qPrintable(outcome.err));
    }

    // A trial whose combination of params the trainer refuses fails with the reason; the
    // sweep goes on to its other trials.
    void failedTrialDoesNotStopTheSweep()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const json spec{{"name", "combo"},
                        {"space",
                         {{"optimizer.momentum", {{"type", "choice"}, {"values", {0.0, 0.9}}}},
                          {"optimizer.nesterov", {{"type", "choice"}, {"values", {false, true}}}}}},
                        {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
                        {"sampler", {{"name", "grid"}}},
                        {"trials", 4}};
        const auto outcome
            = cli.run(QStringList{"sweep", cli.writeSpec("combo.json", spec), "--workers", "1",
                                  "--set", "optimizer.name=sgd", "--set", "training.epochs=1"}
                      + tinyTrials());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        auto trials = cli.sweeps()->trials(sweepIdIn(outcome.out));
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(4));
        int failed = 0;
        for (const auto &trial : *trials) {
            const auto params = json::parse(trial.paramsJson);
            if (params["optimizer.nesterov"] == true && params["optimizer.momentum"] == 0.0) {
                QCOMPARE(stateOf(trial), QString("failed"));
                QVERIFY2(trial.errorMessage.find("nesterov") != std::string::npos,
                         trial.errorMessage.c_str());
                ++failed;
            } else {
                QCOMPARE(stateOf(trial), QString("completed"));
            }
        }
        QCOMPARE(failed, 1);
        QVERIFY(outcome.err.contains("failed: config refused"));
    }

    // A trial whose loss becomes NaN (SGD with a weight decay of 1 at lr 10 grows the weights
    // ninefold a step) fails with the trainer's message; its run is failed and keeps the curves
    // it had; the other trial completes.
    void nanLossFailsItsTrialOnly()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const json spec{
            {"name", "nan"},
            {"space",
             {{"optimizer.weight_decay", {{"type", "choice"}, {"values", {0.0001, 1.0}}}}}},
            {"objective", {{"metric", "val/accuracy"}, {"direction", "maximize"}}},
            {"sampler", {{"name", "grid"}}},
            {"trials", 2}};
        const auto outcome
            = cli.run(QStringList{"sweep", cli.writeSpec("nan.json", spec), "--set",
                                  "optimizer.name=sgd", "--set", "optimizer.lr=10", "--set",
                                  "model.arch=mlp", "--set", "model.widths=[32]"}
                      + tinyTrials() + QStringList{"--set", "training.batch_size=16"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        auto trials = cli.sweeps()->trials(sweepIdIn(outcome.out));
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(2));
        auto runs = cli.runs();
        for (const auto &trial : *trials) {
            const bool diverges = json::parse(trial.paramsJson)["optimizer.weight_decay"] == 1.0;
            QCOMPARE(stateOf(trial), QString(diverges ? "failed" : "completed"));
            QVERIFY(trial.runId);
            auto run = runs->run(*trial.runId);
            QVERIFY_OK(run);
            QCOMPARE(QString::fromLatin1(track::toString(run->status).data()),
                     QString(diverges ? "failed" : "finished"));
            if (diverges) {
                QVERIFY2(trial.errorMessage.find("the loss became NaN") != std::string::npos,
                         trial.errorMessage.c_str());
                auto loss = runs->metricSeries(run->id, track::keys::kTrainLoss);
                QVERIFY_OK(loss);
                QVERIFY(!loss->empty());
            }
        }
    }

    // The median pruner (one completed trial first) stops a trial that learns nothing: its run
    // is `pruned` and keeps its curves.
    void badTrialIsPrunedAndKeepsItsCurves()
    {
        QTemporaryDir dir;
        SweepCli cli(dir.path());
        const json spec{
            {"name", "prune"},
            {"space", {{"optimizer.lr", {{"type", "choice"}, {"values", {0.01, 1e-7}}}}}},
            {"objective", {{"metric", "val/loss"}, {"direction", "minimize"}}},
            {"sampler", {{"name", "grid"}}},
            {"pruner", {{"name", "median"}, {"startup_trials", 1}}},
            {"trials", 2}};
        const auto outcome
            = cli.run(QStringList{"sweep", cli.writeSpec("prune.json", spec), "--workers", "1"}
                      + tinyTrials() + QStringList{"--set", "training.epochs=3"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        auto trials = cli.sweeps()->trials(sweepIdIn(outcome.out));
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(2));
        QCOMPARE(stateOf((*trials)[0]), QString("completed"));
        QCOMPARE((*trials)[0].values.size(), std::size_t(3));
        const auto &bad = (*trials)[1];
        QCOMPARE(stateOf(bad), QString("pruned"));
        QCOMPARE(bad.values.size(), std::size_t(1)); // stopped after its first epoch
        QVERIFY2(outcome.err.contains("trial 1: pruned at step 1"), qPrintable(outcome.err));
        auto runs = cli.runs();
        auto run = runs->run(*bad.runId);
        QVERIFY_OK(run);
        QCOMPARE(QString::fromLatin1(track::toString(run->status).data()), QString("pruned"));
        QVERIFY(!runs->metricSeries(*bad.runId, "val/loss")->empty());
        QVERIFY(!runs->metricSeries(*bad.runId, "train/loss")->empty());
        const auto listed = cli.run({"runs", "--status", "pruned", "--json"});
        QCOMPARE(listed.exitCode, 0);
        QCOMPARE(json::parse(listed.out.toStdString()).size(), std::size_t(1));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCliSweep)
#include "tst_cli_sweep.moc"
