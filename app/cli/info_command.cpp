// lathe-cli info: what this build and machine give Lathe (versions, threads, CUDA, paths, and
// the environment a run records).
#include "app/cli/commands.h"

#include "core/train/run_environment.h"
#include "core/util/environment.h"
#include "core/util/paths.h"
#include "core/util/threads.h"
#include "kernels/device/device_query.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>

namespace lathe::cli {

int infoCommand(const std::vector<std::string> &args)
{
    if (!args.empty()) {
        std::fprintf(stderr, "lathe-cli info: takes no arguments\nusage: lathe-cli info\n");
        return kExitUsage;
    }
    std::printf("LibTorch        %s\n", TORCH_VERSION);
    std::printf("threads         %d intra-op (set training.threads or LATHE_THREADS)\n",
                util::configureThreads());
    std::printf("LibTorch CUDA   %s\n", torch::cuda::is_available() ? "available" : "no");
    const auto report = kernels::queryDevices();
    std::printf("Lathe kernels   %s\n", report.builtWithCuda ? "built with CUDA" : "CPU only");
    for (const auto &d : report.devices)
        std::printf("  cuda:%d        %s, sm_%d%d, %.1f GiB\n", d.index, d.name.c_str(),
                    d.computeMajor, d.computeMinor, double(d.totalMemoryBytes) / (1 << 30));
    if (report.devices.empty())
        std::printf("  no GPU:       %s\n", report.problem.c_str());
    std::printf("database        %s\n", util::defaultDbPath().string().c_str());
    std::printf("data directory  %s\n", util::dataDir().string().c_str());
    std::printf("resources       %s\n", util::resourceDir().string().c_str());
    // What every run records of where it ran (lathe-cli show RUN, Help → About in the window).
    std::printf("\nenvironment (recorded with every run):\n");
    for (const auto &[label, value] : util::environmentLines(train::collectEnvironment()))
        std::printf("  %-15s %s\n", label.c_str(), value.c_str());
    return kExitOk;
}

} // namespace lathe::cli
