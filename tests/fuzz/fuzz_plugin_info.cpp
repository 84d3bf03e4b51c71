// Fuzzes what Lathe's plugin loader reads from a plugin (core/plugin/loader.h, loadPlugin): its
// metadata (name, version, ABI version) and its registrations, decoded from the input by a real
// module loaded from its file (plugin_module/fuzz_plugin_module.cpp says how). A plugin must
// come out loaded with every entry it registered in the registry, or refused or failed with a
// message and nothing registered. The ELF file itself is the dynamic loader's to parse, not
// Lathe's: the module is always the same file.
#include "fuzz_support.h"

#include "core/plugin/loader.h"
#include "core/plugin/registry.h"

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>

namespace {

using namespace lathe;

const unsigned char *g_input = nullptr;
std::size_t g_inputSize = 0;

std::size_t entryCount(const plugin::Registry &registry)
{
    std::size_t count = 0;
    for (const auto kind : plugin::allKinds())
        count += registry.names(kind).size();
    return count;
}

} // namespace

// The module's source of metadata: the current input.
extern "C" __attribute__((visibility("default"))) void
lathe_fuzz_plugin_input(const unsigned char **data, std::size_t *size)
{
    *data = g_input;
    *size = g_inputSize;
}

LATHE_FUZZ_INITIALIZE(plugin_info)
{
    spdlog::set_level(spdlog::level::off); // the loader logs every plugin it tries
    return 0;
}

LATHE_FUZZ_TEST_ONE_INPUT(plugin_info)
{
    g_input = data;
    g_inputSize = size;
    plugin::Registry registry;
    const std::size_t builtIns = entryCount(registry);
    const auto record = plugin::loadPlugin(LATHE_FUZZ_PLUGIN_MODULE, registry);
    const std::size_t added = entryCount(registry) - builtIns;
    if (record.status == plugin::PluginRecord::Status::Loaded) {
        if (added == 0 || added != record.registered.size())
            fuzz::finding("plugin \"" + record.name + "\" loaded, reporting "
                          + std::to_string(record.registered.size()) + " entries, but "
                          + std::to_string(added) + " were added");
    } else if (added != 0 || record.message.empty()) {
        fuzz::finding("plugin \"" + record.name + "\" was not loaded (\"" + record.message
                      + "\"), yet " + std::to_string(added) + " entries were added");
    }
    return 0;
}
