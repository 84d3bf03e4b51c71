#include "core/train/sweep_runner.h"

#include "core/sweep/pruner.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "core/train/run_job.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

namespace lathe::train {

namespace {

namespace keys = track::keys;

// The split and name of an objective metric: "val/accuracy" -> ("val", "accuracy").
std::pair<std::string, std::string> splitMetric(const std::string &metric)
{
    const auto slash = metric.find('/');
    if (slash == std::string::npos)
        return {"", metric};
    return {metric.substr(0, slash), metric.substr(slash + 1)};
}

Result<void> checkObjectiveMetric(const sweep::SweepSpec &spec)
{
    const auto &metric = spec.objective.metric;
    const auto [split, name] = splitMetric(metric);
    std::vector<std::string> names{"loss", "accuracy"};
    if (auto config = RunConfig::fromJson(spec.base))
        for (const auto &use : config->metrics)
            names.push_back(use.name);
    const bool known = std::any_of(names.begin(), names.end(), [&](const std::string &n) {
        return name == n || name.starts_with(n + "/");
    });
    if ((split == keys::kValSplit || split == keys::kTestSplit) && known)
        return {};
    std::string expected;
    for (const auto &n : names)
        expected += (expected.empty() ? "" : ", ") + std::string("val/") + n;
    return fail(ErrorCode::InvalidArgument,
                "the runs never record \"" + metric + "\": expected one of " + expected
                    + " (or the same under test/)",
                "objective.metric");
}

// The objective's value in one evaluation, or nullopt when the evaluation does not have it.
std::optional<double> evalValue(const std::string &name, const EvalResult &result)
{
    if (name == "loss")
        return result.loss;
    if (name == "accuracy")
        return result.accuracy;
    for (const auto &[key, value] : result.extra)
        if (key == name)
            return value;
    return std::nullopt;
}

sweep::Params parseParams(const std::string &text)
{
    sweep::Params params;
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_object())
        for (const auto &[key, value] : json.items())
            params[key] = value;
    return params;
}

std::string paramsText(const sweep::Params &params)
{
    nlohmann::json json = nlohmann::json::object();
    for (const auto &[key, value] : params)
        json[key] = value;
    return json.dump();
}

sweep::TrialRecord::State recordState(track::TrialState state)
{
    switch (state) {
    case track::TrialState::Running: return sweep::TrialRecord::State::Running;
    case track::TrialState::Completed: return sweep::TrialRecord::State::Completed;
    case track::TrialState::Pruned: return sweep::TrialRecord::State::Pruned;
    case track::TrialState::Failed: return sweep::TrialRecord::State::Failed;
    }
    return sweep::TrialRecord::State::Failed;
}

// A trial ended (true: the worker goes on), or the store's error.
Result<bool> goOn(Result<void> ended)
{
    if (!ended)
        return std::unexpected(ended.error());
    return true;
}

std::string formatValue(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

// Whether someone (the window's Stop, another process) set the sweep's status to stopped.
Result<bool> stoppedInStore(track::SweepStore &store, std::int64_t sweepId)
{
    auto info = store.sweep(sweepId);
    if (!info)
        return std::unexpected(info.error());
    return info->status == track::SweepStatus::Stopped;
}

// Reports a trial's intermediate objective at each evaluation of its split and stops the trial
// when the pruner says so, or when the sweep was stopped in the store (looked at each
// evaluation and every kStatusPeriod of steps, so that a long epoch does not delay it). Runs on
// the training thread, which owns `store`.
class TrialObserver : public TrainObserver
{
public:
    static constexpr std::chrono::seconds kStatusPeriod{2};

    TrialObserver(track::SweepStore &store, const sweep::SweepSpec &spec, std::int64_t sweepId,
                  int number, std::stop_source &stop)
        : m_store(store)
        , m_spec(spec)
        , m_sweepId(sweepId)
        , m_number(number)
        , m_stop(stop)
    {
        std::tie(m_split, m_name) = splitMetric(spec.objective.metric);
    }

    void onStep(const StepEvent &) override
    {
        if (std::chrono::steady_clock::now() - m_statusReadAt >= kStatusPeriod)
            checkSweepStatus();
    }

    void onEval(const EvalEvent &e) override
    {
        checkSweepStatus();
        if (e.split != m_split || m_pruned)
            return;
        const auto value = evalValue(m_name, e.result);
        if (!value)
            return;
        const bool epochs = m_spec.pruner.resource == sweep::PrunerSpec::Resource::Epochs;
        const std::int64_t step = epochs ? e.epoch + 1 : e.step;
        if (auto ok = m_store.recordValue(m_sweepId, m_number, step, *value); !ok)
            spdlog::warn("trial {}: its value at step {} was not recorded: {}", m_number, step,
                         ok.error().toString());
        if (m_spec.pruner.name == sweep::PrunerSpec::Name::None)
            return;
        auto trials = m_store.trials(m_sweepId);
        if (!trials) {
            spdlog::warn("trial {}: the pruner could not read the trials: {}", m_number,
                         trials.error().toString());
            return;
        }
        const auto records = trialRecords(*trials);
        sweep::TrialRecord self;
        self.number = m_number;
        for (const auto &record : records)
            if (record.number == m_number)
                self = record;
        self.intermediate[step] = *value;
        if (sweep::shouldPrune(m_spec.pruner, m_spec.objective.direction, self, records, step)) {
            m_pruned = true;
            m_prunedAt = step;
            m_stop.request_stop();
        }
    }

    bool pruned() const { return m_pruned; }
    std::int64_t prunedAt() const { return m_prunedAt; }
    /// The sweep was stopped in the store while the trial ran.
    bool sweepStopped() const { return m_sweepStopped; }

private:
    void checkSweepStatus()
    {
        m_statusReadAt = std::chrono::steady_clock::now();
        if (m_sweepStopped)
            return;
        auto stopped = stoppedInStore(m_store, m_sweepId);
        if (!stopped)
            spdlog::warn("trial {}: the sweep's status could not be read: {}", m_number,
                         stopped.error().toString());
        else if (*stopped) {
            m_sweepStopped = true;
            m_stop.request_stop();
        }
    }

    track::SweepStore &m_store;
    const sweep::SweepSpec &m_spec;
    std::int64_t m_sweepId;
    int m_number;
    std::stop_source &m_stop;
    std::string m_split, m_name;
    bool m_pruned = false;
    std::int64_t m_prunedAt = 0;
    bool m_sweepStopped = false;
    std::chrono::steady_clock::time_point m_statusReadAt = std::chrono::steady_clock::now();
};

// One worker's state: its store connections and the sweep it works on.
class Worker
{
public:
    Worker(std::int64_t sweepId, const SweepWorkerOptions &options)
        : m_sweepId(sweepId)
        , m_options(options)
    {
    }

    Result<void> open();
    // Trains trial `asked`; false when the stop token or the sweep's stop in the store ended
    // it (the trial stays running).
    Result<bool> runTrial(const track::AskedTrial &asked);
    Result<SweepWorkerOutcome> loop();

private:
    void report(const std::string &line) const
    {
        if (m_options.report)
            m_options.report(line);
    }
    std::string trialLabel(int number) const { return "trial " + std::to_string(number); }
    Result<void> failTrial(int number, const std::string &reason);
    Result<void> endTrial(const RunJob &job, int number, const TrialObserver &observer);

    std::int64_t m_sweepId;
    const SweepWorkerOptions &m_options;
    std::unique_ptr<track::SweepStore> m_sweeps;
    std::unique_ptr<track::RunStore> m_runs;
    track::SweepInfo m_info;
    sweep::SweepSpec m_spec;
    std::int64_t m_maxSteps = 0;
};

Result<void> Worker::open()
{
    auto sweeps = track::SweepStore::open(m_options.db);
    if (!sweeps)
        return std::unexpected(sweeps.error());
    m_sweeps = std::move(*sweeps);
    auto runs = track::RunStore::open(m_options.db);
    if (!runs)
        return std::unexpected(runs.error());
    m_runs = std::move(*runs);
    auto info = m_sweeps->sweep(m_sweepId);
    if (!info)
        return std::unexpected(info.error());
    m_info = std::move(*info);
    auto spec = storedSweepSpec(m_info);
    if (!spec)
        return std::unexpected(spec.error());
    m_spec = std::move(*spec);
    m_maxSteps = m_options.maxSteps > 0 ? m_options.maxSteps : m_info.maxSteps;
    return {};
}

Result<void> Worker::failTrial(int number, const std::string &reason)
{
    report(trialLabel(number) + ": failed: " + reason);
    return m_sweeps->finishTrial(m_sweepId, number, track::TrialState::Failed, std::nullopt,
                                 reason);
}

Result<void> Worker::endTrial(const RunJob &job, int number, const TrialObserver &observer)
{
    const auto runId = job.runId();
    if (observer.pruned()) {
        if (auto ok = m_runs->setStatus(runId, track::RunStatus::Pruned); !ok)
            return ok;
        const nlohmann::json payload{{"sweep", m_sweepId}, {"trial", number}};
        if (auto ok
            = m_runs->addEvent({0, runId, "pruned", observer.prunedAt(), 0, payload.dump()});
            !ok)
            return ok;
        report(trialLabel(number) + ": pruned at step " + std::to_string(observer.prunedAt())
               + " (run " + std::to_string(runId) + ")");
        return m_sweeps->finishTrial(m_sweepId, number, track::TrialState::Pruned, std::nullopt);
    }
    auto series = m_runs->metricSeries(runId, m_spec.objective.metric);
    if (!series)
        return std::unexpected(series.error());
    std::map<std::int64_t, double> values;
    for (const auto &row : *series)
        values[row.step] = row.value;
    const auto value = sweep::objectiveValue(m_spec.objective, values);
    if (!value)
        return failTrial(number, "run " + std::to_string(runId) + " recorded no "
                                     + m_spec.objective.metric
                                     + (m_maxSteps > 0 ? " (was --max-steps reached before an "
                                                         "evaluation?)"
                                                       : ""));
    report(trialLabel(number) + ": completed with value " + formatValue(*value) + " (run "
           + std::to_string(runId) + ")");
    return m_sweeps->finishTrial(m_sweepId, number, track::TrialState::Completed, *value);
}

Result<bool> Worker::runTrial(const track::AskedTrial &asked)
{
    const int number = asked.number;
    report(trialLabel(number) + (asked.reassigned ? ": re-run (its worker is gone) " : ": asked ")
           + asked.paramsJson);
    auto json = sweep::applyParams(m_spec.base, parseParams(asked.paramsJson));
    if (!json)
        return goOn(failTrial(number, json.error().toString()));
    for (const auto &assignment : m_options.overrides)
        if (auto ok = applyOverride(*json, assignment); !ok)
            return std::unexpected(ok.error());
    auto config = RunConfig::fromJson(*json);
    if (!config)
        return goOn(failTrial(number, "config refused: " + config.error().toString()));
    RunJobOptions jobOptions{m_options.db, m_spec.name + "-t" + std::to_string(number), m_maxSteps};
    auto job = RunJob::createNew(*config, jobOptions);
    if (!job)
        return goOn(failTrial(number, job.error().toString()));
    const auto runId = (*job)->runId();
    for (const auto &tag :
         {"sweep:" + std::to_string(m_sweepId), "trial:" + std::to_string(number)})
        if (auto ok = m_runs->addTag(runId, tag); !ok)
            return std::unexpected(ok.error());
    if (auto ok = m_sweeps->setTrialRun(m_sweepId, number, runId); !ok)
        return std::unexpected(ok.error());

    std::stop_source trialStop;
    const std::stop_callback forward(m_options.stop, [&trialStop] { trialStop.request_stop(); });
    TrialObserver observer(*m_sweeps, m_spec, m_sweepId, number, trialStop);
    (*job)->setObserver(&observer);
    auto outcome = (*job)->run(trialStop.get_token());
    // A run that ended anyway (its last step came first) is told as any other.
    const bool halted = (m_options.stop.stop_requested() || observer.sweepStopped())
                        && !observer.pruned() && (!outcome || *outcome == TrainOutcome::Stopped);
    if (halted) {
        report(trialLabel(number) + ": stopped (run " + std::to_string(runId) + ")"
               + (observer.sweepStopped() ? ", the sweep was stopped" : "") + "; `sweep resume "
               + std::to_string(m_sweepId) + "` runs it again");
        return false;
    }
    if (!outcome)
        return goOn(failTrial(number, outcome.error().toString()));
    return goOn(endTrial(**job, number, observer));
}

Result<SweepWorkerOutcome> Worker::loop()
{
    SweepWorkerOutcome outcome;
    const int budget = trialBudget(m_spec);
    const track::TrialSampler sample
        = [this](const std::vector<track::TrialRow> &history, int number) -> Result<std::string> {
        const auto records = trialRecords(history);
        auto params = sweep::sampleTrial(m_spec, records, number);
        if (!params)
            return std::unexpected(params.error());
        return paramsText(*params);
    };
    while (!m_options.stop.stop_requested()) {
        auto stopped = stoppedInStore(*m_sweeps, m_sweepId);
        if (!stopped)
            return std::unexpected(stopped.error());
        if (*stopped) {
            report("the sweep was stopped; this worker ends");
            outcome.stopped = true;
            return outcome;
        }
        auto asked = m_sweeps->askTrial(m_sweepId, budget, sample);
        if (!asked) {
            // The grid has no point left that no trial holds: nothing more to ask.
            if (asked.error().code == ErrorCode::NotFound)
                break;
            return std::unexpected(asked.error());
        }
        if (!*asked)
            break;
        auto ran = runTrial(**asked);
        if (!ran)
            return std::unexpected(ran.error());
        if (!*ran) {
            outcome.stopped = true;
            return outcome;
        }
        ++outcome.trials;
    }
    if (m_options.stop.stop_requested()) {
        outcome.stopped = true;
        return outcome;
    }
    auto trials = m_sweeps->trials(m_sweepId);
    if (!trials)
        return std::unexpected(trials.error());
    const bool running = std::any_of(trials->begin(), trials->end(), [](const auto &t) {
        return t.state == track::TrialState::Running;
    });
    if (!running)
        if (auto ok = m_sweeps->setSweepStatus(m_sweepId, track::SweepStatus::Finished); !ok)
            return std::unexpected(ok.error());
    return outcome;
}

} // namespace

sweep::SpecOptions sweepSpecOptions(std::vector<std::string> overrides)
{
    sweep::SpecOptions options;
    options.prepareBase
        = [overrides = std::move(overrides)](nlohmann::json base) -> Result<nlohmann::json> {
        for (const auto &assignment : overrides)
            if (auto ok = applyOverride(base, assignment); !ok)
                return std::unexpected(ok.error());
        auto config = RunConfig::fromJson(base);
        if (!config) {
            auto error = config.error();
            error.context = "base: " + error.context;
            return std::unexpected(error);
        }
        return config->toJson();
    };
    options.checkConfig = [](const nlohmann::json &config) -> Result<void> {
        auto parsed = RunConfig::fromJson(config);
        if (!parsed)
            return std::unexpected(parsed.error());
        return {};
    };
    return options;
}

Result<sweep::SweepSpec> loadSweep(const std::filesystem::path &file,
                                   const std::vector<std::string> &overrides)
{
    auto spec = sweep::loadSweepSpec(file, sweepSpecOptions(overrides));
    if (!spec)
        return spec;
    if (auto ok = checkObjectiveMetric(*spec); !ok) {
        auto error = ok.error();
        error.context = file.string() + ": " + error.context;
        return std::unexpected(error);
    }
    return spec;
}

Result<sweep::SweepSpec> storedSweepSpec(const track::SweepInfo &sweep)
{
    const auto json = nlohmann::json::parse(sweep.specJson, nullptr, false);
    auto spec = json.is_discarded() ? fail(ErrorCode::BadInput, "its stored spec is not JSON")
                                    : sweep::parseSweepSpec(json, {}, sweepSpecOptions());
    if (!spec) {
        auto error = spec.error();
        error.code = ErrorCode::BadInput;
        error.context = "sweep " + std::to_string(sweep.id)
                        + (error.context.empty() ? "" : ": " + error.context);
        return std::unexpected(error);
    }
    return spec;
}

int trialBudget(const sweep::SweepSpec &spec)
{
    if (spec.sampler.name != sweep::SamplerSpec::Name::Grid)
        return spec.trials;
    auto points = sweep::gridPoints(spec.space);
    return points ? int(std::min<std::size_t>(points->size(), std::size_t(spec.trials)))
                  : spec.trials;
}

int defaultSweepWorkers(const sweep::SweepSpec &spec)
{
    if (spec.workers > 0)
        return spec.workers;
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const nlohmann::json::json_pointer key("/training/threads");
    if (!spec.base.contains(key) || !spec.base[key].is_number_integer())
        return 1;
    const auto threads = spec.base[key].get<std::int64_t>();
    return threads > 0 ? std::max(1, cores / int(threads)) : 1;
}

std::vector<sweep::TrialRecord> trialRecords(std::span<const track::TrialRow> trials)
{
    std::vector<sweep::TrialRecord> records;
    records.reserve(trials.size());
    for (const auto &trial : trials) {
        sweep::TrialRecord record;
        record.number = trial.number;
        record.params = parseParams(trial.paramsJson);
        record.state = recordState(trial.state);
        record.value = trial.value;
        record.intermediate = trial.values;
        records.push_back(std::move(record));
    }
    return records;
}

const track::TrialRow *bestTrial(const sweep::SweepSpec &spec,
                                 std::span<const track::TrialRow> trials)
{
    const track::TrialRow *best = nullptr;
    for (const auto &trial : trials) {
        if (trial.state != track::TrialState::Completed || !trial.value || std::isnan(*trial.value))
            continue;
        if (!best || sweep::better(spec.objective.direction, *trial.value, *best->value))
            best = &trial;
    }
    return best;
}

Result<SweepWorkerOutcome> runSweepWorker(std::int64_t sweepId, const SweepWorkerOptions &options)
{
    Worker worker(sweepId, options);
    if (auto ok = worker.open(); !ok)
        return std::unexpected(ok.error());
    return worker.loop();
}

} // namespace lathe::train
