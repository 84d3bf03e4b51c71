// Writes TensorBoard event files for the tests, from the published layout alone: TFRecord
// framing (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data) and
// protobuf's wire format with the field numbers of tensorflow's event.proto, summary.proto and
// tensor.proto. Its CRC-32C is a bit-at-a-time one of its own (tst_crc32c checks it against
// RFC 3720's vectors), independent of the reader's table-driven one.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::testing {

inline std::uint32_t bitwiseCrc32c(std::string_view bytes)
{
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const unsigned char byte : bytes) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1U)));
    }
    return ~crc;
}

inline std::uint32_t maskedCrc(std::string_view bytes)
{
    const std::uint32_t crc = bitwiseCrc32c(bytes);
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8U;
}

// ---- protobuf wire format ---------------------------------------------------------------------

inline void putVarint(std::string &out, std::uint64_t value)
{
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7F) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

template<typename T>
void putFixed(std::string &out, T value)
{
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T)); // little-endian host, as the wire format
    out.append(bytes, sizeof(T));
}

inline std::string varintField(int field, std::uint64_t value)
{
    std::string out;
    putVarint(out, std::uint64_t(field) << 3 | 0);
    putVarint(out, value);
    return out;
}

inline std::string doubleField(int field, double value)
{
    std::string out;
    putVarint(out, std::uint64_t(field) << 3 | 1);
    putFixed(out, value);
    return out;
}

inline std::string floatField(int field, float value)
{
    std::string out;
    putVarint(out, std::uint64_t(field) << 3 | 5);
    putFixed(out, value);
    return out;
}

inline std::string bytesField(int field, std::string_view bytes)
{
    std::string out;
    putVarint(out, std::uint64_t(field) << 3 | 2);
    putVarint(out, bytes.size());
    out.append(bytes);
    return out;
}

// ---- event.proto / summary.proto ----------------------------------------------------------

/// Event{wall_time = 1, step = 2, summary = 5 {value = 1 [Value]}}.
inline std::string eventWith(double wallTime, std::int64_t step, const std::string &values)
{
    return doubleField(1, wallTime) + varintField(2, std::uint64_t(step)) + bytesField(5, values);
}

/// Summary.Value{tag = 1, simple_value = 2}, as PyTorch's SummaryWriter writes scalars.
inline std::string simpleValue(const std::string &tag, float value)
{
    return bytesField(1, bytesField(1, tag) + floatField(2, value));
}

/// Summary.Value{tag = 1, metadata = 9 {plugin_data = 1 {plugin_name = 1}}, tensor = 8
/// {dtype = 1 (DT_FLOAT), tensor_shape = 2 {} , float_val = 5 [packed]}}: TF 2's scalars, the
/// metadata on a tag's first value only. `plugin` other than "scalars" marks another kind.
inline std::string tensorValue(const std::string &tag, float value, bool withMetadata,
                               const std::string &plugin = "scalars")
{
    std::string packed;
    putFixed(packed, value);
    const std::string tensor = varintField(1, 1) + bytesField(2, "") + bytesField(5, packed);
    std::string body = bytesField(1, tag);
    if (withMetadata)
        body += bytesField(9, bytesField(1, bytesField(1, plugin)));
    return bytesField(1, body + bytesField(8, tensor));
}

/// The first event of every file: Event{wall_time, file_version = 3 "brain.Event:2"}.
inline std::string fileVersionEvent(double wallTime)
{
    return doubleField(1, wallTime) + bytesField(3, "brain.Event:2");
}

/// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
inline std::string record(std::string_view data)
{
    std::string out;
    putFixed(out, std::uint64_t(data.size()));
    putFixed(out, maskedCrc(out));
    out.append(data);
    putFixed(out, maskedCrc(data));
    return out;
}

/// An event file's bytes built record by record; offsets() gives where each starts.
class EventFileBuilder
{
public:
    EventFileBuilder &add(const std::string &eventBytes)
    {
        m_offsets.push_back(std::int64_t(m_bytes.size()));
        m_bytes += record(eventBytes);
        return *this;
    }
    EventFileBuilder &scalar(double wallTime, std::int64_t step, const std::string &tag,
                             float value)
    {
        return add(eventWith(wallTime, step, simpleValue(tag, value)));
    }
    std::string &bytes() { return m_bytes; }
    const std::vector<std::int64_t> &offsets() const { return m_offsets; }
    void write(const std::filesystem::path &file) const
    {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << m_bytes;
    }

private:
    std::string m_bytes;
    std::vector<std::int64_t> m_offsets;
};

} // namespace lathe::testing
