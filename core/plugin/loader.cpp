#include "core/plugin/loader.h"
#include "core/plugin/registry.h"

#include "core/util/join.h"
#include "core/util/paths.h"

#include <spdlog/spdlog.h>

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

namespace lathe::plugin {

namespace {

using Status = PluginRecord::Status;

std::mutex &recordsMutex()
{
    static std::mutex mutex;
    return mutex;
}

std::vector<PluginRecord> &records()
{
    static std::vector<PluginRecord> all;
    return all;
}

std::vector<std::filesystem::path> &searched()
{
    static std::vector<std::filesystem::path> dirs;
    return dirs;
}

/// Collects one plugin's registrations, so that they are added all together or not at all.
class Staging : public sdk::IRegistry
{
public:
    explicit Staging(std::string source)
        : m_source(std::move(source))
    {
    }

    void addSchedule(const std::string &name, const std::vector<std::string> &keys,
                     const std::string &description, sdk::ScheduleFactory factory) override
    {
        additions.schedules.push_back({name, keys, description, std::move(factory), m_source});
    }
    void addDataset(const std::string &name, const std::string &description,
                    sdk::DatasetFactory factory) override
    {
        additions.datasets.push_back(wrapDataset(name, description, std::move(factory), m_source));
    }
    void addModel(const std::string &name, const std::string &description,
                  sdk::ModelFactory factory) override
    {
        additions.models.push_back(wrapModel(name, description, std::move(factory), m_source));
    }
    void addMetric(const std::string &name, const std::string &description,
                   sdk::MetricFactory factory) override
    {
        additions.metrics.push_back(wrapMetric(name, description, std::move(factory), m_source));
    }
    void addAugmentation(const std::string &name, const std::string &description,
                         sdk::AugmentFactory factory) override
    {
        additions.augmentations.push_back(
            wrapAugmentation(name, description, std::move(factory), m_source));
    }
    void addPanel(const std::string &name, const std::string &title,
                  sdk::PanelFactory factory) override
    {
        additions.panels.push_back({name, title, std::move(factory), m_source});
    }

    Additions additions;

private:
    std::string m_source;
};

struct LibraryCloser
{
    void operator()(void *handle) const { dlclose(handle); }
};
using Library = std::unique_ptr<void, LibraryCloser>;

std::string lastDlError()
{
    const char *error = dlerror();
    return error ? error : "unknown error";
}

PluginRecord keep(PluginRecord record)
{
    if (record.status == Status::Loaded) {
        spdlog::info("plugin {} {} loaded from {}: {}", record.name, record.version,
                     record.path.string(), util::join(record.registered));
    } else {
        spdlog::warn("plugin {}: {}", record.path.string(), record.message);
    }
    std::lock_guard lock(recordsMutex());
    records().push_back(record);
    return record;
}

PluginRecord failed(PluginRecord record, Status status, std::string message)
{
    record.status = status;
    record.message = std::move(message);
    return keep(std::move(record));
}

bool nameTaken(const std::string &name)
{
    std::lock_guard lock(recordsMutex());
    return std::any_of(records().begin(), records().end(), [&](const PluginRecord &r) {
        return r.status == Status::Loaded && r.name == name;
    });
}

// Runs the plugin's registration; an empty string when it succeeded.
std::string runRegistration(LathePluginRegisterFn registerFn, Staging &staging)
{
    try {
        const int rc = registerFn(&staging);
        if (rc != 0)
            return "its registration failed (lathe_plugin_register returned " + std::to_string(rc)
                   + ")";
    } catch (const std::exception &e) {
        return std::string("its registration threw: ") + e.what();
    } catch (...) {
        return "its registration threw a non-standard exception";
    }
    if (staging.additions.empty())
        return "it registered nothing";
    return {};
}

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

// Why `path` (stat() follows symlinks) could be changed by someone other than this process's
// user or root, who could then run their code in Lathe; empty when it cannot, or is gone (dlopen
// then says so). A sticky bit is no excuse: others may still add a file to such a folder, and
// every *.so in a plugin folder is loaded.
std::string changeableByOthers(const std::filesystem::path &path, const std::string &what)
{
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        return {};
    const auto me = ::geteuid();
    if (st.st_uid != me && st.st_uid != 0)
        return what + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid "
               + std::to_string(me) + ") or root";
    if (!(st.st_mode & (S_IWGRP | S_IWOTH)))
        return {};
    const char *who = (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "its group and others"
                      : st.st_mode & S_IWGRP                           ? "its group"
                                                                       : "others";
    return what + " is writable by " + who + " (mode " + octal(st.st_mode) + "): chmod go-w "
           + path.string();
}

// The first reason why the plugin `file`, its folder, or (for a symlink) the file it points to
// and that file's folder could be changed by others; empty when none can.
std::string unsafeBecause(const std::filesystem::path &file)
{
    const auto folder = file.parent_path();
    if (auto why = changeableByOthers(folder, "the folder " + folder.string()); !why.empty())
        return why;
    std::error_code ec;
    if (!std::filesystem::is_symlink(file, ec))
        return changeableByOthers(file, "the file " + file.string());
    const auto target = std::filesystem::canonical(file, ec);
    if (ec)
        return {}; // a dangling link: dlopen says so
    const std::string link = " (where " + file.string() + " points)";
    const auto targetFolder = target.parent_path();
    if (auto why = changeableByOthers(targetFolder, "the folder " + targetFolder.string() + link);
        !why.empty())
        return why;
    return changeableByOthers(target, "the file " + target.string() + link);
}

} // namespace

const char *toString(PluginRecord::Status status)
{
    switch (status) {
    case Status::Loaded: return "loaded";
    case Status::Refused: return "refused";
    case Status::Failed: return "failed";
    }
    return "failed";
}

std::vector<std::filesystem::path> pluginDirs(const std::vector<std::filesystem::path> &extra)
{
    std::vector<std::filesystem::path> dirs = extra;
    if (const char *path = std::getenv("LATHE_PLUGIN_PATH")) {
        std::stringstream list(path);
        for (std::string dir; std::getline(list, dir, ':');)
            if (!dir.empty())
                dirs.emplace_back(dir);
    }
    dirs.push_back(util::dataDir() / "plugins");
    // An installed program loads the plugins installed with it, never a build tree's: that tree
    // may still be there, and would give each sample plugin twice.
    if (const auto prefix = util::installPrefix(); !prefix.empty())
        dirs.push_back(prefix / "lib" / "lathe" / "plugins");
    else // the sample plugins of a build tree (plugins/CMakeLists.txt)
        dirs.emplace_back(LATHE_BUILD_PLUGIN_DIR);
    return dirs;
}

PluginRecord loadPlugin(const std::filesystem::path &file, Registry &registry)
{
    PluginRecord record;
    record.path = file;
    // A path with a folder in it: dlopen never searches the library path for it.
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    if (ec)
        absolute = file;
    // Checked before dlopen, which runs the library's constructors.
    if (auto why = unsafeBecause(absolute); !why.empty())
        return failed(record, Status::Refused,
                      "skipped: " + why
                          + "; plugins load only from folders and files that no one but you "
                            "(or root) can change");
    dlerror();
    Library library(dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!library)
        return failed(record, Status::Failed, "cannot be loaded: " + lastDlError());
    auto infoFn = reinterpret_cast<LathePluginInfoFn>(dlsym(library.get(), "lathe_plugin_info"));
    auto registerFn
        = reinterpret_cast<LathePluginRegisterFn>(dlsym(library.get(), "lathe_plugin_register"));
    if (!infoFn || !registerFn)
        return failed(record, Status::Failed,
                      std::string("not a Lathe plugin: it exports no ")
                          + (infoFn ? "lathe_plugin_register" : "lathe_plugin_info")
                          + " (see plugins/README.md)");
    const sdk::PluginInfo *info = infoFn();
    if (!info || !info->name || !*info->name)
        return failed(record, Status::Failed, "lathe_plugin_info gives no plugin name");
    record.name = info->name;
    record.version = info->version ? info->version : "";
    record.abiVersion = info->abiVersion;
    if (info->abiVersion < sdk::kLatheAbiCompatible || info->abiVersion > sdk::kLatheAbiVersion)
        return failed(record, Status::Refused,
                      "built for plugin ABI " + std::to_string(info->abiVersion)
                          + "; this Lathe loads ABI " + std::to_string(sdk::kLatheAbiCompatible)
                          + " to " + std::to_string(sdk::kLatheAbiVersion)
                          + ": rebuild it against this version's plugins/sdk");
    if (nameTaken(record.name))
        return failed(record, Status::Failed,
                      "a plugin named \"" + record.name + "\" is loaded already");
    Staging staging(record.name);
    if (auto error = runRegistration(registerFn, staging); !error.empty())
        return failed(record, Status::Failed, error);
    std::vector<std::string> registered = staging.additions.describe();
    if (auto clash = registry.add(std::move(staging.additions)))
        return failed(record, Status::Failed,
                      std::string("it registers ") + toString(clash->kind) + " \"" + clash->name
                          + "\", which "
                          + (clash->owner.empty() ? "it registers twice"
                                                  : "exists already (" + clash->owner + ")"));
    library.release(); // its factories are in the registry now: keep the code mapped
    record.status = Status::Loaded;
    record.registered = std::move(registered);
    return keep(std::move(record));
}

std::vector<PluginRecord> loadPlugins(const std::vector<std::filesystem::path> &dirs,
                                      Registry &registry)
{
    std::vector<PluginRecord> out;
    std::set<std::filesystem::path> seen;
    {
        std::lock_guard lock(recordsMutex());
        for (const auto &dir : dirs)
            if (std::find(searched().begin(), searched().end(), dir) == searched().end())
                searched().push_back(dir);
    }
    for (const auto &dir : dirs) {
        std::error_code ec;
        const auto canonical = std::filesystem::weakly_canonical(dir, ec);
        if (ec || !seen.insert(canonical).second || !std::filesystem::is_directory(canonical, ec))
            continue;
        std::vector<std::filesystem::path> files;
        for (const auto &entry : std::filesystem::directory_iterator(canonical, ec))
            if (entry.path().extension() == ".so")
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto &file : files)
            out.push_back(loadPlugin(file, registry));
    }
    return out;
}

std::vector<PluginRecord> loadedPlugins()
{
    std::lock_guard lock(recordsMutex());
    return records();
}

std::vector<std::filesystem::path> searchedDirs()
{
    std::lock_guard lock(recordsMutex());
    return searched();
}

} // namespace lathe::plugin
