// A minimal protocol-buffers encoder (proto2/proto3 wire format) for writing ONNX files without
// a protobuf library: varints, length-delimited fields, fixed32 floats and packed repeats.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lathe::formats {

/// Appends fields of one message, in the order called, to a byte string. Nested messages are
/// written into their own ProtoWriter and added with message(). Field numbers must be >= 1.
/// Never throws except std::bad_alloc; not thread-safe (one writer per thread).
class ProtoWriter
{
public:
    /// An integer field of type int32, int64, uint64, bool or enum (wire type 0). Negative
    /// values take ten bytes, as protobuf encodes int64 (no zig-zag: not sint64).
    void varint(int field, std::uint64_t value);
    void int64(int field, std::int64_t value) { varint(field, static_cast<std::uint64_t>(value)); }
    /// A float field (wire type 5, little-endian IEEE 754).
    void float32(int field, float value);
    /// A string or bytes field (wire type 2).
    void bytes(int field, std::string_view value);
    /// A nested message field (wire type 2).
    void message(int field, const ProtoWriter &nested) { bytes(field, nested.m_bytes); }
    /// A packed repeated int64 field (one length-delimited run of varints).
    void packedInt64s(int field, std::span<const std::int64_t> values);
    /// A packed repeated float field (one length-delimited run of fixed32 values).
    void packedFloats(int field, std::span<const float> values);

    /// The encoded message so far.
    const std::string &data() const { return m_bytes; }

    /// Appends `values` as little-endian bytes to `out` (ONNX raw_data), whatever the host's
    /// byte order.
    static void appendLittleEndian(std::string &out, std::span<const float> values);
    static void appendLittleEndian(std::string &out, std::span<const std::int64_t> values);

private:
    void tag(int field, int wireType);
    static void appendVarint(std::string &out, std::uint64_t value);

    std::string m_bytes;
};

} // namespace lathe::formats
