// Built instead of device_query.cu when no CUDA compiler was found at configure time.
#include "kernels/device/device_query.h"

namespace lathe::kernels {

DeviceReport queryDevices()
{
    DeviceReport report;
    report.problem = "this build has no CUDA code (nvcc was not found when it was configured)";
    return report;
}

} // namespace lathe::kernels
