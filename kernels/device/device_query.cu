// CUDA device discovery for Lathe. Plain CUDA runtime calls, no kernels and no LibTorch, so
// it builds with any nvcc and tells the rest of Lathe whether a GPU is usable.
#include "kernels/device/device_query.h"

#include <cuda_runtime.h>

namespace lathe::kernels {

DeviceReport queryDevices()
{
    DeviceReport report;
    report.builtWithCuda = true;
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        report.problem = cudaGetErrorString(status);
        cudaGetLastError(); // clear the sticky error so later runtime calls are not affected
        return report;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp props{};
        if (cudaGetDeviceProperties(&props, i) != cudaSuccess)
            continue;
        report.devices.push_back({i, props.name, props.major, props.minor,
                                  static_cast<long long>(props.totalGlobalMem)});
    }
    if (report.devices.empty())
        report.problem = "no CUDA device found";
    return report;
}

} // namespace lathe::kernels
