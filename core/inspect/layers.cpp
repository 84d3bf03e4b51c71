#include "core/inspect/layers.h"

#include "core/inspect/stage_lookup.h"
#include "core/util/torch_error.h"

namespace lathe::inspect {

namespace {

// Puts a module in eval mode for a scope (BatchNorm must not update its running statistics
// from an inspection input), restoring the previous mode.
class EvalScope
{
public:
    explicit EvalScope(model::Net &net)
        : m_net(net)
        , m_wasTraining(net->is_training())
    {
        m_net->eval();
    }
    ~EvalScope() { m_net->train(m_wasTraining); }
    EvalScope(const EvalScope &) = delete;
    EvalScope &operator=(const EvalScope &) = delete;

private:
    model::Net &m_net;
    bool m_wasTraining;
};

} // namespace

std::vector<LayerInfo> listLayers(model::Net &net, const std::vector<std::int64_t> &inputShape)
{
    std::vector<LayerInfo> layers;
    for (const auto &name : net->layerNames())
        layers.push_back({name, {}, false});
    try {
        EvalScope eval(net);
        torch::NoGradGuard noGrad;
        std::vector<std::int64_t> shape{1};
        shape.insert(shape.end(), inputShape.begin(), inputShape.end());
        const auto firstParam = net->parameters();
        const auto dtype = firstParam.empty() ? torch::kFloat : firstParam[0].scalar_type();
        model::Taps taps;
        taps.all = true;
        net->forward(torch::zeros(shape, torch::TensorOptions().dtype(dtype)), &taps);
        for (auto &layer : layers) {
            // A layer of an imported model that cannot be tapped records nothing.
            const auto found = taps.outputs.find(layer.name);
            if (found == taps.outputs.end())
                continue;
            const auto sizes = found->second.sizes();
            layer.shape.assign(sizes.begin() + 1, sizes.end());
            layer.spatial = layer.shape.size() == 3;
        }
    } catch (const std::exception &) {
        // A shape the net cannot run on: the names alone are still worth listing.
        for (auto &layer : layers)
            layer.shape.clear();
    }
    return layers;
}

std::string lastSpatialLayer(const std::vector<LayerInfo> &layers)
{
    // Top-level layers first (an imported model's "layer3", not "layer3.1.bn2" inside it), and
    // a map larger than 1x1 (ResNet-18's layer4 on 28x28 images is 1x1: a flat heatmap).
    for (const bool topLevel : {true, false}) {
        std::string last;
        for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
            if (!it->spatial || (topLevel && it->name.find('.') != std::string::npos))
                continue;
            if (it->shape[1] * it->shape[2] > 1)
                return it->name;
            if (last.empty())
                last = it->name;
        }
        if (!last.empty())
            return last;
    }
    return {};
}

Result<torch::Tensor> featureMaps(model::Net &net, const torch::Tensor &input,
                                  const std::string &layer)
{
    if (auto known = requireStage(net, layer); !known)
        return std::unexpected(known.error());
    if (input.dim() != 4 || input.size(0) != 1)
        return fail(ErrorCode::InvalidArgument, "feature maps take one prepared input [1,C,H,W]",
                    "layer " + layer);
    try {
        torch::NoGradGuard noGrad;
        model::Taps taps;
        taps.wanted = {layer};
        net->forward(input, &taps);
        auto tapped = tappedOutput(taps, layer);
        if (!tapped)
            return std::unexpected(tapped.error());
        return (*tapped)[0].contiguous();
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    "cannot run " + net->arch() + " on this input: " + util::describe(e),
                    "layer " + layer);
    }
}

} // namespace lathe::inspect
