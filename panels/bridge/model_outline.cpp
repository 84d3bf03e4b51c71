#include "panels/bridge/model_outline.h"

#include "core/model/net.h"
#include "core/plugin/registry.h"

#include <torch/torch.h>

#include <map>
#include <mutex>
#include <utility>

namespace lathe::panels {

namespace {

using Key = std::pair<std::string, std::vector<std::int64_t>>;

ModelOutline buildOutline(const model::ModelSpec &spec)
{
    ModelOutline outline;
    try {
        auto net = plugin::buildModel(spec, {1, 28, 28}, 10);
        if (!net) {
            outline.error = net.error().message;
            return outline;
        }
        const auto children = (*net)->named_children();
        for (const auto &name : (*net)->stageNames()) {
            StageOutline stage{name, 0};
            if (const auto *module = children.find(name)) {
                for (const auto &parameter : (*module)->parameters())
                    stage.parameterCount += parameter.numel();
            }
            outline.stages.push_back(std::move(stage));
        }
    } catch (const std::exception &e) {
        outline.error = e.what();
    }
    return outline;
}

} // namespace

std::int64_t ModelOutline::parameterCount() const
{
    std::int64_t total = 0;
    for (const auto &stage : stages)
        total += stage.parameterCount;
    return total;
}

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

} // namespace lathe::panels
