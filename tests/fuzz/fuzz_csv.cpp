// Fuzzes the csv-tabular plugin's dataset reader "csv" (plugins/csv-tabular: csv_options.cpp,
// csv_reader.cpp, csv_dataset.cpp) as a run's data section reaches it: the plugin is loaded from
// its file into a registry (core/plugin/loader.h) and the reader called through the registry.
// The input's first line is data.options, "key=value" pairs separated by ';' (an empty line for
// none); the rest is the CSV file at data.path.
#include "fuzz_support.h"

#include "core/data/dataset.h"
#include "core/plugin/loader.h"
#include "core/plugin/registry.h"

#include <torch/torch.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace lathe;

plugin::Registry &registry()
{
    static plugin::Registry withCsv;
    return withCsv;
}

sdk::Options parseOptions(std::string_view line)
{
    sdk::Options options;
    while (!line.empty()) {
        const auto end = line.find(';');
        const auto pair = line.substr(0, end);
        const auto equals = pair.find('=');
        options[std::string(pair.substr(0, equals))] = equals == std::string_view::npos
                                                           ? std::string()
                                                           : std::string(pair.substr(equals + 1));
        line = end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
    }
    return options;
}

/// A dataset the reader returned: its labels index its classes.
void checkDataset(const data::Dataset &dataset)
{
    const auto labels = dataset.labels();
    const auto classes = std::int64_t(dataset.classNames().size());
    if (labels.numel() != dataset.size() || dataset.size() == 0
        || (labels.numel() > 0
            && (labels.min().item<std::int64_t>() < 0
                || labels.max().item<std::int64_t>() >= classes)))
        fuzz::finding("the csv reader returned labels outside its " + std::to_string(classes)
                      + " classes");
}

} // namespace

LATHE_FUZZ_INITIALIZE(csv)
{
    spdlog::set_level(spdlog::level::warn);
    const auto record = plugin::loadPlugin(LATHE_FUZZ_CSV_PLUGIN, registry());
    if (record.status != plugin::PluginRecord::Status::Loaded)
        fuzz::finding("cannot load the csv-tabular plugin: " + record.message);
    return 0;
}

LATHE_FUZZ_TEST_ONE_INPUT(csv)
{
    static const fuzz::ScratchDir scratch;
    const auto bytes = fuzz::bytesOf(data, size);
    const auto newline = std::min(bytes.find('\n'), bytes.size());
    const auto file = scratch.write("table.csv", bytes.substr(std::min(newline + 1, size)));
    const auto read
        = registry().dataset("csv")->read({file.string(), parseOptions(bytes.substr(0, newline))});
    if (!read) {
        fuzz::expectRejection(read.error(), file);
        return 0;
    }
    checkDataset(*read->train);
    if (read->test)
        checkDataset(*read->test);
    return 0;
}
