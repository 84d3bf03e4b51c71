#include "csv_options.h"

#include "csv_text.h"

#include <algorithm>

namespace lathe::csv {
namespace {

using namespace detail;

std::vector<std::string> splitNames(const std::string &text)
{
    std::vector<std::string> names;
    std::size_t pos = 0;
    while (true) {
        const auto end = std::min(text.find(',', pos), text.size());
        names.emplace_back(trim(std::string_view(text).substr(pos, end - pos)));
        if (end == text.size())
            return names;
        pos = end + 1;
    }
}

char parseDelimiter(const std::string &value, const std::string &file)
{
    if (value == "tab" || value == "\\t")
        return '\t';
    if (value.size() != 1 || value == "\"" || value == "\n" || value == "\r")
        fail(file, "option delimiter must be one character (or \"tab\"), got \"" + value + "\"");
    return value.front();
}

std::uint64_t parseSeed(const std::string &value, const std::string &file)
{
    std::uint64_t seed = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seed);
    if (error != std::errc() || end != value.data() + value.size() || value.empty())
        fail(file, "option seed must be an integer >= 0, got \"" + value + "\"");
    return seed;
}

} // namespace

const std::vector<std::string> &csvOptionKeys()
{
    static const std::vector<std::string> keys{"label",     "header",        "columns",
                                               "delimiter", "test_fraction", "seed"};
    return keys;
}

CsvOptions parseCsvOptions(const sdk::Options &options, const std::string &file)
{
    const auto &keys = csvOptionKeys();
    CsvOptions parsed;
    for (const auto &[key, value] : options) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            fail(file,
                 "unknown option \"" + key + "\" of the csv reader (it reads " + join(keys) + ")");
        if (key == "label") {
            parsed.label = std::string(trim(value));
        } else if (key == "header") {
            if (value != "names" && value != "sklearn")
                fail(file, "option header must be \"names\" or \"sklearn\", got \"" + value + "\"");
            parsed.header = value == "names" ? HeaderKind::Names : HeaderKind::Sklearn;
        } else if (key == "columns") {
            parsed.columns = splitNames(value);
        } else if (key == "delimiter") {
            parsed.delimiter = parseDelimiter(value, file);
        } else if (key == "test_fraction") {
            const auto fraction = parseNumber(trim(value));
            if (!fraction || *fraction < 0.0 || *fraction >= 1.0)
                fail(file,
                     "option test_fraction must be a number in [0, 1), got \"" + value + "\"");
            parsed.testFraction = *fraction;
        } else {
            parsed.seed = parseSeed(value, file);
        }
    }
    return parsed;
}

} // namespace lathe::csv
