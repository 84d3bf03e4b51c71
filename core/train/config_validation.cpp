#include "core/train/config_validation.h"

#include "core/util/join.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

namespace lathe::train::detail {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxShownChars = 60;
constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

/// "%g" without the exponent padding: 1e+06 -> 1e6, 1e-05 -> 1e-5.
std::string formatNumber(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    std::string text = buffer;
    static constexpr std::pair<std::string_view, std::string_view> kRewrites[]{
        {"e+0", "e"}, {"e+", "e"}, {"e-0", "e-"}};
    for (const auto &[from, to] : kRewrites) {
        if (const auto at = text.find(from); at != std::string::npos) {
            text.replace(at, from.size(), to);
            break;
        }
    }
    return text;
}

bool withinRule(double value, const NumberRule &rule)
{
    if (!std::isfinite(value))
        return false;
    const bool aboveLo = rule.loOpen ? value > rule.lo : value >= rule.lo;
    const bool belowHi = rule.hiOpen ? value < rule.hi : value <= rule.hi;
    return aboveLo && belowHi;
}

std::string typeOf(const json &value)
{
    return value.is_number() ? "number" : value.type_name();
}

Error wrongType(const json &value, const std::string &where, const std::string &expected)
{
    return Error{ErrorCode::InvalidArgument,
                 "value " + showValue(value) + " has the wrong type (" + typeOf(value)
                     + "); expected " + expected,
                 where};
}

Error outOfRange(const json &value, const std::string &where, const std::string &expected)
{
    return Error{ErrorCode::InvalidArgument,
                 "value " + showValue(value) + " is out of range; expected " + expected, where};
}

char normalised(char c)
{
    return c == '-' ? '_' : char(std::tolower(static_cast<unsigned char>(c)));
}

} // namespace

std::string describeRule(const NumberRule &rule, bool integer)
{
    const std::string noun = integer ? "an integer" : "a number";
    const bool hasLo = std::isfinite(rule.lo);
    const bool hasHi = std::isfinite(rule.hi);
    if (hasLo && hasHi)
        return noun + " in " + (rule.loOpen ? "(" : "[") + formatNumber(rule.lo) + ", "
               + formatNumber(rule.hi) + (rule.hiOpen ? ")" : "]");
    if (hasLo)
        return noun + (rule.loOpen ? " > " : " >= ") + formatNumber(rule.lo);
    if (hasHi)
        return noun + (rule.hiOpen ? " < " : " <= ") + formatNumber(rule.hi);
    return noun;
}

std::string showValue(const json &value)
{
    std::string text;
    try {
        text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const std::exception &) {
        text = "<unprintable>";
    }
    if (text.size() > kMaxShownChars)
        text = text.substr(0, kMaxShownChars - 3) + "...";
    return text;
}

std::size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = normalised(a[i - 1]) == normalised(b[j - 1]) ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closestName(std::string_view word, const std::vector<std::string> &names)
{
    std::string best;
    std::size_t bestDistance = 3; // more than two edits away is not a typo
    for (const auto &name : names) {
        const std::size_t distance = editDistance(word, name);
        if (distance < bestDistance && distance < word.size()) {
            best = name;
            bestDistance = distance;
        }
    }
    return best;
}

Result<void> checkObject(const json &value, const std::string &section,
                         const std::vector<std::string> &keys)
{
    if (value.is_object())
        return {};
    const std::string what
        = section.empty() ? "a run config must be a JSON object" : "expected an object";
    return fail(ErrorCode::InvalidArgument,
                what + " with keys: " + util::join(keys) + "; got " + showValue(value) + " ("
                    + typeOf(value) + ")",
                section);
}

Error unknownKeyError(const std::string &key, const std::string &section,
                      const std::vector<std::string> &keys)
{
    std::string message
        = "unknown key \"" + key + "\"; valid "
          + (section.empty() ? "top-level keys are: " : "keys in " + section + " are: ")
          + util::join(keys);
    if (const std::string guess = closestName(key, keys); !guess.empty())
        message += "; did you mean \"" + guess + "\"?";
    return Error{ErrorCode::InvalidArgument, message, section.empty() ? key : section + "." + key};
}

Result<double> readNumber(const json &value, const std::string &where, const NumberRule &rule)
{
    const std::string expected = describeRule(rule, false);
    if (!value.is_number())
        return std::unexpected(wrongType(value, where, expected));
    const double number = value.get<double>();
    if (!withinRule(number, rule))
        return std::unexpected(outOfRange(value, where, expected));
    return number;
}

Result<std::int64_t> readInteger(const json &value, const std::string &where,
                                 const NumberRule &rule)
{
    const std::string expected = describeRule(rule, true);
    if (!value.is_number())
        return std::unexpected(wrongType(value, where, expected));
    if (value.is_number_integer()) {
        // Whole numbers are compared exactly enough: the rules' bounds are small.
        if (value.is_number_unsigned()
            && value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
            return std::unexpected(outOfRange(value, where, expected));
        const auto integer = value.get<std::int64_t>();
        if (!withinRule(double(integer), rule))
            return std::unexpected(outOfRange(value, where, expected));
        return integer;
    }
    const double number = value.get<double>();
    if (std::trunc(number) != number)
        return fail(ErrorCode::InvalidArgument,
                    "value " + showValue(value) + " is not a whole number; expected " + expected,
                    where);
    if (!withinRule(number, rule) || std::fabs(number) >= kTwoPow63)
        return std::unexpected(outOfRange(value, where, expected));
    return std::int64_t(number);
}

Result<std::uint64_t> readUnsigned(const json &value, const std::string &where)
{
    const std::string expected = "a whole number >= 0";
    if (value.is_number_unsigned())
        return value.get<std::uint64_t>();
    if (!value.is_number())
        return std::unexpected(wrongType(value, where, expected));
    const double number = value.get<double>();
    if (std::trunc(number) != number)
        return fail(ErrorCode::InvalidArgument,
                    "value " + showValue(value) + " is not a whole number; expected " + expected,
                    where);
    if (!(number >= 0.0 && number < kTwoPow64))
        return std::unexpected(outOfRange(value, where, expected));
    return std::uint64_t(number);
}

Result<bool> readBool(const json &value, const std::string &where)
{
    if (!value.is_boolean())
        return std::unexpected(wrongType(value, where, "true or false"));
    return value.get<bool>();
}

Result<std::string> readString(const json &value, const std::string &where,
                               const std::vector<std::string> &choices)
{
    const std::string expected
        = choices.empty() ? "a non-empty string" : "one of: " + util::join(choices);
    if (!value.is_string())
        return std::unexpected(wrongType(value, where, expected));
    const auto &text = value.get_ref<const std::string &>();
    if (choices.empty() && !text.empty())
        return text;
    if (std::find(choices.begin(), choices.end(), text) != choices.end())
        return text;
    std::string message = "value " + showValue(value) + " is not " + expected;
    if (const std::string guess = closestName(text, choices); !guess.empty())
        message += "; did you mean \"" + guess + "\"?";
    return fail(ErrorCode::InvalidArgument, message, where);
}

Result<std::vector<double>> readAscending(const json &value, const std::string &where,
                                          const NumberRule &rule)
{
    const std::string expected = "a list of ascending numbers, each " + describeRule(rule, false);
    if (!value.is_array())
        return std::unexpected(wrongType(value, where, expected));
    std::vector<double> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto number = readNumber(value[i], where, rule);
        if (!number) {
            Error error = number.error();
            error.message = "element " + std::to_string(i) + ": " + error.message;
            return std::unexpected(error);
        }
        if (!out.empty() && *number <= out.back())
            return fail(ErrorCode::InvalidArgument,
                        "values must be strictly ascending, but " + showValue(value[i])
                            + " follows " + showValue(value[i - 1]) + "; expected " + expected,
                        where);
        out.push_back(*number);
    }
    return out;
}

Result<std::vector<std::string>> readStringList(const json &value, const std::string &where)
{
    if (!value.is_array())
        return std::unexpected(wrongType(value, where, "a list of names"));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto text = readString(value[i], where + "[" + std::to_string(i) + "]", {});
        if (!text)
            return std::unexpected(text.error());
        out.push_back(*text);
    }
    return out;
}

Result<std::vector<std::int64_t>> readIntegerSet(const json &value, const std::string &where,
                                                 const NumberRule &rule)
{
    if (!value.is_array())
        return std::unexpected(wrongType(
            value, where, "a list of distinct integers, each " + describeRule(rule, true)));
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto number = readInteger(value[i], where + "[" + std::to_string(i) + "]", rule);
        if (!number)
            return std::unexpected(number.error());
        if (std::find(out.begin(), out.end(), *number) != out.end())
            return fail(ErrorCode::InvalidArgument,
                        "value " + showValue(value[i]) + " is listed twice", where);
        out.push_back(*number);
    }
    return out;
}

Result<std::map<std::string, double>> readNumberMap(const json &value, const std::string &where,
                                                    const NumberRule &rule)
{
    if (!value.is_object())
        return std::unexpected(wrongType(value, where, "an object of numbers"));
    std::map<std::string, double> out;
    for (const auto &[key, item] : value.items()) {
        auto number = readNumber(item, where + "." + key, rule);
        if (!number)
            return std::unexpected(number.error());
        out[key] = *number;
    }
    return out;
}

Result<Options> readOptions(const json &value, const std::string &where)
{
    if (!value.is_object())
        return std::unexpected(wrongType(value, where, "an object of option values"));
    Options out;
    for (const auto &[key, item] : value.items()) {
        if (item.is_string())
            out[key] = item.get<std::string>();
        else if (item.is_number() || item.is_boolean())
            out[key] = item.dump();
        else
            return std::unexpected(
                wrongType(item, where + "." + key, "a string, a number or a boolean"));
    }
    return out;
}

Result<std::vector<ExtensionUse>> readExtensionUses(const json &value, const std::string &where,
                                                    const std::vector<std::string> &names)
{
    if (!value.is_array())
        return std::unexpected(
            wrongType(value, where, "a list of {\"name\": ..., option: value} objects"));
    std::vector<ExtensionUse> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string at = where + "[" + std::to_string(i) + "]";
        const json &item = value[i];
        if (!item.is_object() || !item.contains("name"))
            return std::unexpected(wrongType(item, at, "an object with a \"name\""));
        auto name = readString(item["name"], at + ".name", names);
        if (!name)
            return std::unexpected(name.error());
        json rest = item;
        rest.erase("name");
        auto options = readOptions(rest, at);
        if (!options)
            return std::unexpected(options.error());
        out.push_back({*name, std::move(*options)});
    }
    return out;
}

json toJsonValue(const Options &options)
{
    json out = json::object();
    for (const auto &[key, text] : options) {
        json parsed = json::parse(text, nullptr, false);
        out[key] = !parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean())
                       ? parsed
                       : json(text);
    }
    return out;
}

json toJsonValue(const std::vector<ExtensionUse> &uses)
{
    json out = json::array();
    for (const auto &use : uses) {
        json item = toJsonValue(use.options);
        item["name"] = use.name;
        out.push_back(std::move(item));
    }
    return out;
}

} // namespace lathe::train::detail
