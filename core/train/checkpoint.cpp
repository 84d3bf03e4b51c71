#include "core/train/checkpoint.h"

#include "core/formats/atomic_file.h"
#include "core/formats/zip_check.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>
#include <string>

namespace lathe::train {

namespace {

constexpr const char *kFormat = "lathe-checkpoint-1";

torch::Tensor cpuRngState()
{
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}

void setCpuRngState(const torch::Tensor &state)
{
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

nlohmann::json stateToJson(const TrainState &s)
{
    return {{"format", kFormat},
            {"step", s.step},
            {"epoch", s.epoch},
            {"batch_in_epoch", s.batchInEpoch},
            {"best_val_accuracy", s.bestValAccuracy},
            {"epochs_without_improvement", s.epochsWithoutImprovement},
            {"plateau", s.plateau},
            {"config", s.configJson}};
}

Result<TrainState> stateFromArchive(torch::serialize::InputArchive &archive,
                                    const std::filesystem::path &path)
{
    c10::IValue value;
    if (!archive.try_read("state", value) || !value.isString())
        return fail(ErrorCode::BadInput, "not a Lathe checkpoint (no training state inside)",
                    path.string());
    auto json = nlohmann::json::parse(value.toStringRef(), nullptr, false);
    if (json.is_discarded() || json.value("format", "") != kFormat)
        return fail(ErrorCode::BadInput,
                    "unsupported checkpoint format; expected " + std::string(kFormat),
                    path.string());
    TrainState s;
    s.step = json.at("step");
    s.epoch = json.at("epoch");
    s.batchInEpoch = json.at("batch_in_epoch");
    s.bestValAccuracy = json.at("best_val_accuracy");
    s.epochsWithoutImprovement = json.at("epochs_without_improvement");
    s.plateau = json.at("plateau");
    s.configJson = json.at("config");
    return s;
}

} // namespace

Result<void> saveCheckpoint(const std::filesystem::path &path, model::Net &net,
                            torch::optim::Optimizer &optimizer, const TrainState &state)
{
    // Serialised in memory, then written through an AtomicFile: LibTorch's file writer throws
    // again from its destructor when a write fails (a full disk), which would end the process.
    std::string bytes;
    try {
        torch::serialize::OutputArchive archive, modelArchive, optimizerArchive;
        net->save(modelArchive);
        optimizer.save(optimizerArchive);
        archive.write("model", modelArchive);
        archive.write("optimizer", optimizerArchive);
        archive.write("rng", cpuRngState());
        archive.write("state", c10::IValue(stateToJson(state).dump()));
        archive.save_to([&bytes](const void *data, std::size_t size) {
            bytes.append(static_cast<const char *>(data), size);
            return size;
        });
    } catch (const std::exception &e) {
        return fail(ErrorCode::Io, std::string("cannot write checkpoint: ") + e.what(),
                    path.string());
    }
    if (auto ok = formats::writeFileAtomically(path, bytes); !ok)
        return fail(ErrorCode::Io, "cannot write checkpoint: " + ok.error().message, path.string());
    return {};
}

Result<TrainState> loadCheckpoint(const std::filesystem::path &path, model::Net &net,
                                  torch::optim::Optimizer *optimizer)
{
    if (!std::filesystem::exists(path))
        return fail(ErrorCode::NotFound, "checkpoint file does not exist", path.string());
    if (auto verified = formats::verifyZipArchive(path, "checkpoint"); !verified)
        return std::unexpected(verified.error());
    try {
        torch::serialize::InputArchive archive, modelArchive;
        archive.load_from(path.string());
        auto state = stateFromArchive(archive, path);
        if (!state)
            return state;
        if (!archive.try_read("model", modelArchive))
            return fail(ErrorCode::BadInput, "checkpoint has no model weights", path.string());
        net->load(modelArchive);
        if (optimizer) {
            torch::serialize::InputArchive optimizerArchive;
            if (!archive.try_read("optimizer", optimizerArchive))
                return fail(ErrorCode::BadInput, "checkpoint has no optimizer state",
                            path.string());
            optimizer->load(optimizerArchive);
            torch::Tensor rng;
            archive.read("rng", rng);
            setCpuRngState(rng);
        }
        return state;
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    std::string("cannot read checkpoint (corrupt, or written for another "
                                "model): ")
                        + e.what(),
                    path.string());
    }
}

Result<TrainState> readCheckpointState(const std::filesystem::path &path)
{
    if (!std::filesystem::exists(path))
        return fail(ErrorCode::NotFound, "checkpoint file does not exist", path.string());
    if (auto verified = formats::verifyZipArchive(path, "checkpoint"); !verified)
        return std::unexpected(verified.error());
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path.string());
        return stateFromArchive(archive, path);
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, std::string("cannot read checkpoint: ") + e.what(),
                    path.string());
    }
}

} // namespace lathe::train
