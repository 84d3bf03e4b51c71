#pragma once

#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe::model {

/// Which stage outputs a forward pass should record, and what it recorded. LibTorch's C++
/// modules have no forward hooks: this is how panels and inspection read a layer's output.
struct Taps
{
    std::vector<std::string> wanted; ///< stage names to record
    bool all = false;                ///< record every stage
    /// Record outputs still attached to the autograd graph (Grad-CAM differentiates the
    /// output with respect to them); by default they are detached.
    bool keepGraph = false;
    std::map<std::string, torch::Tensor> outputs;
    /// Record the attention weights of every attention stage (vit-tiny's blocks), per head,
    /// not averaged, into `attention`: stage name -> [B, heads, T, T], each row summing to 1.
    /// Stages without attention record nothing, so `attention` stays empty for mlp/cnn.
    bool recordAttention = false;
    std::map<std::string, torch::Tensor> attention;

    bool wants(const std::string &stage) const;
};

/// A stage that can keep its attention weights for Net::forward to collect into Taps.
/// Not thread-safe (it belongs to the module it is part of).
class AttentionRecorder
{
public:
    virtual ~AttentionRecorder() = default;
    /// Whether the following forward passes keep their attention weights (attached to the
    /// autograd graph when `keepGraph`, else detached).
    virtual void setRecordAttention(bool record, bool keepGraph) = 0;
    /// The weights the last recorded forward kept ([B, heads, T, T]), handing them over
    /// (undefined when nothing was recorded).
    virtual torch::Tensor takeAttention() = 0;
};

/// A stage with layers of its own, named as its framework names them (an imported TorchScript
/// model: "layer3.1.conv2"). A Net lists them in place of the stage's name, hands the stage the
/// taps that name them, and gives its parameters the stage's own names. Not thread-safe.
class LayeredStage
{
public:
    virtual ~LayeredStage() = default;
    /// Every layer in module order, parents before their children ("layer1", "layer1.0", ...).
    virtual std::vector<std::string> layerNames() const = 0;
    /// Every parameter under its own name ("layer1.0.conv1.weight"), in module order.
    virtual std::vector<std::pair<std::string, torch::Tensor>> layerParameters() const = 0;
    /// forward(x), recording the outputs of the layers `taps` wants (every layer that can be
    /// tapped when taps.all) into taps.outputs under their names.
    virtual torch::Tensor forwardTapped(const torch::Tensor &x, Taps &taps) = 0;
    /// Adds LoRA adapters (lora.h) of `rank` and `alpha` to the adaptable layers named in
    /// `targets` or under them (all of them when empty); returns the adapted layers.
    /// InvalidArgument (context "finetune.lora_targets") when a target covers none.
    virtual Result<std::vector<std::string>> addAdapters(std::int64_t rank, double alpha,
                                                         const std::vector<std::string> &targets)
        = 0;
    /// Folds the adapters into their layers' weights and drops them (lora.h's mergeLora);
    /// returns how many there were. Outputs are unchanged in eval mode.
    virtual std::int64_t mergeAdapters() = 0;
};

/// A network as an ordered list of named stages (each a Tensor -> Tensor module).
/// forward() runs them in order and records the outputs `taps` asks for, and the attention of
/// stages that are AttentionRecorders when `taps->recordAttention`. Not thread-safe
/// (like any torch::nn::Module): one thread trains or evaluates it at a time.
class NetImpl : public torch::nn::Module
{
public:
    explicit NetImpl(std::string arch);

    /// Appends a stage; its parameters register under `name`. Names must be unique.
    template<typename ModuleHolder>
    void addStage(const std::string &name, ModuleHolder module)
    {
        addStage(name, torch::nn::AnyModule(module));
    }

    /// Appends a type-erased stage (a plugin's model); its module must be non-empty.
    void addStage(const std::string &name, const torch::nn::AnyModule &module)
    {
        register_module(name, module.ptr());
        m_stages.push_back(makeStage(name, module));
    }

    /// Swaps the module of stage `name` (LoRA wraps a Linear, a merge unwraps it); its
    /// parameters register under the same name. InvalidArgument when there is no such stage.
    Result<void> replaceStage(const std::string &name, const torch::nn::AnyModule &module);

    torch::Tensor forward(torch::Tensor x, Taps *taps = nullptr);

    const std::string &arch() const { return m_arch; }
    std::vector<std::string> stageNames() const;
    /// What a user names and taps: the stage names, with a LayeredStage's layers in place of
    /// its own name.
    std::vector<std::string> layerNames() const;
    /// Every parameter under the name a user gives it: "<stage>.<name>" for Lathe's own stages
    /// (as named_parameters() has it), a LayeredStage's own names for its parameters.
    std::vector<std::pair<std::string, torch::Tensor>> layerParameters() const;
    /// Whether `layer` names `parameter` or one of its parents ("layer1" covers
    /// "layer1.0.conv1.weight", "conv1" covers "conv1.weight" but not "conv10.weight").
    static bool covers(const std::string &layer, const std::string &parameter);
    /// The names of the stages that record attention, in order (empty for mlp, cnn, ...).
    std::vector<std::string> attentionStageNames() const;
    std::int64_t parameterCount() const;

private:
    struct Stage
    {
        std::string name;
        torch::nn::AnyModule module;
        std::shared_ptr<AttentionRecorder> recorder; ///< null for stages without attention
        std::shared_ptr<LayeredStage> layered;       ///< null for stages without layers
    };

    static Stage makeStage(const std::string &name, const torch::nn::AnyModule &module);

    torch::Tensor runStage(Stage &stage, torch::Tensor x, Taps *taps);

    std::string m_arch;
    std::vector<Stage> m_stages;
};
TORCH_MODULE(Net);

/// A basic residual block: conv-BN-ReLU-conv-BN plus a (projected when the shape changes)
/// shortcut, then ReLU. Used by resnet-mini.
class ResidualBlockImpl : public torch::nn::Module
{
public:
    ResidualBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr};
    torch::nn::Sequential m_shortcut{nullptr};
};
TORCH_MODULE(ResidualBlock);

} // namespace lathe::model
