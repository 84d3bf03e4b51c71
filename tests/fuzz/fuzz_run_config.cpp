// Fuzzes config files as lathe-cli train and the Hyperparameters panel read them
// (core/train/run_config.h: loadRunConfig, the JSON syntax and then every section's validation,
// core/train/config_validation.h, against the registry's built-ins). A config that loads must
// round-trip exactly through its JSON text, as the store keeps it (RunConfig's promise).
#include "fuzz_support.h"

#include "core/train/run_config.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

using namespace lathe;

LATHE_FUZZ_TEST_ONE_INPUT(run_config)
{
    static const fuzz::ScratchDir scratch;
    const auto file = scratch.write("config.json", fuzz::bytesOf(data, size));
    auto config = train::loadRunConfig(file.string());
    if (!config) {
        fuzz::expectRejection(config.error(), file);
        return 0;
    }
    const auto text = config->toJson().dump();
    auto again = train::RunConfig::fromJson(nlohmann::json::parse(text));
    if (!again)
        fuzz::finding("a config that loaded does not validate once written: "
                      + again.error().toString() + "\n" + text);
    if (!(*again == *config))
        fuzz::finding("a config that loaded reads back differently once written:\n" + text);
    return 0;
}
