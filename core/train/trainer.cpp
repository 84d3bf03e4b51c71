#include "core/train/trainer.h"

#include "core/data/split.h"
#include "core/plugin/registry.h"
#include "core/track/metric_keys.h"
#include "core/track/run_timing.h"
#include "core/train/autocast_scope.h"
#include "core/train/fused_step.h"
#include "core/train/optimizer_factory.h"
#include "core/train/run_metrics.h"
#include "core/util/allocator.h"
#include "core/util/clock.h"
#include "core/util/threads.h"
#include "core/util/torch_error.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <thread>

namespace lathe::train {

namespace {

const std::string kVal(track::keys::kValSplit);
const std::string kTest(track::keys::kTestSplit);

} // namespace

Trainer::Trainer(RunConfig config, TrainData data, TrainerOptions options)
    : m_config(std::move(config))
    , m_data(std::move(data))
    , m_options(std::move(options))
{
}

Trainer::~Trainer() = default;

Result<std::unique_ptr<Trainer>> Trainer::create(const RunConfig &config, TrainData data,
                                                 TrainerOptions options)
{
    std::unique_ptr<Trainer> trainer(new Trainer(config, std::move(data), std::move(options)));
    try {
        if (auto ok = trainer->setUp(); !ok)
            return std::unexpected(ok.error());
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training, "cannot set up training: " + util::describe(e));
    }
    return trainer;
}

Result<void> Trainer::setUp()
{
    const auto &t = m_config.training;
    util::configureThreads(int(t.threads));
    util::configureAllocator();
    if (t.device == "cuda") {
        if (!torch::cuda::is_available())
            return fail(ErrorCode::InvalidArgument,
                        "device \"cuda\" requested, but this LibTorch has no CUDA or no GPU is "
                        "visible; use \"cpu\"",
                        "training.device");
        m_device = torch::Device(torch::kCUDA);
    }
    torch::manual_seed(t.seed);
    auto setUp = setUpRun(m_config, m_data, m_options.fineTune);
    if (!setUp)
        return std::unexpected(setUp.error());
    m_numClasses = setUp->numClasses;
    m_normalization = setUp->normalization;
    if (m_config.adversarial.enabled && !m_options.adversarial) {
        const auto factory = adversarialTrainingFactory();
        if (!factory)
            return fail(ErrorCode::InvalidArgument,
                        "adversarial training is not available in this program (no "
                        "AdversarialTraining installed: robust::installAdversarialTraining)",
                        "adversarial.enabled");
        auto adversarial = factory(m_config.adversarial, m_normalization);
        if (!adversarial)
            return std::unexpected(adversarial.error());
        m_options.adversarial = std::move(*adversarial);
    }
    const auto split = setUp->split;
    if (auto ok = setUpModel(std::move(*setUp)); !ok)
        return ok;
    if (auto ok = setUpOptimizer(); !ok)
        return ok;

    data::LoaderOptions trainOptions;
    trainOptions.batchSize = t.batchSize;
    trainOptions.seed = t.seed;
    trainOptions.augment = m_config.augment;
    auto extra = setUpExtraAugment();
    if (!extra)
        return std::unexpected(extra.error());
    trainOptions.extraAugment = std::move(*extra);
    // A producer thread only helps when a core is free for it. When the step's OpenMP team
    // already uses every core, the producer preempts a spinning team member and every parallel
    // region waits for it (bench_overhead: +15-23% per step); producing inline costs ~0.5 ms.
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    trainOptions.prefetch = torch::get_num_threads() >= cores ? 0 : 2;
    trainOptions.normalization = m_normalization;
    data::LoaderOptions evalOptions = trainOptions;
    // A last training batch of one sample cannot train batch norm (PyTorch refuses it: "expected
    // more than 1 value per channel"): that sample waits for the next epoch's shuffle.
    trainOptions.dropLast = split.train.numel() > 1 && split.train.numel() % t.batchSize == 1;
    evalOptions.shuffle = false;
    evalOptions.augment = {};
    evalOptions.extraAugment = {};
    evalOptions.batchSize = 256; // activations under the 32 MiB mmap threshold: heap memory, reused
    m_trainLoaderOptions = trainOptions;
    if (m_options.dataParallel) {
        if (auto ok = m_options.dataParallel->attach(m_net); !ok)
            return ok;
        const auto train = split.train.to(torch::kLong).contiguous();
        m_trainIndices.assign(train.data_ptr<std::int64_t>(),
                              train.data_ptr<std::int64_t>() + train.numel());
        if (auto ok = loadShard(0); !ok)
            return ok;
    } else {
        auto trainLoader = data::Loader::create(m_data.train, split.train, trainOptions);
        if (!trainLoader)
            return std::unexpected(trainLoader.error());
        m_trainLoader = std::move(*trainLoader);
    }
    m_valIndices = split.val;
    if (split.val.numel() > 0) {
        auto valLoader = data::Loader::create(m_data.train, split.val, evalOptions);
        if (!valLoader)
            return std::unexpected(valLoader.error());
        m_valLoader = std::move(*valLoader);
    }
    if (m_data.test) {
        auto testLoader = data::Loader::create(
            m_data.test, torch::arange(m_data.test->size(), torch::kLong), evalOptions);
        if (!testLoader)
            return std::unexpected(testLoader.error());
        m_testLoader = std::move(*testLoader);
    }
    if (auto ok = setUpEvalParts(split.val, evalOptions); !ok)
        return ok;
    if (m_trainLoader->batchesPerEpoch() == 0)
        return fail(ErrorCode::InvalidArgument, "the training split has no samples", "data");

    m_stepsPerEpoch = (m_trainLoader->batchesPerEpoch() + t.accumulate - 1) / t.accumulate;
    if (m_config.privacy.enabled)
        if (auto ok = setUpPrivacy(split.train); !ok)
            return ok;
    auto schedule = LrSchedule::create(m_config.schedule, m_config.optimizer.lr, m_stepsPerEpoch,
                                       totalSteps());
    if (!schedule)
        return std::unexpected(schedule.error());
    m_schedule = std::make_unique<LrSchedule>(std::move(*schedule));
    m_plateau = std::make_unique<PlateauTracker>(m_config.schedule);
    m_activeSteer = unsteered();
    m_histograms = StepHistograms(m_config.histograms);
    m_state.configJson = m_config.toJson().dump();
    auto metrics = setUpMetrics(m_config, *m_data.train);
    if (!metrics)
        return std::unexpected(metrics.error());
    m_metrics = std::move(*metrics);
    return {};
}

Result<void> Trainer::loadShard(std::int64_t epoch)
{
    const auto &t = m_config.training;
    auto part = m_options.dataParallel->shard(m_trainIndices, t.seed, epoch, t.batchSize);
    if (!part)
        return std::unexpected(part.error());
    data::LoaderOptions options = m_trainLoaderOptions;
    options.shuffle = false;  // the order is the sampler's: the single-process epoch order
    options.dropLast = false; // and so is the remainder rule
    options.batchSize = part->batchSize;
    if (m_activeSteer.augmentStrength != 1.0)
        options.augment = scaledAugment(m_config.augment, m_activeSteer.augmentStrength);
    auto loader = data::Loader::create(m_data.train, torch::tensor(part->indices), options);
    if (!loader)
        return std::unexpected(loader.error());
    if ((*loader)->batchesPerEpoch() != part->batches)
        return fail(ErrorCode::Internal,
                    "rank " + std::to_string(m_options.dataParallel->rank()) + " has "
                        + std::to_string((*loader)->batchesPerEpoch()) + " batches in epoch "
                        + std::to_string(epoch + 1) + " where every rank needs "
                        + std::to_string(part->batches),
                    "data parallel");
    m_trainLoader = std::move(*loader);
    m_shardEpoch = epoch;
    return {};
}

bool Trainer::stopRequested(const std::stop_token &stop) const
{
    return m_options.dataParallel ? m_stopAgreed : stop.stop_requested();
}

Result<void> Trainer::syncBuffers()
{
    if (!m_options.dataParallel)
        return {};
    return m_options.dataParallel->syncBuffers(m_net);
}

Result<void> Trainer::setUpModel(RunSetUp setUp)
{
    m_net = setUp.net;
    m_fineTuneSummary = std::move(setUp.fineTuneSummary);
    if (auto frozen = frozenStages(m_config.finetune, m_net))
        m_frozen = *frozen;
    m_net->to(m_device);
    // Channels-last convolutions are ~1.5x faster on the CPU (oneDNN) for the same maths. A copy
    // with channels-last strides, not contiguous(): a 1-channel weight already counts as
    // channels-last contiguous, keeps its NCHW strides and would make the whole first block
    // (convolution, batch norm, ReLU, pooling and their backwards) run NCHW.
    m_channelsLast = m_device.is_cpu() && m_config.model.arch != "mlp";
    if (m_channelsLast) {
        for (auto &p : m_net->parameters())
            if (p.dim() == 4)
                p.set_data(p.to(p.options(), false, true, at::MemoryFormat::ChannelsLast));
    }
    const auto &f = m_config.finetune;
    if (!m_options.fineTune.teacherCheckpoint.empty()) {
        auto distiller = Distiller::create(
            m_options.fineTune.teacherModel, m_options.fineTune.teacherCheckpoint,
            m_data.train->sampleShape(), m_numClasses, f.distillTemperature, f.distillWeight);
        if (!distiller)
            return std::unexpected(distiller.error());
        distiller->to(m_device);
        m_distiller = std::move(*distiller);
    }
    return {};
}

Result<void> Trainer::setUpOptimizer()
{
    auto groups = parameterGroups(m_net, m_config.finetune.lrMultipliers);
    if (!groups)
        return std::unexpected(groups.error());
    auto optimizer = makeOptimizer(m_config.optimizer, groups->params.front());
    if (!optimizer)
        return std::unexpected(optimizer.error());
    m_optimizer = std::move(*optimizer);
    for (std::size_t i = 1; i < groups->params.size(); ++i)
        m_optimizer->add_param_group(torch::optim::OptimizerParamGroup(groups->params[i]));
    m_groupLrScales = groups->scales;
    // The fused kernel steps one group with the plain cross-entropy gradient.
    m_fusedStep = usesFusedAdam(m_config) && groups->params.size() == 1 && !m_distiller;
    return {};
}

Result<Trainer::ExtraAugment> Trainer::setUpExtraAugment() const
{
    std::vector<plugin::ApplyAugment> ops;
    const auto &extra = m_config.augment.extra;
    for (std::size_t i = 0; i < extra.size(); ++i) {
        const auto entry = plugin::registry().augmentation(extra[i].name);
        if (!entry)
            return std::unexpected(
                plugin::registry().unknownName(plugin::Kind::Augmentation, extra[i].name,
                                               "augment.extra[" + std::to_string(i) + "]"));
        auto op = entry->setUp(extra[i].options);
        if (!op)
            return fail(ErrorCode::InvalidArgument, op.error().message,
                        "augment.extra[" + std::to_string(i) + "]");
        ops.push_back(std::move(*op));
    }
    if (ops.empty())
        return ExtraAugment{};
    return ExtraAugment([ops](const torch::Tensor &batch, std::uint64_t seed) {
        torch::Tensor x = batch;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            // Each op draws from its own stream, so adding one leaves the others' draws alone.
            auto out = ops[i](x, seed ^ (0x9E3779B97F4A7C15ull * (i + 1)));
            if (!out)
                throw std::runtime_error(out.error().message);
            x = std::move(*out);
        }
        return x;
    });
}

Result<void> Trainer::restore(const std::filesystem::path &checkpoint)
{
    auto state = loadCheckpoint(checkpoint, m_net, m_optimizer.get());
    if (!state)
        return std::unexpected(state.error());
    m_state = *state;
    m_state.configJson = m_config.toJson().dump();
    if (auto ok = m_plateau->restore(m_state.plateau); !ok)
        return std::unexpected(Error{ErrorCode::BadInput, ok.error().message, checkpoint.string()});
    return {};
}

void Trainer::pause()
{
    m_paused = true;
}

void Trainer::resume()
{
    {
        std::lock_guard lock(m_pauseMutex);
        m_paused = false;
    }
    m_pauseCv.notify_all();
}

void Trainer::waitWhilePaused(std::stop_token stop)
{
    if (m_options.dataParallel)
        return waitWhilePausedTogether(stop);
    if (!m_paused)
        return;
    m_observer->onNote({"paused", m_state.step, "{}", util::unixNow()});
    const double pausedAt = util::monotonicNow();
    std::unique_lock lock(m_pauseMutex);
    m_pauseCv.wait(lock, stop, [this] { return !m_paused.load(); });
    lock.unlock();
    // The throughput window measures training, not the pause.
    m_windowStart += util::monotonicNow() - pausedAt;
    if (!stop.stop_requested()) {
        applyPendingSteer();
        m_observer->onNote({"resumed", m_state.step, "{}", util::unixNow()});
    }
}

void Trainer::waitWhilePausedTogether(const std::stop_token &stop)
{
    if (!m_pauseAgreed || m_stopAgreed)
        return;
    m_observer->onNote({"paused", m_state.step, "{}", util::unixNow()});
    const double pausedAt = util::monotonicNow();
    const bool decides = m_options.dataParallel->rank() == 0;
    while (m_pauseAgreed && !m_stopAgreed) {
        if (decides) { // the others wait in the exchange, far below its timeout
            std::unique_lock lock(m_pauseMutex);
            m_pauseCv.wait_for(lock, stop, std::chrono::milliseconds(200),
                               [this] { return !m_paused.load(); });
        }
        auto all = m_options.dataParallel->exchange(
            {0.0, 0.0, 0, 0.0, stop.stop_requested(), m_paused.load()});
        if (!all)
            throw RunFailure{all.error()};
        m_pauseAgreed = all->pause;
        m_stopAgreed = all->stop;
    }
    m_windowStart += util::monotonicNow() - pausedAt;
    if (!m_stopAgreed)
        m_observer->onNote({"resumed", m_state.step, "{}", util::unixNow()});
}

Result<void> Trainer::steer(SteerPoint change)
{
    change.step = 0;
    // The config's own rules (ranges) apply to a change as to a config file.
    if (auto valid = steeringFromJson(steeringToJson({change})); !valid)
        return std::unexpected(valid.error());
    if (m_options.dataParallel) // rank 0's change would not reach the other ranks
        return fail(ErrorCode::InvalidArgument,
                    "a data-parallel run cannot be steered yet (the change would reach rank 0 "
                    "only)",
                    "steering");
    std::lock_guard lock(m_pauseMutex);
    if (!m_paused)
        return fail(ErrorCode::InvalidArgument, "pause the run before steering it", "steering");
    m_pendingSteer = change;
    return {};
}

SteerPoint Trainer::steering() const
{
    std::lock_guard lock(m_pauseMutex);
    if (m_pendingSteer)
        return *m_pendingSteer;
    const SteerPoint *point = steerPointAt(m_config.steering, m_state.step);
    return point ? *point : unsteered();
}

void Trainer::applyPendingSteer()
{
    std::unique_lock lock(m_pauseMutex);
    if (!m_pendingSteer)
        return;
    SteerPoint point = *m_pendingSteer;
    m_pendingSteer.reset();
    point.step = m_state.step;
    auto &points = m_config.steering;
    if (!points.empty() && points.back().step == point.step)
        points.back() = point; // steered twice without a step between: the last one counts
    else
        points.push_back(point);
    m_state.configJson = m_config.toJson().dump();
    lock.unlock();
    m_observer->onNote(
        {"steered", point.step, steeringToJson({point}).front().dump(), util::unixNow()});
    m_observer->onConfigChanged(m_state.configJson);
}

std::optional<Trainer::EpochEnd> Trainer::beginStep(const std::stop_token &stop)
{
    waitWhilePaused(stop);
    if (stopRequested(stop))
        return EpochEnd::Stopped;
    m_stepStart = util::monotonicNow();
    if (m_options.maxSteps > 0 && m_state.step >= m_options.maxSteps)
        return EpochEnd::StepLimit;
    applySteering();
    return std::nullopt;
}

SteerPoint Trainer::unsteered() const
{
    return {0, 1.0, m_config.optimizer.weightDecay, 1.0};
}

void Trainer::applySteering()
{
    const SteerPoint *point = steerPointAt(m_config.steering, m_state.step);
    SteerPoint want = point ? *point : unsteered();
    want.step = 0;
    if (want == m_activeSteer)
        return;
    if (want.weightDecay != m_activeSteer.weightDecay)
        setWeightDecay(*m_optimizer, want.weightDecay);
    if (want.augmentStrength != m_activeSteer.augmentStrength)
        m_trainLoader->setAugment(scaledAugment(m_config.augment, want.augmentStrength));
    m_activeSteer = want;
}

double Trainer::currentLr() const
{
    if (m_options.lrOverride)
        return m_options.lrOverride(m_state.step);
    return m_schedule->lrAt(m_state.step) * m_plateau->scale() * m_activeSteer.lrScale;
}

torch::Tensor Trainer::toDevice(const torch::Tensor &x) const
{
    auto moved = x.to(m_device);
    return m_channelsLast && moved.dim() == 4 ? moved.contiguous(at::MemoryFormat::ChannelsLast)
                                              : moved;
}

Result<TrainOutcome> Trainer::run(std::stop_token stop)
{
    try {
        auto outcome = loop(stop);
        if (!outcome) {
            m_observer->onFailed(outcome.error(), m_state.step);
            return outcome;
        }
        m_observer->onFinished(*outcome, m_state.step);
        return outcome;
    } catch (const RunFailure &failure) {
        m_observer->onFailed(failure.error, m_state.step);
        return std::unexpected(failure.error);
    } catch (const std::exception &e) {
        Error error{ErrorCode::Training, "training failed: " + util::describe(e),
                    "step " + std::to_string(m_state.step)};
        m_observer->onFailed(error, m_state.step);
        return std::unexpected(error);
    }
}

Result<TrainOutcome> Trainer::loop(std::stop_token stop)
{
    const auto limitReached
        = [this] { return m_options.maxSteps > 0 && m_state.step >= m_options.maxSteps; };
    TrainOutcome outcome = TrainOutcome::Finished;
    m_windowStart = util::monotonicNow();
    if (!m_fineTuneSummary.is_null() && m_state.step == 0)
        m_observer->onNote(
            {std::string(track::events::kFineTune), 0, m_fineTuneSummary.dump(), util::unixNow()});
    while (m_state.epoch < m_config.training.epochs) {
        if (limitReached()) {
            outcome = TrainOutcome::StepLimit;
            break;
        }
        const double start = util::monotonicNow();
        auto end = trainEpoch(stop);
        if (!end)
            return std::unexpected(end.error());
        if (*end == EpochEnd::Stopped) {
            if (auto ok = writeCheckpoint("last"); !ok)
                return std::unexpected(ok.error());
            return TrainOutcome::Stopped;
        }
        if (*end == EpochEnd::StepLimit) {
            outcome = TrainOutcome::StepLimit;
            break;
        }
        const double epochEnd = util::monotonicNow();
        auto early = endEpoch(epochEnd - start);
        // The throughput window measures training: validation and checkpoints are left out.
        m_windowStart += util::monotonicNow() - epochEnd;
        if (!early)
            return std::unexpected(early.error());
        if (*early) {
            outcome = TrainOutcome::EarlyStopped;
            break;
        }
    }
    if (outcome == TrainOutcome::StepLimit) {
        if (auto ok = writeCheckpoint("last"); !ok)
            return std::unexpected(ok.error());
    }
    // Data parallel, every rank evaluates its part of the test set with rank 0's buffers.
    if (m_options.evaluateTest && m_testLoader) {
        if (auto ok = syncBuffers(); !ok)
            return std::unexpected(ok.error());
        m_observer->onEval({kTest, m_state.epoch, m_state.step, evaluateOn(*m_testLoader, kTest),
                            util::unixNow()});
    }
    return outcome;
}

Result<Trainer::EpochEnd> Trainer::trainEpoch(std::stop_token stop)
{
    const auto &t = m_config.training;
    const double nominal = double(t.batchSize * t.accumulate);
    if (m_options.dataParallel && m_shardEpoch != m_state.epoch)
        if (auto ok = loadShard(m_state.epoch); !ok)
            return std::unexpected(ok.error());
    if (m_options.privateTraining)
        return trainPrivateEpoch(stop);
    m_trainLoader->startEpoch(m_state.epoch, m_state.batchInEpoch);
    const std::int64_t batches = m_trainLoader->batchesPerEpoch();
    m_epochStats = {};
    unfreezeIfDue();
    m_net->train();
    m_optimizer->zero_grad();
    StepStats step;
    while (m_state.batchInEpoch < batches) {
        model::Taps *taps = nullptr; // set on the first micro-batch of a recording step
        if (step.microBatches == 0) {
            if (const auto end = beginStep(stop))
                return *end;
            if (m_histograms.due(m_state.step + 1))
                taps = m_histograms.begin(m_state.step + 1);
        }
        auto batch = m_trainLoader->next();
        if (!batch)
            return std::unexpected(batch.error());
        if (!*batch)
            break;
        auto x = toDevice((*batch)->x);
        const auto y = (*batch)->y.to(m_device);
        if (m_options.adversarial) {
            auto adversarial = m_options.adversarial->trainingBatch(m_net, x, y);
            if (!adversarial)
                return std::unexpected(adversarial.error());
            x = *adversarial;
        }
        torch::Tensor logits;
        {
            AutocastScope autocast(t.mixedPrecision, m_device);
            logits = m_net->forward(x, taps);
        }
        if (taps)
            m_histograms.addActivations(m_net);
        // Scale so accumulated micro-batches sum to the mean over the full nominal batch.
        // Data parallel, y is this rank's part of the global batch: the ranks' gradients sum to
        // the single-process one.
        const double scale = double(y.size(0)) / nominal;
        if (m_options.dataParallel)
            m_options.dataParallel->beforeBackward(step.microBatches + 1 == t.accumulate
                                                   || m_state.batchInEpoch + 1 == batches);
        auto loss = lossAndBackward(x, logits, y, scale);
        if (!loss)
            return std::unexpected(loss.error());
        const double value = loss->item<double>();
        if (!std::isfinite(value))
            return std::unexpected(nanError(value));
        step.lossSum += value * double(y.size(0));
        step.correct += logits.argmax(1).eq(y).sum().item<double>();
        step.samples += y.size(0);
        ++step.microBatches;
        ++m_state.batchInEpoch;
        if (step.microBatches == t.accumulate || m_state.batchInEpoch == batches) {
            if (auto ok = optimizerStep(step, stop); !ok)
                return std::unexpected(ok.error());
            step = {};
        }
    }
    return EpochEnd::Completed;
}

Result<torch::Tensor> Trainer::lossAndBackward(const torch::Tensor &x, const torch::Tensor &logits,
                                               const torch::Tensor &y, double scale)
{
    const double smoothing = m_config.training.labelSmoothing;
    if (m_config.training.fused && !m_distiller)
        return fusedCrossEntropyBackward(logits, y, smoothing, scale);
    torch::Tensor loss
        = m_distiller
              ? m_distiller->loss(x, logits, y, smoothing)
              : torch::nn::functional::cross_entropy(
                  logits.to(torch::kFloat), y,
                  torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
    (loss * scale).backward();
    return loss.detach();
}

void Trainer::unfreezeIfDue()
{
    const auto after = m_config.finetune.unfreezeAfter;
    if (after == 0 || m_frozen.empty() || m_state.epoch < after)
        return;
    setFrozen(m_net, m_frozen, false);
    if (m_options.dataParallel)
        if (auto ok = m_options.dataParallel->attach(m_net); !ok)
            throw RunFailure{ok.error()};
    if (m_options.privateTraining)
        if (auto ok = m_options.privateTraining->attach(m_net); !ok)
            throw RunFailure{ok.error()};
    m_observer->onNote({"unfrozen", m_state.step,
                        nlohmann::json{{"stages", m_frozen},
                                       {"trainable_parameters", trainableParameterCount(m_net)}}
                            .dump(),
                        util::unixNow()});
    m_frozen.clear();
}

Error Trainer::nanError(double value) const
{
    const std::string last = m_options.checkpointDir.empty()
                                 ? std::string("no checkpoint directory was set")
                                 : "the last good checkpoint, "
                                       + (m_options.checkpointDir / "last.pt").string()
                                       + ", is kept";
    return Error{ErrorCode::Training,
                 "the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite")
                     + "; training stopped and " + last
                     + ". Lower optimizer.lr or set training.grad_clip",
                 "epoch " + std::to_string(m_state.epoch + 1) + ", step "
                     + std::to_string(m_state.step + 1)};
}

Result<void> Trainer::optimizerStep(const StepStats &local, const std::stop_token &stop)
{
    const double lr = currentLr();
    setLearningRates(*m_optimizer, lr, m_groupLrScales);
    if (m_options.dataParallel)
        if (auto ok = m_options.dataParallel->reduceGradients(); !ok)
            return ok;
    if (m_histograms.active())
        m_histograms.addGradients(m_net);
    if (m_fusedStep) {
        // Clipping, weight decay and the update in one pass, on the optimizer's own state.
        auto norm = fusedAdamStep(*m_optimizer, m_config.optimizer.name == "adamw",
                                  m_config.training.gradClip);
        if (!norm)
            return std::unexpected(norm.error());
        if (!std::isfinite(*norm))
            return std::unexpected(nanError(*norm));
    } else {
        if (m_config.training.gradClip > 0) {
            const double norm = torch::nn::utils::clip_grad_norm_(m_net->parameters(),
                                                                  m_config.training.gradClip);
            if (!std::isfinite(norm))
                return std::unexpected(nanError(norm));
        }
        m_optimizer->step();
    }
    m_optimizer->zero_grad();
    ++m_state.step;

    // Data parallel: the step as every rank saw it.
    StepStats stats = local;
    std::optional<DistStepTimes> times;
    if (m_options.dataParallel) {
        auto all = m_options.dataParallel->exchange({local.lossSum, local.correct, local.samples,
                                                     util::monotonicNow() - m_stepStart,
                                                     stop.stop_requested(), m_paused.load()});
        if (!all)
            return std::unexpected(all.error());
        stats = {all->lossSum, all->correct, all->samples, local.microBatches};
        times
            = DistStepTimes{all->maxSeconds, all->meanSeconds, all->commSeconds, all->waitSeconds};
        m_stopAgreed = all->stop;
        m_pauseAgreed = all->pause;
    }

    m_epochStats.lossSum += stats.lossSum;
    m_epochStats.correct += stats.correct;
    m_epochStats.samples += stats.samples;

    StepEvent event;
    event.step = m_state.step;
    event.epoch = double(m_state.epoch)
                  + double(m_state.batchInEpoch) / double(m_trainLoader->batchesPerEpoch());
    // NaN when the step saw no example (a DP-SGD Poisson batch can be empty): not recorded.
    event.loss = stats.lossSum / double(stats.samples);
    event.accuracy = stats.correct / double(stats.samples);
    event.lr = lr;
    m_windowSamples += stats.samples;
    if (m_state.step % m_options.throughputEvery == 0) {
        const double now = util::monotonicNow();
        event.samplesPerSecond = double(m_windowSamples) / std::max(now - m_windowStart, 1e-9);
        m_windowStart = now;
        m_windowSamples = 0;
    }
    event.dist = times;
    if (m_options.privateTraining) {
        const auto spent = m_options.privateTraining->report(m_state.step);
        event.privacyEpsilon = spent.epsilon;
        event.privacyDelta = spent.delta;
    }
    event.wallTime = util::unixNow();
    m_observer->onStep(event);
    if (m_histograms.active())
        m_observer->onHistograms(m_histograms.finish(m_net, event.wallTime));
    return {};
}

Result<bool> Trainer::endEpoch(double seconds)
{
    // Every rank evaluates rank 0's weights and buffers, so every rank decides alike.
    if (auto ok = syncBuffers(); !ok)
        return std::unexpected(ok.error());
    const double samples = std::max(m_epochStats.samples, std::int64_t(1));
    const EpochEvent epoch{m_state.epoch,
                           m_state.step,
                           m_epochStats.lossSum / samples,
                           m_epochStats.correct / samples,
                           seconds,
                           util::unixNow()};
    m_observer->onEpoch(epoch);
    double score = epoch.trainAccuracy;
    double lossForPlateau = epoch.trainLoss;
    if (m_valLoader) {
        EvalEvent val{kVal, m_state.epoch, m_state.step, evaluateOn(*m_valLoader, kVal),
                      util::unixNow()};
        addRobustAccuracy(val.result);
        score = val.result.accuracy;
        lossForPlateau = val.result.loss;
        m_observer->onEval(val);
    }
    if (m_config.schedule.type == "plateau" && m_plateau->update(lossForPlateau)) {
        m_observer->onNote({"lr_reduced", m_state.step,
                            nlohmann::json{{"scale", m_plateau->scale()}}.dump(), util::unixNow()});
    }
    m_state.plateau = m_plateau->state();
    const bool improved = score > m_state.bestValAccuracy;
    if (improved) {
        m_state.bestValAccuracy = score;
        m_state.epochsWithoutImprovement = 0;
    } else {
        ++m_state.epochsWithoutImprovement;
    }
    ++m_state.epoch;
    m_state.batchInEpoch = 0;
    if (improved) {
        if (auto ok = writeCheckpoint("best"); !ok)
            return std::unexpected(ok.error());
    }
    if (auto ok = writeCheckpoint("last"); !ok)
        return std::unexpected(ok.error());
    if (m_config.training.keepEpochCheckpoints) {
        if (auto ok = keepEpochCheckpoint(); !ok)
            return std::unexpected(ok.error());
    }
    const auto patience = m_config.training.earlyStoppingPatience;
    return patience > 0 && m_state.epochsWithoutImprovement >= patience;
}

void Trainer::addRobustAccuracy(EvalResult &result)
{
    const std::int64_t wanted = m_config.adversarial.evalSamples;
    if (!m_options.adversarial || wanted == 0)
        return;
    m_valLoader->startEpoch(0);
    std::int64_t correct = 0, samples = 0;
    while (samples < wanted) {
        auto batch = m_valLoader->next();
        if (!batch)
            throw RunFailure{batch.error()};
        if (!*batch)
            break;
        const std::int64_t take = std::min((*batch)->y.size(0), wanted - samples);
        auto robust
            = m_options.adversarial->robustCorrect(m_net, toDevice((*batch)->x).narrow(0, 0, take),
                                                   (*batch)->y.narrow(0, 0, take).to(m_device));
        if (!robust)
            throw RunFailure{robust.error()};
        correct += *robust;
        samples += take;
    }
    if (samples > 0)
        result.extra.emplace_back(track::keys::kRobustAccuracy, double(correct) / double(samples));
}

EvalResult Trainer::evaluateOn(data::Loader &loader, const std::string &split)
{
    if (m_options.dataParallel && m_options.dataParallel->worldSize() > 1)
        return evaluateParts(split);
    std::vector<torch::Tensor> labels;
    const BatchSource next = evalBatches(loader, m_metrics.empty() ? nullptr : &labels);
    AutocastScope autocast(m_config.training.mixedPrecision, m_device);
    torch::Tensor logits;
    EvalResult result
        = evaluate(m_net, next, m_numClasses, m_device, m_metrics.empty() ? nullptr : &logits);
    if (!m_metrics.empty() && !labels.empty())
        result.extra = computeMetrics(logits, torch::cat(labels), split);
    return result;
}

std::vector<std::pair<std::string, double>> Trainer::computeMetrics(const torch::Tensor &logits,
                                                                    const torch::Tensor &labels,
                                                                    const std::string &split)
{
    // The evaluation loaders do not shuffle: their samples come in index order.
    const torch::Tensor indices
        = split == kVal ? m_valIndices : torch::arange(labels.size(0), torch::kLong);
    const data::Dataset *dataset = split == kVal ? m_data.train.get() : m_data.test.get();
    auto values = train::computeMetrics(m_metrics, {&logits, &labels, &indices, dataset, split});
    if (!values)
        throw RunFailure{values.error()};
    return std::move(*values);
}

Result<EvalResult> Trainer::evaluateTest()
{
    data::Loader *loader = m_testLoader ? m_testLoader.get() : m_valLoader.get();
    if (!loader)
        return fail(ErrorCode::InvalidArgument, "no test or validation data to evaluate on");
    try {
        return evaluateOn(*loader, m_testLoader ? kTest : kVal);
    } catch (const RunFailure &failure) {
        return std::unexpected(failure.error);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training, "evaluation failed: " + util::describe(e));
    }
}

Result<void> Trainer::writeCheckpoint(const std::string &kind)
{
    if (m_options.checkpointDir.empty())
        return {};
    const auto path = m_options.checkpointDir / (kind + ".pt");
    if (auto ok = saveCheckpoint(path, m_net, *m_optimizer, m_state); !ok)
        return ok;
    m_observer->onCheckpoint({kind, path.string(), m_state.epoch, m_state.step, util::unixNow()});
    return {};
}

Result<void> Trainer::keepEpochCheckpoint()
{
    if (m_options.checkpointDir.empty())
        return {};
    // last.pt was just written for this position: link it (a copy where links are refused)
    // under a temporary name and rename that into place, so epoch-N.pt is never half there.
    // The next save of last.pt renames a new file over it, leaving this one intact.
    const auto last = m_options.checkpointDir / "last.pt";
    const std::string kind = "epoch-" + std::to_string(m_state.epoch);
    const auto path = m_options.checkpointDir / (kind + ".pt");
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    std::filesystem::create_hard_link(last, tmp, ec);
    if (ec) {
        ec.clear();
        std::filesystem::copy_file(last, tmp, std::filesystem::copy_options::overwrite_existing,
                                   ec);
    }
    if (!ec)
        std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        return fail(ErrorCode::Io, "cannot write checkpoint: " + ec.message(), path.string());
    }
    m_observer->onCheckpoint({kind, path.string(), m_state.epoch, m_state.step, util::unixNow()});
    return {};
}

const char *toString(TrainOutcome outcome)
{
    switch (outcome) {
    case TrainOutcome::Finished: return "finished";
    case TrainOutcome::EarlyStopped: return "early-stopped";
    case TrainOutcome::StepLimit: return "step-limit";
    case TrainOutcome::Stopped: return "stopped";
    }
    return "unknown";
}

} // namespace lathe::train
