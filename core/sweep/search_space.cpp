#include "core/sweep/search_space.h"

#include "core/sweep/json_text.h"
#include "core/util/join.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace lathe::sweep {

namespace {

using detail::showNumber;
using detail::showValue;
using detail::typeName;
using nlohmann::json;

std::string where(const std::string &key)
{
    return "space.\"" + key + "\"";
}

Error invalidKey(const std::string &key, std::string message)
{
    return Error{ErrorCode::InvalidArgument, std::move(message), where(key)};
}

std::vector<std::string> splitKey(const std::string &key)
{
    std::vector<std::string> parts;
    std::istringstream stream(key);
    for (std::string part; std::getline(stream, part, '.');)
        parts.push_back(part);
    if (!key.empty() && key.back() == '.')
        parts.emplace_back();
    return parts;
}

/// Every value's dotted key in `config` (a value: anything but a non-empty object).
void collectLeafKeys(const json &node, const std::string &prefix, std::vector<std::string> &out)
{
    if (!node.is_object() || node.empty()) {
        out.push_back(prefix);
        return;
    }
    for (const auto &[name, child] : node.items())
        collectLeafKeys(child, prefix.empty() ? name : prefix + "." + name, out);
}

/// The config's value for `key`, or nullptr when `key` names no value (absent, or a section).
const json *configValue(const json &config, const std::string &key)
{
    const json *node = &config;
    for (const auto &part : splitKey(key)) {
        if (!node->is_object() || !node->contains(part))
            return nullptr;
        node = &(*node)[part];
    }
    if (node->is_object() && !node->empty())
        return nullptr;
    return node;
}

/// Why `key` names no value of `config`: a section, a missing key (with the keys beside it),
/// or a path through a value.
std::string notAValue(const json &config, const std::string &key)
{
    const auto parts = splitKey(key);
    const json *node = &config;
    std::string walked;
    for (const auto &part : parts) {
        if (!node->is_object())
            return walked + " is a value in the base config, not a section";
        if (!node->contains(part)) {
            std::vector<std::string> leaves;
            collectLeafKeys(config, {}, leaves);
            std::string message = "not a key of the base config";
            std::vector<std::string> siblings;
            for (const auto &[name, child] : node->items())
                siblings.push_back(name);
            if (!walked.empty())
                message += "; keys in " + walked + " are: " + util::join(siblings);
            if (const auto guess = detail::closestName(key, leaves); !guess.empty())
                message += "; did you mean \"" + guess + "\"?";
            return message;
        }
        node = &(*node)[part];
        walked += (walked.empty() ? "" : ".") + part;
    }
    std::vector<std::string> children;
    for (const auto &[name, child] : node->items())
        children.push_back(name);
    return "a section of the base config, not a value; name one of its keys: "
           + util::join(children);
}

const std::vector<std::string> &allowedFields(Kind kind)
{
    static const std::vector<std::string> real{"type", "low", "high", "grid", "when"};
    static const std::vector<std::string> integer{"type", "low", "high", "step", "when"};
    static const std::vector<std::string> choice{"type", "values", "when"};
    switch (kind) {
    case Kind::Uniform:
    case Kind::LogUniform: return real;
    case Kind::Int: return integer;
    case Kind::Choice: return choice;
    }
    return choice;
}

Result<Kind> parseKind(const std::string &key, const json &spec)
{
    static const std::vector<std::string> names{"uniform", "log_uniform", "int", "choice"};
    if (!spec.is_object())
        return std::unexpected(invalidKey(key, "expected an object such as {\"type\": \"uniform\", "
                                               "\"low\": 0, \"high\": 1}, got "
                                                   + showValue(spec)));
    if (!spec.contains("type"))
        return std::unexpected(
            invalidKey(key, "missing \"type\"; expected one of: " + util::join(names)));
    const json &type = spec["type"];
    for (std::size_t i = 0; i < names.size(); ++i)
        if (type.is_string() && type.get_ref<const std::string &>() == names[i])
            return Kind(i);
    return std::unexpected(
        invalidKey(key, "type " + showValue(type) + " is not one of: " + util::join(names)));
}

Result<double> readBound(const std::string &key, const json &spec, const char *name)
{
    if (!spec.contains(name))
        return std::unexpected(invalidKey(key, std::string("missing \"") + name + "\""));
    const json &value = spec[name];
    if (!value.is_number() || !std::isfinite(value.get<double>()))
        return std::unexpected(invalidKey(key, std::string(name) + " " + showValue(value)
                                                   + " is not a finite number"));
    return value.get<double>();
}

Result<void> parseReal(const std::string &key, const json &spec, Dimension &dim)
{
    auto low = readBound(key, spec, "low");
    if (!low)
        return std::unexpected(low.error());
    auto high = readBound(key, spec, "high");
    if (!high)
        return std::unexpected(high.error());
    if (*low > *high)
        return std::unexpected(
            invalidKey(key, "low " + showNumber(*low) + " is above high " + showNumber(*high)));
    if (*low == *high)
        return std::unexpected(
            invalidKey(key, "empty range: low and high are both " + showNumber(*low)));
    if (dim.kind == Kind::LogUniform && *low <= 0)
        return std::unexpected(
            invalidKey(key, "log_uniform needs bounds above 0, but low is " + showNumber(*low)));
    dim.low = *low;
    dim.high = *high;
    if (spec.contains("grid")) {
        const json &grid = spec["grid"];
        if (!grid.is_number_integer() || grid.get<std::int64_t>() < 2
            || grid.get<std::int64_t>() > 100000)
            return std::unexpected(
                invalidKey(key, "grid " + showValue(grid) + " is not an integer in [2, 100000]"));
        dim.grid = grid.get<int>();
    }
    return {};
}

Result<std::int64_t> readSpaceInteger(const std::string &key, const json &spec, const char *name)
{
    if (!spec.contains(name))
        return std::unexpected(invalidKey(key, std::string("missing \"") + name + "\""));
    const json &value = spec[name];
    constexpr double kLimit = 4503599627370496.0; // 2^52: exact as a double, with a margin
    if (!value.is_number_integer() || std::abs(value.get<double>()) > kLimit)
        return std::unexpected(invalidKey(key, std::string(name) + " " + showValue(value)
                                                   + " is not an integer (within +-2^52)"));
    return value.get<std::int64_t>();
}

Result<void> parseInt(const std::string &key, const json &spec, Dimension &dim)
{
    auto low = readSpaceInteger(key, spec, "low");
    if (!low)
        return std::unexpected(low.error());
    auto high = readSpaceInteger(key, spec, "high");
    if (!high)
        return std::unexpected(high.error());
    std::int64_t step = 1;
    if (spec.contains("step")) {
        auto given = readSpaceInteger(key, spec, "step");
        if (!given)
            return std::unexpected(given.error());
        step = *given;
    }
    if (*low > *high)
        return std::unexpected(invalidKey(key, "low " + std::to_string(*low) + " is above high "
                                                   + std::to_string(*high)));
    if (*low == *high)
        return std::unexpected(
            invalidKey(key, "empty range: low and high are both " + std::to_string(*low)));
    if (step <= 0)
        return std::unexpected(
            invalidKey(key, "step " + std::to_string(step) + " is not a positive integer"));
    if (const std::int64_t span = *high - *low; span % step != 0) {
        const std::int64_t below = *low + span / step * step;
        return std::unexpected(
            invalidKey(key, "the range " + std::to_string(*low) + ".." + std::to_string(*high)
                                + " is not a multiple of step " + std::to_string(step) + " ("
                                + std::to_string(*high) + " - " + std::to_string(*low) + " = "
                                + std::to_string(span) + "); use high " + std::to_string(below)
                                + " or " + std::to_string(below + step)));
    }
    dim.low = double(*low);
    dim.high = double(*high);
    dim.step = step;
    return {};
}

Result<void> parseChoice(const std::string &key, const json &spec, Dimension &dim)
{
    if (!spec.contains("values") || !spec["values"].is_array())
        return std::unexpected(invalidKey(
            key, "a choice needs \"values\", a non-empty list such as [\"sgd\", \"adamw\"]"));
    const json &values = spec["values"];
    if (values.empty())
        return std::unexpected(invalidKey(key, "a choice with no values"));
    for (std::size_t i = 0; i < values.size(); ++i) {
        const json &value = values[i];
        if (value.is_null())
            return std::unexpected(invalidKey(key, "null is not a value to choose"));
        if (typeName(value) != typeName(values[0]))
            return std::unexpected(invalidKey(
                key, "values mix types: " + showValue(values[0]) + " is a " + typeName(values[0])
                         + ", " + showValue(value) + " is a " + typeName(value)));
        for (std::size_t j = 0; j < i; ++j)
            if (values[j] == value)
                return std::unexpected(
                    invalidKey(key, "value " + showValue(value) + " is listed twice"));
    }
    dim.values.assign(values.begin(), values.end());
    return {};
}

/// A dimension's values must have the base value's type.
Result<void> checkType(const Dimension &dim, const json &base)
{
    if (base.is_null())
        return {};
    const std::string baseType = typeName(base);
    const std::string given = dim.kind == Kind::Choice ? typeName(dim.values[0]) : "number";
    if (given == baseType)
        return {};
    const std::string what = dim.kind == Kind::Choice
                                 ? "the values are " + given + "s"
                                 : std::string("a ") + kindName(dim.kind) + " range gives numbers";
    return std::unexpected(invalidKey(dim.key, what + ", but " + dim.key + " is a " + baseType
                                                   + " in the base config (" + showValue(base)
                                                   + ")"));
}

/// Every value `dim` can take, for a condition on it; empty for a real-valued dimension.
std::vector<json> possibleValues(const Dimension &dim)
{
    if (dim.kind == Kind::Choice)
        return dim.values;
    std::vector<json> out;
    if (dim.kind == Kind::Int)
        for (std::int64_t i = 0; i < dim.gridCount(); ++i)
            out.push_back(dim.gridValue(i));
    return out;
}

bool contains(const std::vector<json> &values, const json &value)
{
    return std::ranges::any_of(values, [&](const json &v) { return sameValue(v, value); });
}

/// Parses `when` into the dimension's conditions; a condition on a base-config key is decided
/// now (dropped when it holds).
Result<void> parseConditions(Dimension &dim, const json &when, const json &space,
                             const std::map<std::string, Dimension> &parsed, const json &base)
{
    if (!when.is_object() || when.empty())
        return std::unexpected(invalidKey(dim.key, "\"when\" must be a non-empty object such as "
                                                   "{\"optimizer.name\": \"sgd\"}, got "
                                                       + showValue(when)));
    for (const auto &[key, allowed] : when.items()) {
        Condition condition{key, {}};
        if (allowed.is_array())
            condition.values.assign(allowed.begin(), allowed.end());
        else
            condition.values.push_back(allowed);
        if (condition.values.empty())
            return std::unexpected(
                invalidKey(dim.key, "its condition on " + key + " lists no values"));
        if (key == dim.key)
            return std::unexpected(invalidKey(dim.key, "its condition names the key itself"));
        if (space.contains(key)) {
            const auto other = parsed.find(key);
            if (other == parsed.end())
                continue; // that key's own error is reported
            const auto possible = possibleValues(other->second);
            if (possible.empty())
                return std::unexpected(invalidKey(
                    dim.key, "its condition names " + key + ", a " + kindName(other->second.kind)
                                 + " key; a condition needs a choice or int key"));
            for (const auto &value : condition.values)
                if (!contains(possible, value))
                    return std::unexpected(invalidKey(
                        dim.key, "its condition value " + showValue(value) + " is not one of " + key
                                     + "'s values: " + util::join(possible, ", ", showValue)));
            dim.when.push_back(std::move(condition));
            continue;
        }
        const json *value = configValue(base, key);
        if (value == nullptr)
            return std::unexpected(invalidKey(dim.key, "its condition names " + key
                                                           + ", which is neither a key of the "
                                                             "space nor of the base config"));
        if (!contains(condition.values, *value))
            return std::unexpected(invalidKey(
                dim.key, "its condition never holds: " + key + " is " + showValue(*value)
                             + " in the base config and not in the space, and the condition "
                               "wants "
                             + util::join(condition.values, " or ", showValue)));
    }
    return {};
}

/// Sorted by key, each dimension after those its conditions name; an error on a cycle.
Result<std::vector<Dimension>> sampleOrder(std::map<std::string, Dimension> dims)
{
    std::vector<Dimension> order;
    std::set<std::string> placed;
    while (!dims.empty()) {
        auto ready = std::ranges::find_if(dims, [&](const auto &entry) {
            return std::ranges::all_of(entry.second.when,
                                       [&](const Condition &c) { return placed.contains(c.key); });
        });
        if (ready == dims.end()) {
            std::vector<std::string> keys;
            for (const auto &[key, dim] : dims)
                keys.push_back(key);
            return std::unexpected(invalidKey(dims.begin()->first, "conditions form a cycle among: "
                                                                       + util::join(keys)));
        }
        placed.insert(ready->first);
        order.push_back(std::move(ready->second));
        dims.erase(ready);
    }
    return order;
}

} // namespace

bool sameValue(const nlohmann::json &a, const nlohmann::json &b)
{
    if (a.is_number() && b.is_number()) {
        const double x = a.get<double>(), y = b.get<double>();
        return x == y || std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y));
    }
    return a == b;
}

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Uniform: return "uniform";
    case Kind::LogUniform: return "log_uniform";
    case Kind::Int: return "int";
    case Kind::Choice: return "choice";
    }
    return "?";
}

std::int64_t Dimension::gridCount() const
{
    switch (kind) {
    case Kind::Int: return std::int64_t(high - low) / step + 1;
    case Kind::Choice: return std::int64_t(values.size());
    case Kind::Uniform:
    case Kind::LogUniform: return grid;
    }
    return 0;
}

nlohmann::json Dimension::gridValue(std::int64_t i) const
{
    switch (kind) {
    case Kind::Int: return std::int64_t(low) + i * step;
    case Kind::Choice: return values.at(std::size_t(i));
    case Kind::Uniform:
    case Kind::LogUniform: {
        if (i == 0)
            return low;
        if (i + 1 >= grid)
            return high;
        const double t = double(i) / double(grid - 1);
        if (kind == Kind::Uniform)
            return low + t * (high - low);
        return std::clamp(std::exp(std::log(low) + t * (std::log(high) - std::log(low))), low,
                          high);
    }
    }
    return {};
}

const Dimension *SearchSpace::find(const std::string &key) const
{
    const auto at = std::ranges::find(dimensions, key, &Dimension::key);
    return at == dimensions.end() ? nullptr : &*at;
}

Result<SearchSpace> parseSearchSpace(const nlohmann::json &space, const nlohmann::json &base)
{
    try {
        if (!base.is_object())
            return fail(ErrorCode::InvalidArgument, "the base config is not a JSON object");
        if (!space.is_object())
            return fail(ErrorCode::InvalidArgument,
                        "expected an object of config keys, e.g. {\"optimizer.lr\": {\"type\": "
                        "\"log_uniform\", \"low\": 1e-4, \"high\": 0.1}}, got "
                            + showValue(space),
                        "space");
        if (space.empty())
            return fail(ErrorCode::InvalidArgument, "no keys to search", "space");

        std::map<std::string, Dimension> parsed;
        for (const auto &[key, spec] : space.items()) {
            const auto parts = splitKey(key);
            if (key.empty() || std::ranges::any_of(parts, &std::string::empty))
                return std::unexpected(invalidKey(key, "expected a dotted config key such as "
                                                       "optimizer.lr"));
            const json *baseValue = configValue(base, key);
            if (baseValue == nullptr)
                return std::unexpected(invalidKey(key, notAValue(base, key)));
            auto kind = parseKind(key, spec);
            if (!kind)
                return std::unexpected(kind.error());
            const auto &fields = allowedFields(*kind);
            for (const auto &[field, value] : spec.items())
                if (std::ranges::find(fields, field) == fields.end())
                    return std::unexpected(
                        invalidKey(key, "unknown field \"" + field + "\" for a " + kindName(*kind)
                                            + " key; its fields are: " + util::join(fields)));
            Dimension dim;
            dim.key = key;
            dim.kind = *kind;
            Result<void> ok = *kind == Kind::Choice ? parseChoice(key, spec, dim)
                              : *kind == Kind::Int  ? parseInt(key, spec, dim)
                                                    : parseReal(key, spec, dim);
            if (!ok)
                return std::unexpected(ok.error());
            if (auto typed = checkType(dim, *baseValue); !typed)
                return std::unexpected(typed.error());
            parsed.emplace(key, std::move(dim));
        }
        for (auto &[key, dim] : parsed)
            if (const json &spec = space[key]; spec.contains("when"))
                if (auto ok = parseConditions(dim, spec["when"], space, parsed, base); !ok)
                    return std::unexpected(ok.error());
        auto order = sampleOrder(std::move(parsed));
        if (!order)
            return std::unexpected(order.error());
        return SearchSpace{std::move(*order)};
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("unexpected error while reading the space: ") + e.what(), "space");
    }
}

nlohmann::json toJson(const SearchSpace &space)
{
    json out = json::object();
    for (const auto &dim : space.dimensions) {
        json spec = {{"type", kindName(dim.kind)}};
        switch (dim.kind) {
        case Kind::Uniform:
        case Kind::LogUniform:
            spec["low"] = dim.low;
            spec["high"] = dim.high;
            if (dim.grid > 0)
                spec["grid"] = dim.grid;
            break;
        case Kind::Int:
            spec["low"] = std::int64_t(dim.low);
            spec["high"] = std::int64_t(dim.high);
            spec["step"] = dim.step;
            break;
        case Kind::Choice: spec["values"] = dim.values; break;
        }
        if (!dim.when.empty()) {
            json when = json::object();
            for (const auto &condition : dim.when)
                when[condition.key] = condition.values;
            spec["when"] = std::move(when);
        }
        out[dim.key] = std::move(spec);
    }
    return out;
}

bool isActive(const Dimension &dimension, const Params &params)
{
    return std::ranges::all_of(dimension.when, [&](const Condition &condition) {
        const auto value = params.find(condition.key);
        return value != params.end() && contains(condition.values, value->second);
    });
}

Result<std::vector<Params>> gridPoints(const SearchSpace &space)
{
    constexpr std::int64_t kMaxPoints = 1000000;
    std::int64_t total = 1;
    for (const auto &dim : space.dimensions) {
        if (dim.gridCount() == 0)
            return std::unexpected(
                invalidKey(dim.key, std::string("the grid sampler needs a \"grid\" "
                                                "count of points for a ")
                                        + kindName(dim.kind) + " key"));
        total *= dim.gridCount();
        if (total > kMaxPoints)
            return fail(ErrorCode::InvalidArgument,
                        "the grid has more than " + std::to_string(kMaxPoints)
                            + " points; use fewer values or a random or tpe sampler",
                        "space");
    }
    std::vector<Params> points;
    std::set<Params> seen;
    std::vector<std::int64_t> index(space.dimensions.size(), 0);
    for (std::int64_t n = 0; n < total; ++n) {
        // Mixed radix, the last dimension fastest.
        std::int64_t rest = n;
        for (std::size_t d = space.dimensions.size(); d-- > 0;) {
            index[d] = rest % space.dimensions[d].gridCount();
            rest /= space.dimensions[d].gridCount();
        }
        Params point;
        for (std::size_t d = 0; d < space.dimensions.size(); ++d)
            if (isActive(space.dimensions[d], point))
                point[space.dimensions[d].key] = space.dimensions[d].gridValue(index[d]);
        if (seen.insert(point).second)
            points.push_back(std::move(point));
    }
    return points;
}

nlohmann::json::json_pointer configPointer(const std::string &key)
{
    std::string pointer;
    for (const auto &part : splitKey(key)) {
        pointer += '/';
        for (const char c : part)
            pointer += c == '~'   ? std::string("~0")
                       : c == '/' ? std::string("~1")
                                  : std::string(1, c);
    }
    return json::json_pointer(pointer);
}

Result<nlohmann::json> applyParams(const nlohmann::json &config, const Params &params)
{
    try {
        json out = config;
        for (const auto &[key, value] : params) {
            if (configValue(config, key) == nullptr)
                return fail(ErrorCode::NotFound, notAValue(config, key), key);
            out[configPointer(key)] = value;
        }
        return out;
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("unexpected error while applying a trial's values: ") + e.what());
    }
}

} // namespace lathe::sweep
