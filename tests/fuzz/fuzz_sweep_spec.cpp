// Fuzzes sweep specs as lathe-cli sweep reads them (core/train/sweep_runner.h: loadSweep, the
// JSON syntax, every field, the space checked against the base run config, the objective
// metric), with the spec's base "../configs/fashion-cnn.json" beside it as in resources/. A spec
// that loads must read back the same from the self-contained JSON the store keeps (toJson), and
// its first trials must be asked without an internal error.
#include "fuzz_support.h"

#include "core/sweep/sampler.h"
#include "core/train/sweep_runner.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>

using namespace lathe;

namespace {

std::string readFile(const char *path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in)
        fuzz::finding(std::string("cannot read ") + path);
    return text.str();
}

} // namespace

LATHE_FUZZ_TEST_ONE_INPUT(sweep_spec)
{
    static const fuzz::ScratchDir scratch;
    static const auto base
        = scratch.write("configs/fashion-cnn.json", readFile(LATHE_FUZZ_BASE_CONFIG));
    const auto file = scratch.write("sweeps/spec.json", fuzz::bytesOf(data, size));
    auto spec = train::loadSweep(file);
    if (!spec) {
        fuzz::expectRejection(spec.error(), file);
        return 0;
    }
    auto again = sweep::parseSweepSpec(sweep::toJson(*spec), file.parent_path(),
                                       train::sweepSpecOptions());
    if (!again)
        fuzz::finding("a spec that loaded does not parse from its stored JSON: "
                      + again.error().toString() + "\n" + sweep::toJson(*spec).dump());
    again->basePath = spec->basePath;
    if (!(*again == *spec))
        fuzz::finding("a spec that loaded reads back differently from its stored JSON:\n"
                      + sweep::toJson(*spec).dump());
    std::vector<sweep::TrialRecord> history;
    for (int number = 0; number < 3; ++number) {
        auto params = sweep::sampleTrial(*spec, history, number);
        if (!params) {
            if (params.error().code == ErrorCode::Internal)
                fuzz::finding("asking trial " + std::to_string(number)
                              + " failed internally: " + params.error().toString());
            break;
        }
        history.push_back(
            {number, std::move(*params), sweep::TrialRecord::State::Completed, double(number), {}});
    }
    return 0;
}
