#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
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

    bool wants(const std::string &stage) const;
};

/// A network as an ordered list of named stages (each a Tensor -> Tensor module).
/// forward() runs them in order and records the outputs `taps` asks for. Not thread-safe
/// (like any torch::nn::Module): one thread trains or evaluates it at a time.
class NetImpl : public torch::nn::Module
{
public:
    explicit NetImpl(std::string arch);

    /// Appends a stage; its parameters register under `name`. Names must be unique.
    template<typename ModuleHolder>
    void addStage(const std::string &name, ModuleHolder module)
    {
        register_module(name, module);
        m_stages.emplace_back(name, torch::nn::AnyModule(module));
    }

    torch::Tensor forward(torch::Tensor x, Taps *taps = nullptr);

    const std::string &arch() const { return m_arch; }
    std::vector<std::string> stageNames() const;
    std::int64_t parameterCount() const;

private:
    std::string m_arch;
    std::vector<std::pair<std::string, torch::nn::AnyModule>> m_stages;
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
