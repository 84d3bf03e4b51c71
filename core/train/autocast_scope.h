#pragma once

#include <torch/torch.h>

#include <string>

namespace lathe::train {

/// RAII mixed precision for the forward pass on the current thread: "bf16" on the CPU,
/// "fp16"/"bf16" on CUDA, "off" does nothing. Restores the previous autocast state and clears
/// the autocast cache on exit. Hides the API change of LibTorch 2.4 (per-device autocast).
class AutocastScope
{
public:
    AutocastScope(const std::string &mode, const torch::Device &device);
    ~AutocastScope();
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_active = false;
    bool m_cuda = false;
    bool m_wasEnabled = false;
};

} // namespace lathe::train
