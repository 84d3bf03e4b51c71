#pragma once

#include "core/util/error.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace lathe::dist {

/// Where a worker stands in a data-parallel run and how the workers meet. The names follow
/// torchrun's environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so that a
/// cluster script that launches torchrun launches lathe-cli the same way.
struct DistOptions
{
    int worldSize = 1; ///< workers in the run, every node together
    int rank = 0;      ///< this worker, 0 .. worldSize-1; rank 0 writes the store
    int localRank = 0; ///< this worker on its node (a GPU index when there are GPUs)
    /// Workers on this node (LOCAL_WORLD_SIZE, as torchrun and --nproc set it); 0 = not known.
    int localWorldSize = 0;
    std::string masterAddr = "127.0.0.1"; ///< the host rank 0 runs on (its TCPStore listens there)
    int masterPort = 29500;               ///< rank 0's TCPStore port
    /// Rendezvous, every collective and a silent peer wait at most this long.
    std::chrono::milliseconds timeout{std::chrono::seconds(120)};
    /// When set, rendezvous through a c10d::FileStore at this path (a shared filesystem) instead
    /// of the TCPStore at masterAddr:masterPort. It must not exist from an earlier run.
    std::filesystem::path fileStorePath;

    /// "masterAddr:masterPort" (or the file store's path), for messages.
    std::string where() const;
};

/// Reads `name` from the environment (std::getenv by default; tests pass their own).
using EnvLookup = std::function<const char *(const char *name)>;

/// The options torchrun's variables give: none when WORLD_SIZE is not set. Every variable that is
/// set must be a whole number in range (RANK < WORLD_SIZE, a port in 1..65535), else
/// InvalidArgument naming the variable and its value. RANK is required with WORLD_SIZE;
/// LOCAL_RANK defaults to RANK, MASTER_ADDR to 127.0.0.1, MASTER_PORT to 29500. Thread-safe when
/// `env` is.
Result<std::optional<DistOptions>> optionsFromEnvironment(const EnvLookup &env = {});

/// Checks `options` as optionsFromEnvironment checks the variables (`where` prefixes the
/// context of the error, e.g. "--nproc" or "environment"). Thread-safe.
Result<void> validate(const DistOptions &options);

} // namespace lathe::dist
