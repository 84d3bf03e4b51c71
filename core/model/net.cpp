#include "core/model/net.h"

#include <algorithm>

namespace lathe::model {

bool Taps::wants(const std::string &stage) const
{
    return all || std::find(wanted.begin(), wanted.end(), stage) != wanted.end();
}

NetImpl::NetImpl(std::string arch)
    : m_arch(std::move(arch))
{
}

NetImpl::Stage NetImpl::makeStage(const std::string &name, const torch::nn::AnyModule &module)
{
    return {name, module, std::dynamic_pointer_cast<AttentionRecorder>(module.ptr()),
            std::dynamic_pointer_cast<LayeredStage>(module.ptr())};
}

torch::Tensor NetImpl::forward(torch::Tensor x, Taps *taps)
{
    for (auto &stage : m_stages) {
        x = runStage(stage, std::move(x), taps);
        if (taps && !stage.layered && taps->wants(stage.name))
            taps->outputs[stage.name] = taps->keepGraph ? x : x.detach();
    }
    return x;
}

torch::Tensor NetImpl::runStage(Stage &stage, torch::Tensor x, Taps *taps)
{
    if (stage.layered && taps) {
        const auto layers = stage.layered->layerNames();
        if (taps->all || std::any_of(layers.begin(), layers.end(), [&](const std::string &layer) {
                return taps->wants(layer);
            }))
            return stage.layered->forwardTapped(x, *taps);
    }
    if (!stage.recorder || !taps || !taps->recordAttention)
        return stage.module.forward(x);
    stage.recorder->setRecordAttention(true, taps->keepGraph);
    // Switch recording off again even when the stage throws, so later passes stay lean.
    struct Reset
    {
        AttentionRecorder *recorder;
        ~Reset() { recorder->setRecordAttention(false, false); }
    } reset{stage.recorder.get()};
    x = stage.module.forward(x);
    taps->attention[stage.name] = stage.recorder->takeAttention();
    return x;
}

Result<void> NetImpl::replaceStage(const std::string &name, const torch::nn::AnyModule &module)
{
    auto it = std::find_if(m_stages.begin(), m_stages.end(),
                           [&](const Stage &s) { return s.name == name; });
    if (it == m_stages.end())
        return fail(ErrorCode::InvalidArgument, "no stage named \"" + name + "\"");
    replace_module(name, module.ptr());
    *it = makeStage(name, module);
    return {};
}

std::vector<std::string> NetImpl::stageNames() const
{
    std::vector<std::string> names;
    names.reserve(m_stages.size());
    for (const auto &stage : m_stages)
        names.push_back(stage.name);
    return names;
}

std::vector<std::string> NetImpl::layerNames() const
{
    std::vector<std::string> names;
    for (const auto &stage : m_stages) {
        if (!stage.layered) {
            names.push_back(stage.name);
            continue;
        }
        const auto layers = stage.layered->layerNames();
        names.insert(names.end(), layers.begin(), layers.end());
    }
    return names;
}

std::vector<std::pair<std::string, torch::Tensor>> NetImpl::layerParameters() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto &stage : m_stages) {
        if (stage.layered) {
            const auto own = stage.layered->layerParameters();
            out.insert(out.end(), own.begin(), own.end());
            continue;
        }
        for (const auto &p : stage.module.ptr()->named_parameters())
            out.emplace_back(stage.name + "." + p.key(), p.value());
    }
    return out;
}

bool NetImpl::covers(const std::string &layer, const std::string &parameter)
{
    return parameter.size() > layer.size() && parameter.compare(0, layer.size(), layer) == 0
           && parameter[layer.size()] == '.';
}

std::vector<std::string> NetImpl::attentionStageNames() const
{
    std::vector<std::string> names;
    for (const auto &stage : m_stages) {
        if (stage.recorder)
            names.push_back(stage.name);
    }
    return names;
}

std::int64_t NetImpl::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &p : parameters())
        count += p.numel();
    return count;
}

ResidualBlockImpl::ResidualBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride)
{
    using namespace torch::nn;
    m_conv1 = register_module(
        "conv1", Conv2d(Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    m_bn1 = register_module("bn1", BatchNorm2d(out));
    m_conv2 = register_module("conv2", Conv2d(Conv2dOptions(out, out, 3).padding(1).bias(false)));
    m_bn2 = register_module("bn2", BatchNorm2d(out));
    if (stride != 1 || in != out) {
        m_shortcut = register_module(
            "shortcut", Sequential(Conv2d(Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                                   BatchNorm2d(out)));
    }
}

torch::Tensor ResidualBlockImpl::forward(torch::Tensor x)
{
    auto y = torch::relu(m_bn1(m_conv1(x)));
    y = m_bn2(m_conv2(y));
    return torch::relu(y + (m_shortcut ? m_shortcut->forward(x) : x));
}

} // namespace lathe::model
