#include "core/train/run_recorder.h"

#include "core/track/metric_keys.h"
#include "core/track/run_timing.h"
#include "core/train/data_parallel.h"
#include "core/util/clock.h"
#include "core/util/sha256.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>

namespace lathe::train {

namespace keys = track::keys;

RunRecorder::RunRecorder(track::StoreWriter &writer, std::int64_t runId, TrainObserver *next)
    : m_writer(writer)
    , m_runId(runId)
    , m_next(next ? next : &m_nullObserver)
{
}

void RunRecorder::metric(std::string_view key, std::int64_t step, double epoch, double wallTime,
                         double value)
{
    m_writer.addMetric({m_runId, std::string(key), step, epoch, wallTime, value});
}

void RunRecorder::onStep(const StepEvent &e)
{
    // A DP-SGD step whose Poisson batch drew no example has no loss or accuracy (NaN): no row.
    if (!std::isnan(e.loss))
        metric(keys::kTrainLoss, e.step, e.epoch, e.wallTime, e.loss);
    if (!std::isnan(e.accuracy))
        metric(keys::kTrainAccuracy, e.step, e.epoch, e.wallTime, e.accuracy);
    metric(keys::kLearningRate, e.step, e.epoch, e.wallTime, e.lr);
    if (e.samplesPerSecond > 0)
        metric(keys::kSamplesPerSecond, e.step, e.epoch, e.wallTime, e.samplesPerSecond);
    if (e.dist) {
        metric(keys::kDistStepTimeMax, e.step, e.epoch, e.wallTime, e.dist->maxSeconds);
        metric(keys::kDistStepTimeMean, e.step, e.epoch, e.wallTime, e.dist->meanSeconds);
        metric(keys::kDistCommSeconds, e.step, e.epoch, e.wallTime, e.dist->commSeconds);
        metric(keys::kDistCommWaitSeconds, e.step, e.epoch, e.wallTime, e.dist->waitSeconds);
    }
    if (e.privacyEpsilon)
        metric(keys::kPrivacyEpsilon, e.step, e.epoch, e.wallTime, *e.privacyEpsilon);
    if (e.privacyDelta)
        metric(keys::kPrivacyDelta, e.step, e.epoch, e.wallTime, *e.privacyDelta);
    m_next->onStep(e);
}

void RunRecorder::onEpoch(const EpochEvent &e)
{
    const double epoch = double(e.epoch + 1);
    metric(keys::kEpochLoss, e.step, epoch, e.wallTime, e.trainLoss);
    metric(keys::kEpochAccuracy, e.step, epoch, e.wallTime, e.trainAccuracy);
    metric(keys::kEpochSeconds, e.step, epoch, e.wallTime, e.seconds);
    m_next->onEpoch(e);
}

void RunRecorder::onEval(const EvalEvent &e)
{
    const double epoch = e.split == keys::kValSplit ? double(e.epoch + 1) : double(e.epoch);
    metric(keys::splitKey(e.split, "loss"), e.step, epoch, e.wallTime, e.result.loss);
    metric(keys::splitKey(e.split, "accuracy"), e.step, epoch, e.wallTime, e.result.accuracy);
    for (const auto &[name, value] : e.result.extra)
        metric(keys::splitKey(e.split, name), e.step, epoch, e.wallTime, value);
    nlohmann::json payload = e.result.toJson();
    payload["split"] = e.split;
    payload["epoch"] = epoch;
    m_writer.addEvent({0, m_runId, "eval", e.step, e.wallTime, payload.dump()});
    m_next->onEval(e);
}

void RunRecorder::onCheckpoint(const CheckpointEvent &e)
{
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(e.path, ec);
    const auto sha = util::sha256File(e.path);
    m_writer.addArtifact({0, m_runId, "checkpoint-" + e.kind, e.path, ec ? -1 : std::int64_t(bytes),
                          sha ? *sha : std::string(), e.wallTime});
    m_writer.addEvent(
        {0, m_runId, "checkpoint", e.step, e.wallTime,
         nlohmann::json{{"kind", e.kind}, {"path", e.path}, {"epoch", e.epoch}}.dump()});
    // Make every row up to the checkpoint durable, so a crash after it loses no metrics
    // that a resume from this checkpoint would not write again.
    (void)m_writer.flush();
    m_next->onCheckpoint(e);
}

void RunRecorder::onHistograms(const HistogramEvent &e)
{
    for (const auto &h : e.histograms)
        m_writer.addHistogram({m_runId, e.step, h.name, h.kind, h.min, h.max, h.counts});
    m_next->onHistograms(e);
}

void RunRecorder::onNote(const NoteEvent &e)
{
    if (e.kind == track::events::kPaused)
        m_writer.setStatus(m_runId, track::RunStatus::Paused);
    else if (e.kind == track::events::kResumed)
        m_writer.setStatus(m_runId, track::RunStatus::Running);
    m_writer.addEvent({0, m_runId, e.kind, e.step, e.wallTime, e.payloadJson});
    m_next->onNote(e);
}

void RunRecorder::onConfigChanged(const std::string &configJson)
{
    m_writer.setConfig(m_runId, configJson);
    m_next->onConfigChanged(configJson);
}

void RunRecorder::onFinished(TrainOutcome outcome, std::int64_t step)
{
    const bool complete
        = outcome == TrainOutcome::Finished || outcome == TrainOutcome::EarlyStopped;
    m_writer.addEvent({0, m_runId, std::string(track::events::kFinished), step, util::unixNow(),
                       nlohmann::json{{"outcome", toString(outcome)}}.dump()});
    m_writer.setStatus(m_runId, complete ? track::RunStatus::Finished : track::RunStatus::Stopped);
    m_next->onFinished(outcome, step);
}

void RunRecorder::onFailed(const Error &error, std::int64_t step)
{
    if (error.code == ErrorCode::Training && error.context == kLostWorkerContext) {
        // Nothing is wrong with the run itself: it resumes from its last checkpoint.
        m_writer.addEvent({0, m_runId, std::string(track::events::kInterrupted), step,
                           util::unixNow(), nlohmann::json{{"error", error.toString()}}.dump()});
        m_writer.setStatus(m_runId, track::RunStatus::Interrupted, error.toString());
        m_next->onFailed(error, step);
        return;
    }
    m_writer.addEvent({0, m_runId, std::string(track::events::kFailed), step, util::unixNow(),
                       nlohmann::json{{"error", error.toString()}}.dump()});
    m_writer.setStatus(m_runId, track::RunStatus::Failed, error.toString());
    m_next->onFailed(error, step);
}

} // namespace lathe::train
