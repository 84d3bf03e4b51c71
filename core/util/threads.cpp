#include "core/util/threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace lathe::util {

int configureThreads(int requested)
{
    int n = requested;
    if (n <= 0) {
        if (const char *env = std::getenv("LATHE_THREADS"))
            n = std::atoi(env);
    }
    if (n <= 0)
        n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (torch::get_num_threads() != n)
        torch::set_num_threads(n);
    return torch::get_num_threads();
}

} // namespace lathe::util
