#include "core/formats/safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <set>

namespace lathe::formats::detail {

namespace {

using Json = nlohmann::ordered_json;
using c10::ScalarType;

// The dtypes of the published format (huggingface/safetensors), LibTorch's where it has one.
constexpr std::array<SafetensorsDtype, 15> kDtypes = {{
    {"BOOL", 1, ScalarType::Bool},
    {"U8", 1, ScalarType::Byte},
    {"I8", 1, ScalarType::Char},
    {"I16", 2, ScalarType::Short},
    {"U16", 2, std::nullopt},
    {"I32", 4, ScalarType::Int},
    {"U32", 4, std::nullopt},
    {"I64", 8, ScalarType::Long},
    {"U64", 8, std::nullopt},
    {"F16", 2, ScalarType::Half},
    {"BF16", 2, ScalarType::BFloat16},
    {"F32", 4, ScalarType::Float},
    {"F64", 8, ScalarType::Double},
    {"F8_E5M2", 1, std::nullopt},
    {"F8_E4M3", 1, std::nullopt},
}};

std::unexpected<Error> bad(const std::string &file, std::string message)
{
    return fail(ErrorCode::BadInput, std::move(message), file);
}

std::string inQuotes(const std::string &name)
{
    return "\"" + name + "\"";
}

// Parses the JSON, refusing duplicate keys in any object (nlohmann would keep the last).
Result<Json> parseJson(std::string_view text, const std::string &file)
{
    std::vector<std::set<std::string>> open;
    std::optional<std::string> duplicate;
    auto track = [&](int, Json::parse_event_t event, Json &parsed) {
        if (event == Json::parse_event_t::object_start)
            open.emplace_back();
        else if (event == Json::parse_event_t::object_end)
            open.pop_back();
        else if (event == Json::parse_event_t::key
                 && !open.back().insert(parsed.get<std::string>()).second && !duplicate)
            duplicate = parsed.get<std::string>();
        return true;
    };
    Json json;
    try {
        json = Json::parse(text.begin(), text.end(), track);
    } catch (const Json::exception &e) {
        return bad(file, std::string("header is not valid JSON: ") + e.what());
    }
    if (!json.is_object() || text.empty() || text.front() != '{')
        return bad(file, "header is not a JSON object (it must start with '{')");
    if (duplicate)
        return bad(file, "header holds the key " + inQuotes(*duplicate)
                             + " twice (tensor names must be unique)");
    return json;
}

// A JSON integer >= 0 (up to int64's maximum), or nullopt with `negative` set for < 0.
std::optional<std::uint64_t> naturalNumber(const Json &value, bool *negative = nullptr)
{
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return v;
    } else if (value.is_number_integer() && negative) {
        *negative = true;
    }
    return std::nullopt;
}

Result<std::vector<std::int64_t>> parseShape(const std::string &name, const Json &shape,
                                             const std::string &file)
{
    if (!shape.is_array())
        return bad(file, "tensor " + inQuotes(name) + ": shape must be an array of integers");
    std::vector<std::int64_t> dims;
    for (const auto &dim : shape) {
        bool negative = false;
        auto value = naturalNumber(dim, &negative);
        if (negative)
            return bad(file, "tensor " + inQuotes(name) + " has a negative dimension in its shape "
                                 + shape.dump());
        if (!value)
            return bad(file, "tensor " + inQuotes(name) + ": shape must be an array of "
                                 + "non-negative integers, got " + shape.dump());
        dims.push_back(static_cast<std::int64_t>(*value));
    }
    return dims;
}

Result<std::pair<std::uint64_t, std::uint64_t>>
parseOffsets(const std::string &name, const Json &offsets, const std::string &file)
{
    if (offsets.is_array() && offsets.size() == 2) {
        auto begin = naturalNumber(offsets[0]);
        auto end = naturalNumber(offsets[1]);
        if (begin && end && *begin <= *end)
            return std::pair{*begin, *end};
    }
    return bad(file, "tensor " + inQuotes(name) + ": data_offsets must be 2 ascending "
                         + "integers [begin, end], got " + offsets.dump());
}

Result<ScalarType> parseDtype(const std::string &name, const Json &dtype, const std::string &file)
{
    if (!dtype.is_string())
        return bad(file,
                   "tensor " + inQuotes(name) + ": dtype must be a string, got " + dtype.dump());
    const auto *known = dtypeByName(dtype.get<std::string>());
    if (!known)
        return bad(file, "tensor " + inQuotes(name) + " has unknown dtype " + dtype.dump());
    if (!known->type)
        return bad(file, "tensor " + inQuotes(name) + " has dtype " + dtype.dump()
                             + ", which LibTorch " + "here cannot hold");
    return *known->type;
}

Result<void> checkByteSize(const HeaderEntry &e, const std::string &file)
{
    std::uint64_t bytes = dtypeOf(e.type)->bytes;
    for (auto dim : e.shape)
        if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(dim), &bytes))
            return bad(file, "tensor " + inQuotes(e.name) + ": its shape is too large");
    if (bytes != e.end - e.begin)
        return bad(file, "tensor " + inQuotes(e.name) + ": " + std::string(dtypeOf(e.type)->name)
                             + " of that shape is " + std::to_string(bytes)
                             + " bytes, but data_offsets [" + std::to_string(e.begin) + ", "
                             + std::to_string(e.end) + "] span " + std::to_string(e.end - e.begin));
    return {};
}

Result<HeaderEntry> parseEntry(const std::string &name, const Json &value, const std::string &file)
{
    if (!value.is_object())
        return bad(file, "tensor " + inQuotes(name) + ": its entry is not an object");
    for (const char *key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key))
            return bad(file, "tensor " + inQuotes(name) + " has no \"" + key + "\"");
    auto type = parseDtype(name, value["dtype"], file);
    if (!type)
        return std::unexpected(type.error());
    auto shape = parseShape(name, value["shape"], file);
    if (!shape)
        return std::unexpected(shape.error());
    auto offsets = parseOffsets(name, value["data_offsets"], file);
    if (!offsets)
        return std::unexpected(offsets.error());
    HeaderEntry entry{name, *type, std::move(*shape), offsets->first, offsets->second};
    if (auto sized = checkByteSize(entry, file); !sized)
        return std::unexpected(sized.error());
    return entry;
}

Result<std::map<std::string, std::string>> parseMetadata(const Json &value, const std::string &file)
{
    if (!value.is_object())
        return bad(file, "__metadata__ must be an object of strings");
    std::map<std::string, std::string> metadata;
    for (const auto &[key, text] : value.items()) {
        if (!text.is_string())
            return bad(file, "__metadata__ must map strings to strings, but " + inQuotes(key)
                                 + " is " + text.dump());
        metadata[key] = text.get<std::string>();
    }
    return metadata;
}

// The entries, sorted by offset, must tile [0, dataBytes) exactly.
Result<void> checkCoverage(std::vector<HeaderEntry> entries, std::uint64_t dataBytes,
                           const std::string &file)
{
    for (const auto &e : entries)
        if (e.end > dataBytes)
            return bad(file, "tensor " + inQuotes(e.name) + " ends at byte " + std::to_string(e.end)
                                 + " of the data, but the file holds only "
                                 + std::to_string(dataBytes) + " bytes of data (truncated?)");
    std::ranges::sort(entries, {}, [](const HeaderEntry &e) { return std::pair{e.begin, e.end}; });
    std::uint64_t covered = 0;
    const HeaderEntry *previous = nullptr;
    for (const auto &e : entries) {
        if (e.begin < covered)
            return bad(file, "tensors " + inQuotes(previous->name) + " and " + inQuotes(e.name)
                                 + " overlap: the second starts at byte " + std::to_string(e.begin)
                                 + ", before the first ends at " + std::to_string(covered));
        if (e.begin > covered)
            return bad(file, "bytes " + std::to_string(covered) + " to " + std::to_string(e.begin)
                                 + " of the data belong to no tensor (there must be no gaps)");
        covered = e.end;
        previous = &e;
    }
    if (covered < dataBytes)
        return bad(file, "the last " + std::to_string(dataBytes - covered)
                             + " bytes of the data belong to no tensor (there must be no "
                             + "unused bytes)");
    return {};
}

} // namespace

const SafetensorsDtype *dtypeByName(std::string_view name)
{
    auto it = std::ranges::find(kDtypes, name, &SafetensorsDtype::name);
    return it == kDtypes.end() ? nullptr : &*it;
}

const SafetensorsDtype *dtypeOf(c10::ScalarType type)
{
    auto it = std::ranges::find(kDtypes, std::optional(type), &SafetensorsDtype::type);
    return it == kDtypes.end() ? nullptr : &*it;
}

Result<Header> parseHeader(std::string_view text, std::uint64_t dataBytes, const std::string &file)
{
    auto json = parseJson(text, file);
    if (!json)
        return std::unexpected(json.error());
    Header header;
    for (const auto &[name, value] : json->items()) {
        if (name == "__metadata__") {
            auto metadata = parseMetadata(value, file);
            if (!metadata)
                return std::unexpected(metadata.error());
            header.metadata = std::move(*metadata);
            continue;
        }
        auto entry = parseEntry(name, value, file);
        if (!entry)
            return std::unexpected(entry.error());
        header.entries.push_back(std::move(*entry));
    }
    if (auto covered = checkCoverage(header.entries, dataBytes, file); !covered)
        return std::unexpected(covered.error());
    return header;
}

} // namespace lathe::formats::detail
