#include "panels/bridge/model_outline.h"

#include "core/formats/torchscript_import.h"
#include "core/model/net.h"
#include "core/plugin/registry.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

namespace lathe::panels {

namespace {

using Key = std::pair<std::string, std::vector<std::int64_t>>;

// Every layer a user names (Net::layerNames) with the parameters it covers.
ModelOutline outlineOf(const model::Net &net)
{
    ModelOutline outline;
    const auto parameters = net->layerParameters();
    for (const auto &name : net->layerNames()) {
        StageOutline stage{name, 0};
        for (const auto &[parameter, tensor] : parameters)
            if (model::NetImpl::covers(name, parameter))
                stage.parameterCount += tensor.numel();
        outline.stages.push_back(std::move(stage));
    }
    outline.totalParameters = net->parameterCount();
    return outline;
}

ModelOutline buildOutline(const model::ModelSpec &spec)
{
    ModelOutline outline;
    try {
        auto net = plugin::buildModel(spec, {1, 28, 28}, 10);
        if (!net) {
            outline.error = net.error().message;
            return outline;
        }
        outline = outlineOf(*net);
    } catch (const std::exception &e) {
        outline.error = e.what();
    }
    return outline;
}

} // namespace

ModelOutline modelOutline(const model::ModelSpec &spec, const std::string &dataset)
{
    static std::mutex mutex;
    static std::map<Key, ModelOutline> cache;
    const std::lock_guard lock(mutex);
    Key key{spec.arch, spec.widths};
    auto it = cache.find(key);
    if (it == cache.end())
        it = cache.emplace(std::move(key), buildOutline(spec)).first;
    ModelOutline outline = it->second;
    outline.assumedShape = dataset != "fashion-mnist";
    return outline;
}

ModelOutline importedOutline(const std::string &file, const std::string &dataset)
{
    static std::mutex mutex;
    static std::map<std::tuple<std::string, std::uintmax_t, std::int64_t>, ModelOutline> cache;
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    const auto modified = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
    const std::lock_guard lock(mutex);
    auto key = std::make_tuple(file, ec ? 0 : size, ec ? 0 : std::int64_t(modified));
    auto it = cache.find(key);
    if (it == cache.end()) {
        ModelOutline built;
        auto net = formats::netFromTorchScript(file, {1, 28, 28}, 10);
        if (net)
            built = outlineOf(*net);
        else
            built.error = net.error().message;
        it = cache.emplace(std::move(key), std::move(built)).first;
    }
    ModelOutline outline = it->second;
    outline.assumedShape = dataset != "fashion-mnist";
    return outline;
}

} // namespace lathe::panels
