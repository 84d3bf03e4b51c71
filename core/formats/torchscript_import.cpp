#include "core/formats/torchscript_import.h"

#include "core/formats/torchscript_export.h"
#include "core/util/torch_error.h"

#include <algorithm>

namespace lathe::formats {

namespace {

std::string localName(std::string name)
{
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

} // namespace

ScriptStageImpl::ScriptStageImpl(torch::jit::Module module)
    : m_module(std::move(module))
{
    for (const auto &p : m_module.named_parameters())
        register_parameter(localName(p.name), p.value, p.value.requires_grad());
    for (const auto &b : m_module.named_buffers())
        register_buffer(localName(b.name), b.value);
}

torch::Tensor ScriptStageImpl::forward(const torch::Tensor &x)
{
    return m_module.forward({x}).toTensor();
}

void ScriptStageImpl::train(bool on)
{
    torch::nn::Module::train(on);
    m_module.train(on);
}

Result<model::Net> netFromTorchScript(const std::filesystem::path &file,
                                      const std::vector<std::int64_t> &inputShape,
                                      std::int64_t numClasses)
{
    const std::string where = file.string();
    auto loaded = loadTorchScript(file);
    if (!loaded)
        return std::unexpected(loaded.error());
    torch::jit::Module module = std::move(*loaded);
    std::vector<std::int64_t> probeShape{1};
    probeShape.insert(probeShape.end(), inputShape.begin(), inputShape.end());
    std::int64_t outputs = 0;
    try {
        torch::NoGradGuard noGrad;
        module.eval();
        const auto out = module.forward({torch::zeros(probeShape)});
        if (!out.isTensor() || out.toTensor().dim() < 2 || out.toTensor().size(0) != 1)
            return fail(ErrorCode::BadInput,
                        "its forward must return one tensor [batch, features]", where);
        outputs = out.toTensor().numel();
        module.train();
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    "its forward fails on an input of this dataset's shape: " + util::describe(e),
                    where);
    }
    model::Net net("torchscript");
    net->addStage("backbone", ScriptStage(std::move(module)));
    if (outputs != numClasses) {
        net->addStage("flatten", torch::nn::Flatten());
        net->addStage("head", torch::nn::Linear(outputs, numClasses));
    }
    return net;
}

} // namespace lathe::formats
