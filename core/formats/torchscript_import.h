// Imported models: a TorchScript file saved by PyTorch (torch.jit.script or torch.jit.trace) as
// a Net that Lathe trains, inspects and exports like its own.
#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lathe::formats {

class TappedForward;

/// A TorchScript module as one stage of a Net, trained further in LibTorch. Its parameters and
/// buffers are registered as this module's own (the same tensors: the optimizer updates the
/// script's weights and checkpoints hold them), with '.' in their names written '_'. Its
/// submodules are its layers, named as PyTorch names them ("layer3.1.conv2"): any of them can be
/// tapped (their outputs recorded, gradients included) without changing the model, and LoRA
/// adapters can be added to its Linear and Conv2d layers. train()/eval() reach the script.
/// Not thread-safe (a module: one thread uses it at a time).
class ScriptStageImpl : public torch::nn::Module, public model::LayeredStage
{
public:
    explicit ScriptStageImpl(torch::jit::Module module);
    ~ScriptStageImpl() override;

    torch::Tensor forward(const torch::Tensor &x);
    void train(bool on = true) override;

    std::vector<std::string> layerNames() const override;
    std::vector<std::pair<std::string, torch::Tensor>> layerParameters() const override;
    torch::Tensor forwardTapped(const torch::Tensor &x, model::Taps &taps) override;

    /// Adds a LoRA adapter to every Linear and Conv2d layer named in `targets` or under one of
    /// them (a prefix: "layer4" covers "layer4.1.conv2"; every such layer when `targets` is
    /// empty): its weight W0 is frozen and the layer computes with W0 + (alpha / rank) B A, A
    /// [rank, fan_in] Kaiming-uniform and B [out, rank] zeros (parameters "<layer>_lora_a",
    /// "<layer>_lora_b"; user names "<layer>.lora_a", "<layer>.lora_b"). Returns the adapted
    /// layers. InvalidArgument (context "finetune.lora_targets") naming a target that is no
    /// layer or covers no Linear or Conv2d.
    Result<std::vector<std::string>> addAdapters(std::int64_t rank, double alpha,
                                                 const std::vector<std::string> &targets) override;

    std::int64_t mergeAdapters() override;

    /// The script's parameters and buffers by PyTorch's names, in its state_dict order
    /// ("layer1.0.conv1.weight", "layer1.0.bn1.running_mean", ...): the stage's own tensors.
    std::vector<std::pair<std::string, torch::Tensor>> stateDict() const;

    /// A deep copy of the scripted module with the adapters merged into their layers' weights
    /// and in this stage's mode: what TorchScript and ONNX export write.
    torch::jit::Module exportModule() const;

    /// The module's class name as PyTorch wrote it ("ResNet").
    std::string className() const;

private:
    struct Adapter
    {
        std::string layer;
        torch::jit::Module module; ///< the layer's submodule
        torch::Tensor base;        ///< W0, frozen
        torch::Tensor a, b;
        double scale = 1.0;
        torch::Tensor weight() const { return base + torch::mm(b, a).view_as(base) * scale; }
    };

    /// Points each adapted layer's weight at W0 + scale B A (attached to A and B's autograd).
    void applyAdapters();

    torch::jit::Module m_module;
    std::vector<std::string> m_layers;
    std::vector<std::pair<std::string, torch::Tensor>> m_parameters;
    std::vector<Adapter> m_adapters;
    std::map<std::string, std::shared_ptr<TappedForward>> m_tapped; ///< by the taps they record
};
TORCH_MODULE(ScriptStage);

/// What an imported model is, for the run's record and the Runs table.
struct ImportedModel
{
    std::string className; ///< "ResNet"
    std::string file;      ///< as configured
    std::string sha256;    ///< of the file's bytes
    std::int64_t parameters = 0;
    std::int64_t layers = 0;
    std::string head; ///< the Linear replaced for the class count, or empty
};

/// Loads `file` (loadTorchScript) as a Net named after the module's class ("ResNet") whose
/// stage "backbone" is the script. Checks its forward takes one tensor and returns one tensor
/// [batch, features] for an input of `inputShape`; when features != numClasses it replaces the
/// last Linear layer whose output size is `features` by a new Linear to numClasses, or (no such
/// layer) appends stages "flatten" and a new Linear "head". Errors (context the file):
/// loadTorchScript's, and BadInput for a forward with another signature, one that fails on this
/// input (naming the input shape and, when a convolution comes first, the channels it wants) or
/// returns something else. `info`, when given, receives what the model is. Never throws.
Result<model::Net> netFromTorchScript(const std::filesystem::path &file,
                                      const std::vector<std::int64_t> &inputShape,
                                      std::int64_t numClasses, ImportedModel *info = nullptr);

} // namespace lathe::formats
