#include "core/util/environment.h"

#include "core/util/build_info.h"
#include "core/util/text.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lathe::util {

namespace {

using nlohmann::json;

std::string fileText(const std::filesystem::path &path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The flags that say which SIMD code a CPU runs (x86 and ARM), the rest of the list (page
// tables, errata, virtualisation) left out.
bool isVectorExtension(std::string_view flag)
{
    for (std::string_view prefix : {"avx", "amx", "sve", "sse4", "asimd"})
        if (flag.starts_with(prefix))
            return true;
    for (std::string_view exact : {"fma", "f16c", "neon", "bf16", "i8mm"})
        if (flag == exact)
            return true;
    return false;
}

std::vector<std::string> vectorExtensionsOf(std::string_view flags)
{
    std::vector<std::string> out;
    std::istringstream words{std::string(flags)};
    for (std::string word; words >> word;)
        if (isVectorExtension(word))
            out.push_back(word);
    return out;
}

std::string osPrettyName()
{
    std::ifstream in("/etc/os-release");
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("PRETTY_NAME="))
            continue;
        std::string value(util::trimmed(std::string_view(line).substr(12)));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\''))
            value = value.substr(1, value.size() - 2);
        return value;
    }
    return {};
}

std::string nvidiaDriver()
{
    std::ifstream in("/proc/driver/nvidia/version");
    std::string line;
    std::getline(in, line);
    return std::string(util::trimmed(line));
}

template<typename T>
T valueOr(const json &object, const char *key, T fallback)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return fallback;
    try {
        return it->get<T>();
    } catch (const json::exception &) {
        return fallback;
    }
}

std::string dataText(const DataFileDigest &d)
{
    std::string text = d.path + " (" + std::to_string(d.bytes) + " bytes";
    if (d.files > 1)
        text += " in " + std::to_string(d.files) + " files, manifest";
    return text + " sha256 " + d.sha256 + ")";
}

std::string joined(const std::vector<std::string> &parts, const char *separator)
{
    std::string out;
    for (const auto &part : parts)
        out += (out.empty() ? "" : separator) + part;
    return out;
}

std::string torchText(const RunEnvironment &env)
{
    std::vector<std::string> build;
    for (const auto &[key, value] : env.torchBuild)
        build.push_back(key + " " + value);
    return env.torchVersion + (build.empty() ? "" : " (" + joined(build, ", ") + ")");
}

std::string cpuText(const CpuInfo &cpu)
{
    std::string text = cpu.model.empty() ? "unknown model" : cpu.model;
    if (cpu.logicalCores > 0)
        text += ", " + std::to_string(cpu.logicalCores) + " logical cores";
    return text;
}

std::string gpuText(const RunEnvironment &env)
{
    return env.gpus.empty() ? std::string("none") : joined(env.gpus, "; ");
}

} // namespace

json RunEnvironment::toJson() const
{
    json build = json::array();
    for (const auto &[key, value] : torchBuild)
        build.push_back({key, value});
    json data = json::array();
    for (const auto &d : dataFiles)
        data.push_back(
            {{"path", d.path}, {"bytes", d.bytes}, {"sha256", d.sha256}, {"files", d.files}});
    return {{"lathe", {{"version", latheVersion}, {"commit", latheCommit}}},
            {"torch", {{"version", torchVersion}, {"build", build}}},
            {"cpu",
             {{"model", cpu.model},
              {"logical_cores", cpu.logicalCores},
              {"vector_extensions", cpu.vectorExtensions}}},
            {"threads", threads},
            {"gpu", {{"devices", gpus}, {"driver", gpuDriver}}},
            {"os", {{"name", os}, {"kernel", kernel}}},
            {"host", host},
            {"data", data}};
}

Result<RunEnvironment> RunEnvironment::fromJson(const json &j)
{
    if (!j.is_object())
        return fail(ErrorCode::BadInput, "a run environment is a JSON object");
    const json none = json::object();
    const auto part = [&](const char *key) -> const json & {
        const auto it = j.find(key);
        return it != j.end() && it->is_object() ? *it : none;
    };
    RunEnvironment env;
    env.latheVersion = valueOr<std::string>(part("lathe"), "version", "");
    env.latheCommit = valueOr<std::string>(part("lathe"), "commit", "");
    env.torchVersion = valueOr<std::string>(part("torch"), "version", "");
    for (const auto &pair : valueOr<json>(part("torch"), "build", json::array()))
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
            env.torchBuild.emplace_back(pair[0], pair[1]);
    env.cpu.model = valueOr<std::string>(part("cpu"), "model", "");
    env.cpu.logicalCores = valueOr<int>(part("cpu"), "logical_cores", 0);
    env.cpu.vectorExtensions
        = valueOr<std::vector<std::string>>(part("cpu"), "vector_extensions", {});
    env.threads = valueOr<int>(j, "threads", 0);
    env.gpus = valueOr<std::vector<std::string>>(part("gpu"), "devices", {});
    env.gpuDriver = valueOr<std::string>(part("gpu"), "driver", "");
    env.os = valueOr<std::string>(part("os"), "name", "");
    env.kernel = valueOr<std::string>(part("os"), "kernel", "");
    env.host = valueOr<std::string>(j, "host", "");
    for (const auto &d : valueOr<json>(j, "data", json::array()))
        if (d.is_object())
            env.dataFiles.push_back(
                {valueOr<std::string>(d, "path", ""), valueOr<std::int64_t>(d, "bytes", 0),
                 valueOr<std::string>(d, "sha256", ""), valueOr<std::int64_t>(d, "files", 1)});
    return env;
}

CpuInfo parseCpuInfo(std::string_view text)
{
    CpuInfo cpu;
    std::string fallbackModel;
    bool haveFlags = false;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const std::string key(util::trimmed(std::string_view(line).substr(0, colon)));
        const std::string value(util::trimmed(std::string_view(line).substr(colon + 1)));
        if (key == "processor")
            ++cpu.logicalCores;
        else if (key == "model name" && cpu.model.empty())
            cpu.model = value;
        else if ((key == "Processor" || key == "CPU part") && fallbackModel.empty())
            fallbackModel = value;
        else if ((key == "flags" || key == "Features") && !haveFlags) {
            cpu.vectorExtensions = vectorExtensionsOf(value);
            haveFlags = true;
        }
    }
    if (cpu.model.empty())
        cpu.model = fallbackModel;
    return cpu;
}

CpuInfo readCpuInfo(const std::filesystem::path &path)
{
    return parseCpuInfo(fileText(path));
}

RunEnvironment machineEnvironment()
{
    RunEnvironment env;
    env.latheVersion = latheVersion();
    env.latheCommit = latheCommit();
    env.cpu = readCpuInfo();
    env.os = osPrettyName();
    if (utsname name{}; ::uname(&name) == 0)
        env.kernel = std::string(name.release) + " " + name.machine;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0)
        env.host = host;
    env.gpuDriver = nvidiaDriver();
    return env;
}

const std::vector<std::string> &environmentAspects()
{
    static const std::vector<std::string> aspects{"CPU",
                                                  "CPU extensions",
                                                  "threads",
                                                  "LibTorch",
                                                  "LibTorch build",
                                                  "GPU",
                                                  "GPU driver",
                                                  "OS",
                                                  "kernel",
                                                  "Lathe",
                                                  "host",
                                                  "data"};
    return aspects;
}

std::string environmentAspect(const RunEnvironment &e, std::string_view aspect)
{
    if (aspect == "CPU")
        return e.cpu.model;
    if (aspect == "CPU extensions")
        return joined(e.cpu.vectorExtensions, " ");
    if (aspect == "threads")
        return e.threads > 0 ? std::to_string(e.threads) : "";
    if (aspect == "LibTorch")
        return e.torchVersion;
    if (aspect == "LibTorch build")
        return e.torchBuild.empty() ? std::string() : torchText(e);
    // The GPU list is known wherever LibTorch's version was recorded with it.
    if (aspect == "GPU")
        return e.torchVersion.empty() ? std::string() : gpuText(e);
    if (aspect == "GPU driver")
        return e.gpuDriver;
    if (aspect == "OS")
        return e.os;
    if (aspect == "kernel")
        return e.kernel;
    if (aspect == "Lathe")
        return e.latheVersion.empty()
                   ? std::string()
                   : e.latheVersion + (e.latheCommit.empty() ? "" : " (git " + e.latheCommit + ")");
    if (aspect == "host")
        return e.host;
    if (aspect == "data") {
        std::vector<std::string> parts;
        for (const auto &d : e.dataFiles)
            parts.push_back(std::filesystem::path(d.path).filename().string() + " "
                            + d.sha256.substr(0, 12));
        return joined(parts, ", ");
    }
    return {};
}

std::vector<EnvironmentDifference> environmentDifferences(const RunEnvironment &a,
                                                          const RunEnvironment &b)
{
    std::vector<EnvironmentDifference> out;
    for (const auto &aspect : environmentAspects()) {
        // LibTorch's build differs with its version anyway: one line says it.
        if (aspect == "LibTorch build" && a.torchVersion != b.torchVersion)
            continue;
        const auto x = environmentAspect(a, aspect), y = environmentAspect(b, aspect);
        if (!x.empty() && !y.empty() && x != y)
            out.push_back({aspect, x, y});
    }
    return out;
}

std::string differenceSummary(const std::vector<EnvironmentDifference> &differences)
{
    std::vector<std::string> aspects;
    for (const auto &d : differences)
        aspects.push_back(d.aspect);
    return aspects.empty() ? std::string() : "different " + joined(aspects, ", ");
}

std::vector<std::pair<std::string, std::string>> environmentLines(const RunEnvironment &env)
{
    std::vector<std::pair<std::string, std::string>> lines;
    const auto add = [&](const char *label, const std::string &value) {
        if (!value.empty())
            lines.emplace_back(label, value);
    };
    if (!env.latheVersion.empty())
        add("Lathe",
            env.latheVersion + (env.latheCommit.empty() ? "" : " (git " + env.latheCommit + ")"));
    if (!env.torchVersion.empty())
        add("LibTorch", torchText(env));
    if (!env.cpu.model.empty() || env.cpu.logicalCores > 0)
        add("CPU", cpuText(env.cpu));
    add("CPU extensions", joined(env.cpu.vectorExtensions, " "));
    if (env.threads > 0)
        add("threads", std::to_string(env.threads));
    if (!env.torchVersion.empty())
        add("GPU", gpuText(env));
    add("GPU driver", env.gpuDriver);
    add("OS", env.os);
    add("kernel", env.kernel);
    add("host", env.host);
    for (const auto &d : env.dataFiles)
        add("data", dataText(d));
    return lines;
}

} // namespace lathe::util
