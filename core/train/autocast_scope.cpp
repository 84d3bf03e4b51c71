#include "core/train/autocast_scope.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace lathe::train {

namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool isEnabled(bool cuda)
{
    return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
}
void setEnabled(bool cuda, bool on)
{
    at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
}
void setDtype(bool cuda, at::ScalarType type)
{
    at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, type);
}
#else
bool isEnabled(bool cuda)
{
    return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void setEnabled(bool cuda, bool on)
{
    if (cuda)
        at::autocast::set_enabled(on);
    else
        at::autocast::set_cpu_enabled(on);
}
void setDtype(bool cuda, at::ScalarType type)
{
    if (cuda)
        at::autocast::set_autocast_gpu_dtype(type);
    else
        at::autocast::set_autocast_cpu_dtype(type);
}
#endif

bool cpuHasNativeBf16()
{
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
    return false;
#endif
}

} // namespace

std::string effectiveMixedPrecision(const std::string &mode, const torch::Device &device)
{
    if (mode != "auto")
        return mode;
    return device.is_cpu() && cpuHasNativeBf16() ? "bf16" : "off";
}

AutocastScope::AutocastScope(const std::string &requested, const torch::Device &device)
{
    const std::string mode = effectiveMixedPrecision(requested, device);
    if (mode == "off")
        return;
    m_cuda = device.is_cuda();
    m_active = true;
    m_wasEnabled = isEnabled(m_cuda);
    setDtype(m_cuda, mode == "fp16" ? at::kHalf : at::kBFloat16);
    setEnabled(m_cuda, true);
}

AutocastScope::~AutocastScope()
{
    if (!m_active)
        return;
    setEnabled(m_cuda, m_wasEnabled);
    at::autocast::clear_cache();
}

} // namespace lathe::train
