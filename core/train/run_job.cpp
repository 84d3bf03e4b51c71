#include "core/train/run_job.h"

#include "core/track/run_timing.h"
#include "core/train/run_environment.h"

#include <torch/version.h>

#include <spdlog/spdlog.h>

namespace lathe::train {

namespace {

// The checkpoint `kind` of stored run `runRef` (empty = best, else last), and its config;
// errors carry `key` (the config key that names the run) as context.
struct ParentCheckpoint
{
    track::RunInfo run;
    RunConfig config;
    CheckpointInfo checkpoint;
};

Result<ParentCheckpoint> parentCheckpoint(track::RunStore &store, const std::filesystem::path &db,
                                          const std::string &runRef, const std::string &kind,
                                          const std::string &key)
{
    const auto withKey = [&](const Error &e) { return fail(e.code, e.message, key); };
    auto info = store.findRun(runRef);
    if (!info)
        return withKey(info.error());
    auto config = storedConfig(*info);
    if (!config)
        return withKey(config.error());
    std::string note;
    auto checkpoint = storedCheckpoint(store, db, *info, kind, &note);
    if (!checkpoint)
        return withKey(checkpoint.error());
    if (!note.empty())
        spdlog::info("{} of run {}: {}", key, info->id, note);
    return ParentCheckpoint{*info, *config, *checkpoint};
}

// Resolves the runs a fine-tune names into files; the run's model becomes its parent's.
Result<FineTuneSources> resolveFineTune(track::RunStore &store, const std::filesystem::path &db,
                                        RunConfig &config, std::optional<std::int64_t> &parentId)
{
    FineTuneSources sources;
    const auto &f = config.finetune;
    if (!f.run.empty()) {
        auto parent = parentCheckpoint(store, db, f.run, f.checkpoint, "finetune.run");
        if (!parent)
            return std::unexpected(parent.error());
        if (!(config.model == parent->config.model))
            spdlog::info("fine-tune of run {}: using its model ({})", parent->run.id,
                         parent->config.model.toJson().dump());
        config.model = parent->config.model;
        // An imported model is the parent's model too: its file, filled with its weights.
        config.finetune.torchscript = parent->config.finetune.torchscript;
        sources.checkpoint = parent->checkpoint.path;
        config.finetune.checkpoint = parent->checkpoint.name; // the default, made explicit
        parentId = parent->run.id;
    }
    if (!f.distillRun.empty()) {
        auto teacher = parentCheckpoint(store, db, f.distillRun, f.distillCheckpoint,
                                        "finetune.distill_run");
        if (!teacher)
            return std::unexpected(teacher.error());
        sources.teacherCheckpoint = teacher->checkpoint.path;
        config.finetune.distillCheckpoint = teacher->checkpoint.name;
        sources.teacherModel = teacher->config.model;
    }
    return sources;
}

Result<std::unique_ptr<Trainer>> buildTrainer(const RunConfig &config,
                                              const std::filesystem::path &checkpointDir,
                                              const RunJobOptions &job, FineTuneSources sources)
{
    auto data = job.data ? Result<TrainData>(*job.data) : loadTrainData(config.data);
    if (!data)
        return std::unexpected(data.error());
    TrainerOptions options;
    options.checkpointDir = checkpointDir;
    options.maxSteps = job.maxSteps;
    options.fineTune = std::move(sources);
    options.dataParallel = job.dataParallel;
    // Data parallel, every rank evaluates its part of the test set; rank 0 records it.
    options.evaluateTest = true;
    return Trainer::create(config, std::move(*data), options);
}

} // namespace

Result<void> RunJob::openStore(const std::filesystem::path &db)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    m_store = std::move(*store);
    return {};
}

Result<std::unique_ptr<RunJob>> RunJob::createNew(const RunConfig &config, RunJobOptions options)
{
    std::unique_ptr<RunJob> job(new RunJob);
    job->m_options = std::move(options);
    if (auto ok = job->openStore(job->m_options.db); !ok)
        return std::unexpected(ok.error());
    // Build everything that can fail on bad input before the run row exists.
    RunConfig resolved = config;
    // "dist" records how the run trains: the caller's nnodes, the group's world size, else none
    // (a config copied from a data-parallel run and trained in one process).
    if (const auto &group = job->m_options.dataParallel)
        resolved.dist = {group->worldSize(), group->nodes()};
    else
        resolved.dist = {};
    std::optional<std::int64_t> parentId;
    auto sources = resolveFineTune(*job->m_store, job->m_options.db, resolved, parentId);
    if (!sources)
        return std::unexpected(sources.error());
    auto trainer = buildTrainer(resolved, {}, job->m_options, std::move(*sources));
    if (!trainer)
        return std::unexpected(trainer.error());
    track::NewRun row;
    row.name = job->m_options.name.empty() ? config.name : job->m_options.name;
    row.configJson = resolved.toJson().dump();
    row.seed = config.training.seed;
    row.torchVersion = TORCH_VERSION;
    row.parentId = parentId;
    auto id = job->m_store->createRun(row);
    if (!id)
        return std::unexpected(id.error());
    for (const auto &tag : job->m_options.tags)
        if (auto tagged = job->m_store->addTag(*id, tag); !tagged)
            return std::unexpected(tagged.error());
    auto created = job->m_store->run(*id);
    if (!created)
        return std::unexpected(created.error());
    job->m_runId = *id;
    job->m_runName = created->name;
    job->m_trainer = std::move(*trainer);
    job->m_trainer->setCheckpointDir(runDirectory(job->m_options.db, job->m_runId));
    return job;
}

namespace {

// The trainer of stored run `info`, restored from its last intact checkpoint (else from the
// start), and its config: what resumeExisting() and resumeTrainer() build. Data parallel, the
// config's "dist" becomes the new world's (none for one process). Reads the store only.
struct Resumed
{
    std::unique_ptr<Trainer> trainer;
    RunConfig config;
};

Result<Resumed> restoreStored(track::RunStore &store, const track::RunInfo &info,
                              const RunJobOptions &options)
{
    const std::string where = "run " + std::to_string(info.id) + " (" + info.name + ")";
    // The other ranks of a data-parallel run resume beside rank 0, which checks the status (and
    // may have marked the run running by the time they read it).
    const bool writes = !options.dataParallel || options.dataParallel->rank() == 0;
    if (writes && info.status == track::RunStatus::Finished)
        return fail(ErrorCode::InvalidArgument, "the run has already finished", where);
    if (writes
        && (info.status == track::RunStatus::Running || info.status == track::RunStatus::Paused))
        return fail(ErrorCode::InvalidArgument,
                    "the run is being trained by another process (pid alive)", where);
    auto config = storedConfig(info);
    if (!config)
        return std::unexpected(config.error());
    if (const auto &group = options.dataParallel)
        config->dist = {group->worldSize(), group->nodes()};
    else
        config->dist = {};
    // The other ranks of a data-parallel run write no checkpoints.
    const auto dir = writes ? runDirectory(options.db, info.id) : std::filesystem::path();
    auto candidates = resumeCandidates(store, options.db, info);
    if (!candidates)
        return std::unexpected(candidates.error());
    // The teacher of a distillation is needed again; the initial weights only when no
    // checkpoint can be restored.
    std::optional<std::int64_t> parentId;
    auto sources = resolveFineTune(store, options.db, *config, parentId);
    if (!sources)
        return std::unexpected(sources.error());
    const auto fromStart = *sources;
    if (!candidates->empty())
        sources->checkpoint.clear();
    auto trainer = buildTrainer(*config, dir, options, std::move(*sources));
    if (!trainer)
        return std::unexpected(trainer.error());
    // "last", else the newest checkpoint whose file is intact, else the beginning: a file
    // changed or cut short since it was written costs the steps after the one before it.
    const CheckpointInfo *restored = nullptr;
    for (const auto &candidate : *candidates) {
        auto ok = candidate.problem.empty() ? (*trainer)->restore(candidate.checkpoint.path)
                                            : fail(ErrorCode::BadInput, candidate.problem);
        if (ok) {
            restored = &candidate.checkpoint;
            break;
        }
        spdlog::warn("{}: cannot resume from checkpoint \"{}\": {}", where,
                     candidate.checkpoint.name, ok.error().toString());
    }
    if (restored && restored->name != "last")
        spdlog::warn("{}: resuming from checkpoint \"{}\" (step {}) instead", where, restored->name,
                     (*trainer)->state().step);
    if (!restored) {
        spdlog::warn("{}: no checkpoint to resume from; training starts again from step 0", where);
        // A restore that failed halfway may have loaded part of a file: start from a new one.
        if (!candidates->empty())
            trainer = buildTrainer(*config, dir, options, fromStart);
        if (!trainer)
            return std::unexpected(trainer.error());
    }
    return Resumed{std::move(*trainer), std::move(*config)};
}

} // namespace

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
    auto resumed = restoreStored(*job->m_store, *info, job->m_options);
    if (!resumed)
        return std::unexpected(resumed.error());
    auto &trainer = resumed->trainer;
    if (auto ok = job->m_store->deleteMetricsAfter(info->id, trainer->state().step); !ok)
        return std::unexpected(ok.error());
    // Resumed by another number of processes: the run's config and params say so.
    if (const auto stored = storedConfig(*info); stored && !(stored->dist == resumed->config.dist))
        if (auto ok = job->m_store->setConfig(info->id, resumed->config.toJson().dump()); !ok)
            return std::unexpected(ok.error());
    job->m_runId = info->id;
    job->m_runName = info->name;
    job->m_trainer = std::move(trainer);
    return job;
}

Result<std::unique_ptr<Trainer>> RunJob::newRankTrainer(const RunConfig &config,
                                                        RunJobOptions options)
{
    RunConfig resolved = config;
    FineTuneSources sources;
    if (!config.finetune.run.empty() || !config.finetune.distillRun.empty()) {
        auto store = track::RunStore::openForReading(options.db);
        if (!store)
            return std::unexpected(store.error());
        std::optional<std::int64_t> parentId;
        auto found = resolveFineTune(**store, options.db, resolved, parentId);
        if (!found)
            return std::unexpected(found.error());
        sources = std::move(*found);
    }
    return buildTrainer(resolved, {}, options, std::move(sources));
}

Result<std::unique_ptr<Trainer>> RunJob::resumeTrainer(std::string_view runRef,
                                                       RunJobOptions options)
{
    auto store = track::RunStore::openForReading(options.db);
    if (!store)
        return std::unexpected(store.error());
    auto info = (*store)->findRun(runRef);
    if (!info)
        return std::unexpected(info.error());
    auto resumed = restoreStored(**store, *info, options);
    if (!resumed)
        return std::unexpected(resumed.error());
    return std::move(resumed->trainer);
}

Result<TrainOutcome> RunJob::run(std::stop_token stop)
{
    auto writer = track::StoreWriter::open(m_options.db);
    if (!writer)
        return std::unexpected(writer.error());
    m_writer = std::move(*writer);
    if (auto ok = m_store->setStatus(m_runId, track::RunStatus::Running); !ok)
        return std::unexpected(ok.error());
    // Marks where this attempt began, so the time since an earlier one ended is not counted
    // as training (track::idleTime).
    if (auto ok = m_store->addEvent(
            {0, m_runId, std::string(track::events::kStarted), m_trainer->state().step, 0, "{}"});
        !ok)
        return std::unexpected(ok.error());
    // Where this attempt runs (machine, LibTorch, data digests): a resume elsewhere shows.
    if (auto ok = recordRunEnvironment(*m_store, m_runId, m_trainer->state().step,
                                       m_trainer->config().data);
        !ok)
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
