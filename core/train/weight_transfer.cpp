#include "core/train/weight_transfer.h"

#include "core/formats/zip_check.h"
#include "core/util/torch_error.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

namespace lathe::train {

namespace {

// Reads tensor `name` ("stage.sub.weight") of a saved module archive: nested modules are
// nested archives. False when it is absent.
bool readNested(torch::serialize::InputArchive &archive, const std::string &name,
                torch::Tensor &out, bool isBuffer)
{
    const auto dot = name.find('.');
    if (dot == std::string::npos)
        return archive.try_read(name, out, isBuffer);
    torch::serialize::InputArchive child;
    if (!archive.try_read(name.substr(0, dot), child))
        return false;
    return readNested(child, name.substr(dot + 1), out, isBuffer);
}

bool inFreshStage(const std::string &name, const std::vector<std::string> &freshStages)
{
    return std::any_of(freshStages.begin(), freshStages.end(), [&](const std::string &stage) {
        return name.rfind(stage + ".", 0) == 0;
    });
}

} // namespace

Result<TransferReport> transferFromCheckpoint(const std::filesystem::path &checkpoint,
                                              model::Net &net,
                                              const std::vector<std::string> &freshStages)
{
    const std::string where = checkpoint.string();
    if (!std::filesystem::is_regular_file(checkpoint))
        return fail(ErrorCode::NotFound, "checkpoint file does not exist", where);
    if (auto archive = formats::verifyZipArchive(checkpoint, "checkpoint"); !archive)
        return std::unexpected(archive.error());
    TransferReport report;
    try {
        torch::serialize::InputArchive archive, model;
        archive.load_from(where);
        if (!archive.try_read("model", model))
            return fail(ErrorCode::BadInput, "not a Lathe checkpoint (no model inside)", where);
        std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
        auto consider = [&](const std::string &name, const torch::Tensor &target, bool buffer) {
            torch::Tensor source;
            if (inFreshStage(name, freshStages) || !readNested(model, name, source, buffer)
                || source.sizes() != target.sizes())
                report.fresh.push_back(name);
            else
                copies.emplace_back(target, source);
        };
        for (const auto &p : net->named_parameters())
            consider(p.key(), p.value(), false);
        for (const auto &b : net->named_buffers())
            consider(b.key(), b.value(), true);
        if (copies.empty())
            return fail(ErrorCode::BadInput,
                        "no tensor of the checkpoint matches this model (written for another "
                        "model?)",
                        where);
        torch::NoGradGuard noGrad;
        for (auto &[target, source] : copies)
            target.copy_(source);
        report.copied = std::int64_t(copies.size());
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cannot read checkpoint: " + util::describe(e), where);
    }
    return report;
}

} // namespace lathe::train
