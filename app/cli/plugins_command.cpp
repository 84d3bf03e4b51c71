// lathe-cli plugins: the plugins found (main() loads them before any command), what each
// registered, and why any was refused or failed; then every entry of the registry, built-in or
// from a plugin, by extension point.
#include "app/cli/commands.h"

#include "core/plugin/loader.h"
#include "core/plugin/registry.h"
#include "core/util/join.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace lathe::cli {

int pluginsCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, {{}, {"--json"}, 0, 0});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli plugins: %s\nusage: lathe-cli plugins "
                     "[--plugin-dir DIR] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto records = plugin::loadedPlugins();
    const auto &registry = plugin::registry();
    if (std::get<ParsedArgs>(parsed).has("--json")) {
        nlohmann::json plugins = nlohmann::json::array();
        for (const auto &r : records)
            plugins.push_back({{"path", r.path.string()},
                               {"name", r.name},
                               {"version", r.version},
                               {"abi", r.abiVersion},
                               {"status", plugin::toString(r.status)},
                               {"message", r.message},
                               {"registered", r.registered}});
        nlohmann::json entries = nlohmann::json::object();
        for (auto kind : plugin::allKinds()) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto &name : registry.names(kind))
                list.push_back({{"name", name}, {"source", registry.source(kind, name)}});
            entries[plugin::toString(kind)] = std::move(list);
        }
        const nlohmann::json out{{"plugins", plugins}, {"entries", entries}};
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    std::printf("plugin folders:\n");
    for (const auto &dir : plugin::searchedDirs())
        std::printf("  %s\n", dir.c_str());
    if (records.empty())
        std::printf("no plugins found (add a folder with --plugin-dir or $LATHE_PLUGIN_PATH)\n");
    for (const auto &r : records) {
        if (r.name.empty()) // refused before it was opened, or not a Lathe plugin
            std::printf("%-8s %s\n  %s\n", plugin::toString(r.status),
                        r.status == plugin::PluginRecord::Status::Refused ? "(not opened)"
                                                                          : "(not a Lathe plugin)",
                        r.path.c_str());
        else
            std::printf("%-8s %s %s (plugin ABI %d)\n  %s\n", plugin::toString(r.status),
                        r.name.c_str(), r.version.c_str(), r.abiVersion, r.path.c_str());
        for (const auto &what : r.registered)
            std::printf("  registers %s\n", what.c_str());
        if (!r.message.empty())
            std::printf("  %s\n", r.message.c_str());
    }
    std::printf("registry (built-in and from plugins):\n");
    for (auto kind : plugin::allKinds()) {
        const std::string line
            = util::join(registry.names(kind), ", ", [&](const std::string &name) {
                  const auto source = registry.source(kind, name);
                  return name + (source == plugin::kBuiltIn ? "" : " [" + source + "]");
              });
        std::printf("  %-13s %s\n", plugin::toString(kind), line.empty() ? "-" : line.c_str());
    }
    return kExitOk;
}

} // namespace lathe::cli
