// lathe-cli plugins: the plugins found (main() loads them before any command), what each
// registered, and why any was refused or failed.
#include "app/cli/commands.h"

#include "core/plugin/loader.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace lathe::cli {

int pluginsCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, {{}, {"--json"}, 0, 0});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli plugins: %s\nusage: lathe-cli plugins "
                             "[--plugin-dir DIR] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto records = plugin::loadedPlugins();
    if (std::get<ParsedArgs>(parsed).has("--json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &r : records)
            out.push_back({{"path", r.path.string()},
                           {"name", r.name},
                           {"version", r.version},
                           {"abi", r.abiVersion},
                           {"status", plugin::toString(r.status)},
                           {"message", r.message},
                           {"registered", r.registered}});
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    std::printf("plugin folders:\n");
    for (const auto &dir : plugin::searchedDirs())
        std::printf("  %s\n", dir.c_str());
    if (records.empty())
        std::printf("no plugins found (add a folder with --plugin-dir or $LATHE_PLUGIN_PATH)\n");
    for (const auto &r : records) {
        if (r.name.empty())
            std::printf("%-8s (not a Lathe plugin)\n  %s\n", plugin::toString(r.status),
                        r.path.c_str());
        else
            std::printf("%-8s %s %s (plugin ABI %d)\n  %s\n", plugin::toString(r.status),
                        r.name.c_str(), r.version.c_str(), r.abiVersion, r.path.c_str());
        for (const auto &what : r.registered)
            std::printf("  registers %s\n", what.c_str());
        if (!r.message.empty())
            std::printf("  %s\n", r.message.c_str());
    }
    return kExitOk;
}

} // namespace lathe::cli
