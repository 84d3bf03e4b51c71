#include "core/train/run_job.h"

#include <torch/version.h>

#include <spdlog/spdlog.h>

namespace lathe::train {

namespace {

Result<std::unique_ptr<Trainer>> buildTrainer(const RunConfig &config,
                                              const std::filesystem::path &checkpointDir,
                                              std::int64_t maxSteps)
{
    auto data = loadTrainData(config.data);
    if (!data)
        return std::unexpected(data.error());
    TrainerOptions options;
    options.checkpointDir = checkpointDir;
    options.maxSteps = maxSteps;
    return Trainer::create(config, std::move(*data), options);
}

} // namespace

std::filesystem::path runDirectory(const std::filesystem::path &db, std::int64_t runId)
{
    return db.parent_path() / "runs" / std::to_string(runId);
}

Result<void> RunJob::openStore(const std::filesystem::path &db)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    m_store = std::move(*store);
    return {};
}

Result<std::unique_ptr<RunJob>> RunJob::createNew(const RunConfig &config,
                                                  RunJobOptions options)
{
    std::unique_ptr<RunJob> job(new RunJob);
    job->m_options = std::move(options);
    // Build everything that can fail on bad input before the run row exists.
    auto trainer = buildTrainer(config, {}, job->m_options.maxSteps);
    if (!trainer)
        return std::unexpected(trainer.error());
    if (auto ok = job->openStore(job->m_options.db); !ok)
        return std::unexpected(ok.error());
    track::NewRun row;
    row.name = job->m_options.name.empty() ? config.name : job->m_options.name;
    row.configJson = config.toJson().dump();
    row.seed = config.training.seed;
    row.torchVersion = TORCH_VERSION;
    auto id = job->m_store->createRun(row);
    if (!id)
        return std::unexpected(id.error());
    job->m_runId = *id;
    job->m_trainer = std::move(*trainer);
    job->m_trainer->setCheckpointDir(runDirectory(job->m_options.db, job->m_runId));
    return job;
}

Result<std::unique_ptr<RunJob>> RunJob::resumeExisting(std::string_view runRef,
                                                       RunJobOptions options)
{
    std::unique_ptr<RunJob> job(new RunJob);
    job->m_options = std::move(options);
    if (auto ok = job->openStore(job->m_options.db); !ok)
        return std::unexpected(ok.error());
    auto info = job->m_store->findRun(runRef);
    if (!info)
        return std::unexpected(info.error());
    const std::string where = "run " + std::to_string(info->id) + " (" + info->name + ")";
    if (info->status == track::RunStatus::Finished)
        return fail(ErrorCode::InvalidArgument, "the run has already finished", where);
    if (info->status == track::RunStatus::Running || info->status == track::RunStatus::Paused)
        return fail(ErrorCode::InvalidArgument,
                    "the run is being trained by another process (pid alive)", where);
    auto json = nlohmann::json::parse(info->configJson, nullptr, false);
    auto config = RunConfig::fromJson(json);
    if (!config)
        return fail(ErrorCode::BadInput, "stored config is invalid: " + config.error().toString(),
                    where);
    const auto dir = runDirectory(job->m_options.db, info->id);
    const auto checkpoint = dir / "last.pt";
    if (!std::filesystem::exists(checkpoint))
        return fail(ErrorCode::NotFound,
                    "no checkpoint to resume from (" + checkpoint.string()
                        + "); the run stopped before its first checkpoint",
                    where);
    auto trainer = buildTrainer(*config, dir, job->m_options.maxSteps);
    if (!trainer)
        return std::unexpected(trainer.error());
    if (auto ok = (*trainer)->restore(checkpoint); !ok)
        return std::unexpected(ok.error());
    if (auto ok = job->m_store->deleteMetricsAfter(info->id, (*trainer)->state().step); !ok)
        return std::unexpected(ok.error());
    job->m_runId = info->id;
    job->m_trainer = std::move(*trainer);
    return job;
}

Result<TrainOutcome> RunJob::run(std::stop_token stop)
{
    auto writer = track::StoreWriter::open(m_options.db);
    if (!writer)
        return std::unexpected(writer.error());
    m_writer = std::move(*writer);
    if (auto ok = m_store->setStatus(m_runId, track::RunStatus::Running); !ok)
        return std::unexpected(ok.error());
    m_recorder = std::make_unique<RunRecorder>(*m_writer, m_runId, m_observer);
    m_trainer->setObserver(m_recorder.get());
    auto outcome = m_trainer->run(stop);
    if (auto flushed = m_writer->flush(); !flushed) {
        spdlog::error("run {}: could not store the last rows: {}", m_runId,
                      flushed.error().toString());
        if (outcome)
            return std::unexpected(flushed.error());
    }
    return outcome;
}

} // namespace lathe::train
