// The plugin the plugin_info fuzzer loads (fuzz_plugin_info.cpp): what Lathe's loader reads from
// a plugin, its metadata (lathe_plugin_info) and its registrations (lathe_plugin_register), is
// decoded from the fuzzer's current input, which the harness executable hands out through
// lathe_fuzz_plugin_input. Like any plugin it sees plugins/sdk and nothing else of Lathe.
//
// Input: the ABI version (4 bytes, little endian), a flags byte, the name, the version, then
// registrations until the input ends: a kind byte (dataset, model, metric, augmentation,
// schedule, panel: its value mod 6), a name, a description (a panel's title) and, for a
// schedule, a count byte and that many keys. A string is a length byte and that many bytes (cut
// short at the end of the input). Flags: 1 no PluginInfo, 2 a null name, 4 a null version,
// 8 the registration throws a std::runtime_error, 16 it throws an int, 32 it returns 1.
#include "lathe/plugin.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" void lathe_fuzz_plugin_input(const unsigned char **data, std::size_t *size);

namespace {

/// Reads the input front to back; past its end every read gives zeros and empty strings.
class Reader
{
public:
    Reader() { lathe_fuzz_plugin_input(&m_data, &m_size); }

    bool atEnd() const { return m_pos >= m_size; }
    unsigned byte() { return atEnd() ? 0 : m_data[m_pos++]; }
    std::int32_t int32()
    {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
            value |= std::uint32_t(byte()) << (8 * i);
        return std::int32_t(value);
    }
    std::string text()
    {
        const std::size_t length = byte();
        const std::size_t start = std::min(m_pos, m_size);
        const std::size_t taken = std::min(length, m_size - start);
        m_pos = start + taken;
        return {reinterpret_cast<const char *>(m_data) + start, taken};
    }

private:
    const unsigned char *m_data = nullptr;
    std::size_t m_size = 0;
    std::size_t m_pos = 0;
};

enum Flags : unsigned {
    kNoInfo = 1,
    kNullName = 2,
    kNullVersion = 4,
    kThrows = 8,
    kThrowsInt = 16,
    kFails = 32,
};

/// The metadata part of the input: what lathe_plugin_info reports.
struct Metadata
{
    std::int32_t abiVersion = 0;
    unsigned flags = 0;
    std::string name;
    std::string version;
};

Metadata readMetadata(Reader &in)
{
    Metadata m;
    m.abiVersion = in.int32();
    m.flags = in.byte();
    m.name = in.text();
    m.version = in.text();
    return m;
}

// The factories make nothing: the loader only registers them, it never calls them.
void registerOne(lathe::sdk::IRegistry &registry, Reader &in)
{
    using namespace lathe::sdk;
    const unsigned kind = in.byte() % 6;
    const std::string name = in.text();
    const std::string description = in.text();
    switch (kind) {
    case 0: registry.addDataset(name, description, DatasetFactory{}); break;
    case 1: registry.addModel(name, description, ModelFactory{}); break;
    case 2: registry.addMetric(name, description, MetricFactory{}); break;
    case 3: registry.addAugmentation(name, description, AugmentFactory{}); break;
    case 4: {
        std::vector<std::string> keys(in.byte());
        for (auto &key : keys)
            key = in.text();
        registry.addSchedule(name, keys, description, ScheduleFactory{});
        break;
    }
    default: registry.addPanel(name, description, PanelFactory{}); break;
    }
}

} // namespace

extern "C" const lathe::sdk::PluginInfo *lathe_plugin_info()
{
    // Static, as the SDK asks: the loader copies what it keeps before the next input.
    static Metadata metadata;
    static lathe::sdk::PluginInfo info;
    Reader in;
    metadata = readMetadata(in);
    if (metadata.flags & kNoInfo)
        return nullptr;
    info.abiVersion = metadata.abiVersion;
    info.name = metadata.flags & kNullName ? nullptr : metadata.name.c_str();
    info.version = metadata.flags & kNullVersion ? nullptr : metadata.version.c_str();
    return &info;
}

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    Reader in;
    const Metadata metadata = readMetadata(in);
    while (!in.atEnd())
        registerOne(*registry, in);
    if (metadata.flags & kThrows)
        throw std::runtime_error("registration of " + metadata.name + " failed");
    if (metadata.flags & kThrowsInt)
        throw 1;
    return metadata.flags & kFails ? 1 : 0;
}
