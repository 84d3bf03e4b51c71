#include "core/formats/state_dict.h"

#include "core/formats/torchscript_import.h"
#include "core/util/join.h"
#include "core/util/torch_error.h"

#include <map>
#include <set>

namespace lathe::formats {

namespace {

constexpr std::size_t kNamesListed = 5;

// "a", "b", "c" and 4 more
std::string listNames(const std::vector<std::string> &names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < kNamesListed; ++i)
        text += (i ? ", \"" : "\"") + names[i] + "\"";
    if (names.size() > kNamesListed)
        text += " and " + std::to_string(names.size() - kNamesListed) + " more";
    return text;
}

Result<void> checkOne(const std::string &name, const torch::Tensor &given,
                      const torch::Tensor &target, const std::string &source)
{
    if (given.sizes() != target.sizes())
        return fail(ErrorCode::BadInput,
                    "tensor \"" + name + "\" has shape " + shapeString(given.sizes())
                        + " but the net's has shape " + shapeString(target.sizes()),
                    source);
    const bool sameKind = given.scalar_type() == target.scalar_type()
                          || (given.is_floating_point() && target.is_floating_point());
    if (!sameKind)
        return fail(ErrorCode::BadInput,
                    "tensor \"" + name + "\" is " + std::string(c10::toString(given.scalar_type()))
                        + " but the net's is " + std::string(c10::toString(target.scalar_type())),
                    source);
    return {};
}

// Checks every name and shape; returns the (target, value) pairs to copy.
Result<std::vector<std::pair<torch::Tensor, torch::Tensor>>>
matchTensors(const NamedTensors &net, const NamedTensors &tensors, const std::string &source,
             const LoadOptions &options)
{
    std::map<std::string, torch::Tensor> targets(net.begin(), net.end());
    std::set<std::string> given;
    std::vector<std::string> unknown;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> pairs;
    for (const auto &[name, tensor] : tensors) {
        if (!given.insert(name).second)
            return fail(ErrorCode::BadInput, "tensor \"" + name + "\" is given twice", source);
        auto it = targets.find(name);
        if (it == targets.end()) {
            unknown.push_back(name);
            continue;
        }
        if (auto ok = checkOne(name, tensor, it->second, source); !ok)
            return std::unexpected(ok.error());
        pairs.emplace_back(it->second, tensor);
    }
    if (!unknown.empty())
        return fail(ErrorCode::BadInput,
                    std::to_string(unknown.size()) + " tensor(s) match no layer of the "
                        + "net: " + listNames(unknown),
                    source);
    std::vector<std::string> missing;
    for (const auto &[name, tensor] : net)
        if (!given.contains(name))
            missing.push_back(name);
    if (!missing.empty() && !options.allowMissing)
        return fail(ErrorCode::BadInput,
                    std::to_string(missing.size()) + " of the net's " + std::to_string(net.size())
                        + " tensors are missing: " + listNames(missing),
                    source);
    return pairs;
}

} // namespace

NamedTensors stateDict(const model::Net &net)
{
    NamedTensors out;
    for (const auto &item : net->named_modules("", true)) {
        // An imported model's tensors keep the names PyTorch gave them.
        if (const auto *script = dynamic_cast<const ScriptStageImpl *>(item.value().get())) {
            const auto own = script->stateDict();
            out.insert(out.end(), own.begin(), own.end());
            continue;
        }
        const std::string prefix = item.key().empty() ? "" : item.key() + ".";
        for (const auto &p : item.value()->named_parameters(false))
            out.emplace_back(prefix + p.key(), p.value());
        for (const auto &b : item.value()->named_buffers(false))
            out.emplace_back(prefix + b.key(), b.value());
    }
    return out;
}

Result<void> loadStateDict(model::Net &net, const NamedTensors &tensors, const std::string &source,
                           const LoadOptions &options)
{
    try {
        auto pairs = matchTensors(stateDict(net), tensors, source, options);
        if (!pairs)
            return std::unexpected(pairs.error());
        torch::NoGradGuard noGrad;
        for (auto &[target, value] : *pairs)
            target.copy_(value);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "cannot copy the weights: " + util::describe(e), source);
    }
    return {};
}

std::string shapeString(torch::IntArrayRef shape)
{
    return "[" + util::join(shape) + "]";
}

NamedTensors cloneTensors(const NamedTensors &tensors)
{
    NamedTensors out;
    out.reserve(tensors.size());
    for (const auto &[name, tensor] : tensors)
        out.emplace_back(name, tensor.detach().to(torch::kCPU).clone().contiguous());
    return out;
}

} // namespace lathe::formats
