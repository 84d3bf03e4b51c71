// Finding and loading plugins: shared libraries built against plugins/sdk/lathe/plugin.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::plugin {

class Registry;
/// The process-wide registry (registry.h; declared here so that a program's start-up, which only
/// loads plugins, does not see LibTorch through it).
Registry &registry();

/// What became of one plugin file.
struct PluginRecord
{
    enum class Status { Loaded, Refused, Failed };

    std::filesystem::path path;
    std::string name; ///< from lathe_plugin_info; empty when unknown
    std::string version;
    std::int32_t abiVersion = 0; ///< 0 when unknown
    Status status = Status::Failed;
    std::string message;                 ///< why it was refused or failed; empty when loaded
    std::vector<std::string> registered; ///< what it added, e.g. "schedule cosine-restarts"
};

/// "loaded", "refused" or "failed".
const char *toString(PluginRecord::Status status);

/// The plugin folders in search order: `extra` (--plugin-dir), then the ':'-separated
/// $LATHE_PLUGIN_PATH, the user's data directory's plugins/, and <prefix>/lib/lathe/plugins for
/// an installed program (util::installPrefix()), else the build tree's sample plugins. Folders
/// that do not exist are kept (loadPlugins skips them).
std::vector<std::filesystem::path> pluginDirs(const std::vector<std::filesystem::path> &extra = {});

/// Loads one plugin file into `registry`. First, before any of its code runs, refuses (Refused) a
/// file that someone other than this user or root could change: its folder or the file (for a
/// symlink, the file it points to and that file's folder too) owned by another user, or writable
/// by its group or others (sticky bit or not); the message names the path and why. Then checks
/// its ABI version, runs its registration against a staging registry and adds everything it
/// registered, or nothing when the registration throws, returns non-zero, registers nothing or a
/// name that exists (built-in or another plugin's), or a plugin of the same name is loaded
/// already. Never throws; the outcome and its message (naming the file) are in the record, which
/// is also logged and kept for loadedPlugins(). A loaded plugin stays in memory until the
/// process exits.
PluginRecord loadPlugin(const std::filesystem::path &file, Registry &registry = plugin::registry());

/// loadPlugin() for every *.so in `dirs`, each folder once, in name order within a folder.
std::vector<PluginRecord> loadPlugins(const std::vector<std::filesystem::path> &dirs,
                                      Registry &registry = plugin::registry());

/// Every plugin this process tried to load, in order (the Plugins dialog, lathe-cli plugins).
/// Thread-safe.
std::vector<PluginRecord> loadedPlugins();

/// The folders loadPlugins() was given so far, in order, each once. Thread-safe.
std::vector<std::filesystem::path> searchedDirs();

} // namespace lathe::plugin
