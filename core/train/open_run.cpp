#include "core/train/open_run.h"

#include "core/train/checkpoint.h"
#include "core/train/thread_generator.h"
#include "core/util/torch_error.h"

namespace lathe::train {

torch::Tensor OpenedRun::prepare(const torch::Tensor &images) const
{
    auto x = images.dim() == 3 ? images.unsqueeze(0) : images;
    return normalization.apply(x.to(torch::kCPU, torch::kFloat)).contiguous();
}

Result<torch::Tensor> OpenedRun::testImage(std::int64_t index) const
{
    const auto &test = data.test;
    if (!test)
        return fail(ErrorCode::InvalidArgument,
                    runLabel(run) + " has no test set to take a sample from");
    if (index < 0 || index >= test->size())
        return fail(ErrorCode::InvalidArgument, "sample " + std::to_string(index)
                                                    + " is out of range: the test set has "
                                                    + std::to_string(test->size()) + " samples (0.."
                                                    + std::to_string(test->size() - 1) + ")");
    try {
        return test->images(torch::tensor({index}, torch::kLong))[0];
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    "cannot read test sample " + std::to_string(index) + ": " + util::describe(e));
    }
}

namespace {

// The data, the set-up and the checkpoint's weights (no optimizer state, no RNG state).
Result<void> buildOpenedRun(OpenedRun &m)
{
    auto data = loadTrainData(m.config.data);
    if (!data)
        return std::unexpected(data.error());
    m.data = std::move(*data);
    m.classNames = m.data.train->classNames();
    m.inputShape = m.data.train->sampleShape();
    auto setUp = setUpRun(m.config, m.data, {});
    if (!setUp)
        return std::unexpected(setUp.error());
    m.net = setUp->net;
    m.normalization = setUp->normalization;
    m.split = setUp->split;
    if (auto state = loadCheckpoint(m.checkpoint.path, m.net, nullptr); !state)
        return std::unexpected(state.error());
    m.net->to(torch::kCPU);
    m.net->eval();
    return {};
}

} // namespace

Result<OpenedRun> openRun(const std::filesystem::path &db, const std::string &idOrName,
                          const std::string &checkpoint)
{
    OpenedRun m;
    {
        auto store = track::RunStore::open(db);
        if (!store)
            return std::unexpected(store.error());
        auto run = (*store)->findRun(idOrName);
        if (!run)
            return std::unexpected(run.error());
        m.run = std::move(*run);
        auto chosen
            = storedCheckpoint(**store, db, m.run, checkpoint, &m.checkpointNote, &m.checkpoints);
        if (!chosen)
            return std::unexpected(chosen.error());
        m.checkpoint = std::move(*chosen);
    }
    auto config = storedConfig(m.run);
    if (!config)
        return std::unexpected(config.error());
    m.config = std::move(*config);
    try {
        // The initial weights are overwritten by the checkpoint's; drawing them from a
        // private generator leaves the global one to whoever trains.
        ThreadGeneratorScope generator(m.config.training.seed);
        if (auto ok = buildOpenedRun(m); !ok)
            return std::unexpected(ok.error());
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    "cannot load " + runLabel(m.run) + ": " + util::describe(e),
                    m.checkpoint.path.string());
    }
    return m;
}

} // namespace lathe::train
