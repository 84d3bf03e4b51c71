#pragma once

#include <string>
#include <vector>

namespace lathe::kernels {

/// One CUDA device as the runtime reports it.
struct DeviceInfo
{
    int index = 0;
    std::string name;
    int computeMajor = 0, computeMinor = 0;
    long long totalMemoryBytes = 0;
};

/// What CUDA can be used here: whether this build has CUDA code at all, the devices found, and
/// why there are none (no nvcc at build time, "CUDA driver version is insufficient", ...).
struct DeviceReport
{
    bool builtWithCuda = false;
    std::vector<DeviceInfo> devices;
    std::string problem; ///< empty when devices were found
};

/// Asks the CUDA runtime for its devices. Never throws and never aborts: a missing driver or
/// GPU is reported in `problem`. Thread-safe.
DeviceReport queryDevices();

} // namespace lathe::kernels
