#include "core/inspect/inspect_model.h"

#include "core/track/run_store.h"
#include "core/train/checkpoint.h"
#include "core/train/run_job.h"
#include "core/train/trainer.h"
#include "core/util/torch_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

namespace lathe::inspect {

namespace {

// N of "epoch-N" (N >= 0, digits only), else nullopt.
std::optional<std::int64_t> epochNumber(std::string_view name)
{
    constexpr std::string_view kPrefix = "epoch-";
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size())
        return std::nullopt;
    const auto digits = name.substr(kPrefix.size());
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n < 0)
        return std::nullopt;
    return n;
}

bool isCheckpointName(const std::string &name)
{
    return name == "best" || name == "last" || epochNumber(name).has_value();
}

CheckpointInfo describeCheckpoint(const std::string &name, const std::filesystem::path &path)
{
    CheckpointInfo info{name, path};
    if (auto state = train::readCheckpointState(path)) {
        info.epoch = state->epoch;
        info.step = state->step;
    } else if (auto n = epochNumber(name)) {
        info.epoch = *n;
    }
    return info;
}

std::string checkpointNames(const std::vector<CheckpointInfo> &checkpoints)
{
    if (checkpoints.empty())
        return "none (the run never completed an epoch)";
    std::string names;
    for (const auto &c : checkpoints)
        names += (names.empty() ? "" : ", ") + c.name;
    return names;
}

// Builds the run's network and data through a Trainer (the exact set-up training used, the
// normalisation included) and loads the checkpoint's weights only: no optimizer state, no RNG.
Result<void> restoreModel(InspectModel &m)
{
    auto data = train::loadTrainData(m.config.data);
    if (!data)
        return std::unexpected(data.error());
    m.classNames = data->train->classNames();
    m.inputShape = data->train->sampleShape();
    m.test = data->test;
    auto trainer = train::Trainer::create(m.config, std::move(*data), {});
    if (!trainer)
        return std::unexpected(trainer.error());
    m.net = (*trainer)->net();
    m.normalization = (*trainer)->normalization();
    if (auto state = train::loadCheckpoint(m.checkpoint.path, m.net, nullptr); !state)
        return std::unexpected(state.error());
    m.net->to(torch::kCPU);
    m.net->eval();
    return {};
}

} // namespace

std::vector<CheckpointInfo> listCheckpoints(const std::filesystem::path &db, std::int64_t runId)
{
    const auto dir = train::runDirectory(db, runId);
    std::vector<CheckpointInfo> found;
    std::error_code ec;
    for (const char *name : {"best", "last"}) {
        const auto path = dir / (std::string(name) + ".pt");
        if (std::filesystem::is_regular_file(path, ec))
            found.push_back(describeCheckpoint(name, path));
    }
    std::vector<std::pair<std::int64_t, std::filesystem::path>> epochs;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto &path = it->path();
        if (path.extension() != ".pt" || !it->is_regular_file(ec))
            continue;
        if (auto n = epochNumber(path.stem().string()))
            epochs.emplace_back(*n, path);
    }
    std::sort(epochs.begin(), epochs.end());
    for (const auto &[n, path] : epochs)
        found.push_back(describeCheckpoint(path.stem().string(), path));
    return found;
}

torch::Tensor InspectModel::prepare(const torch::Tensor &images) const
{
    auto x = images.dim() == 3 ? images.unsqueeze(0) : images;
    return normalization.apply(x.to(torch::kCPU, torch::kFloat)).contiguous();
}

Result<torch::Tensor> InspectModel::testImage(std::int64_t index) const
{
    if (!test)
        return fail(ErrorCode::InvalidArgument, "run " + std::to_string(runId)
                                                    + " has no test set to take a sample from");
    if (index < 0 || index >= test->size())
        return fail(ErrorCode::InvalidArgument,
                    "sample " + std::to_string(index) + " is out of range: the test set has "
                        + std::to_string(test->size()) + " samples (0.."
                        + std::to_string(test->size() - 1) + ")");
    try {
        return test->images(torch::tensor({index}, torch::kLong))[0];
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cannot read test sample " + std::to_string(index)
                                             + ": " + util::describe(e));
    }
}

Result<InspectModel> loadInspectModel(const std::filesystem::path &db, const std::string &idOrName,
                                      const std::string &checkpoint)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    auto run = (*store)->findRun(idOrName);
    if (!run)
        return std::unexpected(run.error());
    store->reset();

    InspectModel m;
    m.runId = run->id;
    m.runName = run->name;
    const std::string runLabel = "run " + std::to_string(run->id) + " (" + run->name + ")";
    const auto checkpoints = listCheckpoints(db, run->id);
    auto it = std::find_if(checkpoints.begin(), checkpoints.end(),
                           [&](const CheckpointInfo &c) { return c.name == checkpoint; });
    if (!isCheckpointName(checkpoint) || it == checkpoints.end())
        return fail(ErrorCode::NotFound,
                    runLabel + " has no checkpoint \"" + checkpoint
                        + "\"; available: " + checkpointNames(checkpoints),
                    train::runDirectory(db, run->id).string());
    m.checkpoint = *it;

    auto config = train::RunConfig::fromJson(
        nlohmann::json::parse(run->configJson, nullptr, false));
    if (!config)
        return fail(config.error().code, runLabel + ": " + config.error().message,
                    config.error().context);
    m.config = std::move(*config);
    try {
        if (auto ok = restoreModel(m); !ok)
            return std::unexpected(ok.error());
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cannot load " + runLabel + ": " + util::describe(e),
                    m.checkpoint.path.string());
    }
    return m;
}

} // namespace lathe::inspect
