#pragma once

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Where a run ran: the machine, the software and the data, as one value recorded with every
// attempt of a run (the "environment" event, core/train/run_environment.h) and shown by
// `lathe-cli show`, the window's run details, the model card and Compare. This half is
// LibTorch-free: it reads the machine (/proc/cpuinfo, /etc/os-release, uname) and turns a
// recorded environment into text and differences; the collector that adds LibTorch's build and
// the GPUs is core/train/run_environment.h.
namespace lathe::util {

/// The event kind a run's environment is stored under (one per attempt: train or resume).
inline constexpr std::string_view kEnvironmentEvent = "environment";

/// A data file a run read, fingerprinted; `files` > 1 for a folder of many files, whose
/// `sha256` is then the digest of its manifest (see core/train/run_environment.h).
struct DataFileDigest
{
    std::string path{};
    std::int64_t bytes = 0;
    std::string sha256{};
    std::int64_t files = 1;
    bool operator==(const DataFileDigest &) const = default;
};

/// The processor as /proc/cpuinfo describes it.
struct CpuInfo
{
    std::string model{};  ///< "AMD EPYC 9454 48-Core Processor"; empty if unknown
    int logicalCores = 0; ///< "processor" entries
    std::vector<std::string> vectorExtensions{}; ///< the SIMD flags, in the kernel's order
    bool operator==(const CpuInfo &) const = default;
};

/// One run attempt's environment. Empty strings and lists mean "not known" (an older run, or a
/// machine that does not say).
struct RunEnvironment
{
    std::string latheVersion{}; ///< "0.1.0"
    std::string latheCommit{};  ///< the commit the build was configured at; empty outside git
    std::string torchVersion{}; ///< "1.13.1"
    /// LibTorch's build as it reports it (at::show_config()): ("oneDNN", "2.6.3"), ("OpenMP",
    /// "201511"), ("CPU capability", "AVX2"), ("BLAS", "generic"), ("BLAS library", the
    /// libblas actually loaded), ("CUDA", "OFF"), in that order where present.
    std::vector<std::pair<std::string, std::string>> torchBuild{};
    CpuInfo cpu{};
    int threads = 0;                 ///< LibTorch's intra-op threads for the run
    std::vector<std::string> gpus{}; ///< "cuda:0 NVIDIA H200 (sm_90, 139.8 GiB)"; empty: none
    std::string gpuDriver{};         ///< the NVIDIA driver's version line, when one is loaded
    std::string os{};                ///< /etc/os-release's PRETTY_NAME
    std::string kernel{};            ///< "6.1.0-18-amd64 x86_64"
    std::string host{};
    std::vector<DataFileDigest> dataFiles{};
    bool operator==(const RunEnvironment &) const = default;

    /// The JSON object stored in the event (keys: lathe, torch, cpu, threads, gpu, os, host,
    /// data). Thread-safe.
    nlohmann::json toJson() const;
    /// Reads what toJson() wrote; unknown keys are ignored and missing ones left empty, so an
    /// environment from a later Lathe still reads. BadInput when `json` is not an object.
    static Result<RunEnvironment> fromJson(const nlohmann::json &json);
};

/// Parses /proc/cpuinfo's text: the first "model name" (else "Processor"/"CPU part"), the count
/// of "processor" lines and, of the first "flags" (or "Features") line, the vector extensions
/// (SSE4, AVX, AVX2, FMA, F16C, every avx512*, avx_vnni, amx*, NEON/ASIMD, SVE). Pure.
CpuInfo parseCpuInfo(std::string_view text);
/// parseCpuInfo of `path` (default /proc/cpuinfo); an empty CpuInfo when it cannot be read.
CpuInfo readCpuInfo(const std::filesystem::path &path = "/proc/cpuinfo");

/// The LibTorch-free part of this process's environment: Lathe's version and commit, the CPU,
/// the OS (/etc/os-release), the kernel (uname), the host name and the NVIDIA driver
/// (/proc/driver/nvidia/version, when present). Thread-safe.
RunEnvironment machineEnvironment();

/// The aspects environments are compared by, in order: "CPU", "CPU extensions", "threads",
/// "LibTorch", "LibTorch build", "GPU", "GPU driver", "OS", "kernel", "Lathe", "host", "data".
const std::vector<std::string> &environmentAspects();
/// One aspect of `env` as text ("" when not known, or for an unknown aspect). Pure.
std::string environmentAspect(const RunEnvironment &env, std::string_view aspect);

/// What differs between two environments, one entry per aspect with a short label: "CPU",
/// "CPU extensions", "threads", "LibTorch", "LibTorch build", "GPU", "GPU driver", "OS",
/// "kernel", "Lathe", "host", "data". An aspect that one side does not know is not compared.
/// Pure.
struct EnvironmentDifference
{
    std::string aspect{};
    std::string a{};
    std::string b{};
};
std::vector<EnvironmentDifference> environmentDifferences(const RunEnvironment &a,
                                                          const RunEnvironment &b);

/// "same config, different CPU, OS" style summary of `differences` ("different CPU, OS");
/// empty when there are none. Pure.
std::string differenceSummary(const std::vector<EnvironmentDifference> &differences);

/// The environment as labelled lines for people (show, the model card, the window, About):
/// ("Lathe", "0.1.0 (git 0ea4c8937909)"), ("LibTorch", "1.13.1: oneDNN 2.6.3, OpenMP 201511,
/// ..."), ("CPU", "AMD EPYC, 2 logical cores"), ("CPU extensions", "avx2 avx512f ..."),
/// ("threads", "2"), ("GPU", "none" or the list and driver), ("OS", ...), ("kernel", ...),
/// ("host", ...), and one ("data", "PATH (BYTES bytes, sha256 HEX)") per data file. Unknown
/// aspects are left out. Pure.
std::vector<std::pair<std::string, std::string>> environmentLines(const RunEnvironment &env);

} // namespace lathe::util
