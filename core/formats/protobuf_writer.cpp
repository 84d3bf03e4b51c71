#include "core/formats/protobuf_writer.h"

#include <bit>
#include <type_traits>
#include <cstring>

namespace lathe::formats {

namespace {

constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

template<typename T>
void appendLittleEndianValue(std::string &out, T value)
{
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    auto bits = std::bit_cast<Bits>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        out += static_cast<char>(bits & 0xff);
        bits >>= 8;
    }
}

template<typename T>
void appendAll(std::string &out, std::span<const T> values)
{
    if constexpr (std::endian::native == std::endian::little) {
        const auto old = out.size();
        out.resize(old + values.size_bytes());
        if (!values.empty())
            std::memcpy(out.data() + old, values.data(), values.size_bytes());
    } else {
        for (const auto value : values)
            appendLittleEndianValue(out, value);
    }
}

} // namespace

void ProtoWriter::appendVarint(std::string &out, std::uint64_t value)
{
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

void ProtoWriter::tag(int field, int wireType)
{
    appendVarint(m_bytes, (static_cast<std::uint64_t>(field) << 3) | wireType);
}

void ProtoWriter::varint(int field, std::uint64_t value)
{
    tag(field, kVarint);
    appendVarint(m_bytes, value);
}

void ProtoWriter::float32(int field, float value)
{
    tag(field, kFixed32);
    appendLittleEndianValue(m_bytes, value);
}

void ProtoWriter::bytes(int field, std::string_view value)
{
    tag(field, kLengthDelimited);
    appendVarint(m_bytes, value.size());
    m_bytes.append(value);
}

void ProtoWriter::packedInt64s(int field, std::span<const std::int64_t> values)
{
    std::string run;
    for (const auto value : values)
        appendVarint(run, static_cast<std::uint64_t>(value));
    bytes(field, run);
}

void ProtoWriter::packedFloats(int field, std::span<const float> values)
{
    std::string run;
    appendLittleEndian(run, values);
    bytes(field, run);
}

void ProtoWriter::appendLittleEndian(std::string &out, std::span<const float> values)
{
    appendAll(out, values);
}

void ProtoWriter::appendLittleEndian(std::string &out, std::span<const std::int64_t> values)
{
    appendAll(out, values);
}

} // namespace lathe::formats
