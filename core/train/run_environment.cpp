#include "core/train/run_environment.h"

#include "core/util/sha256.h"
#include "kernels/device/device_query.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace lathe::train {

namespace {

constexpr std::size_t kListedFiles = 64;

std::string trimmed(std::string text)
{
    const auto first = text.find_first_not_of(" \t-");
    const auto last = text.find_last_not_of(" \t,\r");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

// The value after `prefix` on the line of show_config() that has it, up to `end` (or the end of
// the line).
std::string configLine(const std::string &config, const std::string &prefix, char end = '\n')
{
    const auto at = config.find(prefix);
    if (at == std::string::npos)
        return {};
    const auto from = at + prefix.size();
    const auto to = config.find_first_of(std::string(1, end) + "\n", from);
    return trimmed(config.substr(from, to == std::string::npos ? std::string::npos : to - from));
}

// "KEY=VALUE" from show_config()'s "Build settings" line.
std::string buildSetting(const std::string &config, const std::string &key)
{
    const auto at = config.find(" " + key + "=");
    if (at == std::string::npos)
        return {};
    const auto from = at + key.size() + 2;
    const auto to = config.find_first_of(",\n", from);
    return trimmed(config.substr(from, to == std::string::npos ? std::string::npos : to - from));
}

// The BLAS library this process has loaded: LibTorch links libblas.so.3, which Debian's
// alternatives point at the reference BLAS or OpenBLAS (twice as fast here). The mapped file
// says which.
std::string loadedBlas()
{
    std::ifstream maps("/proc/self/maps");
    std::string fallback;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string path = line.substr(slash);
        const std::string name = std::filesystem::path(path).filename().string();
        if (name.find("openblas") != std::string::npos || name.find("mkl_rt") != std::string::npos
            || name.find("blis") != std::string::npos)
            return path;
        if (name.starts_with("libblas.so") && fallback.empty())
            fallback = path;
    }
    return fallback;
}

std::vector<std::pair<std::string, std::string>> torchBuild()
{
    const std::string config = at::show_config();
    std::vector<std::pair<std::string, std::string>> build;
    const auto add = [&](const char *key, std::string value) {
        if (!value.empty())
            build.emplace_back(key, std::move(value));
    };
    std::string mkldnn = configLine(config, "MKL-DNN ", '(');
    if (!mkldnn.empty() && mkldnn.front() == 'v')
        mkldnn.erase(0, 1);
    add("oneDNN", mkldnn);
    add("OpenMP", configLine(config, "OpenMP ", '('));
    add("CPU capability", configLine(config, "CPU capability usage:"));
    add("BLAS", buildSetting(config, "BLAS_INFO"));
    add("BLAS library", loadedBlas());
    add("CUDA", buildSetting(config, "USE_CUDA"));
    return build;
}

std::vector<std::string> gpus()
{
    std::vector<std::string> out;
    for (const auto &d : kernels::queryDevices().devices) {
        char text[256];
        std::snprintf(text, sizeof text, "cuda:%d %s (sm_%d%d, %.1f GiB)", d.index, d.name.c_str(),
                      d.computeMajor, d.computeMinor, double(d.totalMemoryBytes) / (1 << 30));
        out.emplace_back(text);
    }
    return out;
}

// The regular files `path` names: itself, or every one under it, sorted.
Result<std::vector<std::filesystem::path>> dataFilesUnder(const std::filesystem::path &path)
{
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
        return std::vector<std::filesystem::path>{path};
    if (!std::filesystem::is_directory(path, ec))
        return fail(ErrorCode::Io, "cannot fingerprint the data: no such file or folder",
                    path.string());
    std::vector<std::filesystem::path> files;
    std::filesystem::recursive_directory_iterator it(
        path, std::filesystem::directory_options::skip_permission_denied, ec);
    for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec))
            files.push_back(it->path());
    if (ec)
        return fail(ErrorCode::Io, "cannot list the data folder: " + ec.message(), path.string());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

util::RunEnvironment collectEnvironment(std::vector<util::DataFileDigest> dataFiles)
{
    auto env = util::machineEnvironment();
    env.torchVersion = TORCH_VERSION;
    env.torchBuild = torchBuild();
    env.threads = at::get_num_threads();
    env.gpus = gpus();
    env.dataFiles = std::move(dataFiles);
    return env;
}

Result<std::vector<util::DataFileDigest>> fingerprintData(const DataConfig &data,
                                                          util::FileDigestCache &cache)
{
    const std::filesystem::path root = data.path;
    auto files = dataFilesUnder(root);
    if (!files)
        return std::unexpected(files.error());
    std::vector<util::DataFileDigest> out;
    std::ostringstream manifest;
    std::int64_t total = 0;
    for (const auto &file : *files) {
        auto digest = cache.sha256(file);
        if (!digest)
            return std::unexpected(digest.error());
        std::error_code ec;
        const auto bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
        total += bytes;
        out.push_back({file.string(), bytes, *digest, 1});
        manifest << file.lexically_relative(root).string() << ' ' << bytes << ' ' << *digest
                 << '\n';
    }
    if (out.size() > kListedFiles)
        out = {{root.string(), total, util::sha256Hex(manifest.str()),
                static_cast<std::int64_t>(files->size())}};
    return out;
}

Result<void> recordEnvironment(track::RunStore &store, std::int64_t runId, std::int64_t step,
                               const util::RunEnvironment &env)
{
    return store.addEvent(
        {0, runId, std::string(util::kEnvironmentEvent), step, 0, env.toJson().dump()});
}

Result<void> recordRunEnvironment(track::RunStore &store, std::int64_t runId, std::int64_t step,
                                  const DataConfig &data)
{
    util::FileDigestCache cache(util::FileDigestCache::defaultFile());
    auto files = fingerprintData(data, cache);
    if (!files)
        spdlog::warn("run {}: the data is recorded without its fingerprint: {}", runId,
                     files.error().toString());
    if (auto saved = cache.save(); !saved)
        spdlog::debug("digest cache not saved: {}", saved.error().toString());
    return recordEnvironment(
        store, runId, step,
        collectEnvironment(files ? std::move(*files) : std::vector<util::DataFileDigest>{}));
}

Result<std::vector<util::RunEnvironment>> storedEnvironments(track::RunStore &store,
                                                             std::int64_t runId)
{
    auto events = store.events(runId);
    if (!events)
        return std::unexpected(events.error());
    std::vector<util::RunEnvironment> out;
    for (const auto &e : *events) {
        if (e.kind != util::kEnvironmentEvent)
            continue;
        if (auto env
            = util::RunEnvironment::fromJson(nlohmann::json::parse(e.payloadJson, nullptr, false)))
            out.push_back(std::move(*env));
    }
    return out;
}

Result<std::optional<util::RunEnvironment>> latestEnvironment(track::RunStore &store,
                                                              std::int64_t runId)
{
    auto all = storedEnvironments(store, runId);
    if (!all)
        return std::unexpected(all.error());
    if (all->empty())
        return std::optional<util::RunEnvironment>();
    return std::optional<util::RunEnvironment>(std::move(all->back()));
}

} // namespace lathe::train
