#include "core/formats/safetensors.h"

#include "core/formats/atomic_file.h"
#include "core/formats/safetensors_header.h"
#include "core/formats/weight_compression.h"
#include "core/util/torch_error.h"

#include <nlohmann/json.hpp>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace lathe::formats {

// Tensors are written and read as their in-memory bytes, which the format wants little endian.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes little endian");

namespace {

using Json = nlohmann::ordered_json;

struct Prepared
{
    std::string header;              ///< JSON, padded with spaces to 8-byte alignment
    std::vector<torch::Tensor> data; ///< CPU, contiguous, in header order
};

std::unexpected<Error> invalid(const std::string &file, std::string message)
{
    return fail(ErrorCode::InvalidArgument, std::move(message), file);
}

Result<Prepared> prepare(const NamedTensors &tensors,
                         const std::map<std::string, std::string> &metadata,
                         const std::string &file)
{
    Json header = Json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    Prepared out;
    std::set<std::string> names;
    std::uint64_t offset = 0;
    for (const auto &[name, tensor] : tensors) {
        if (name == "__metadata__" || !names.insert(name).second)
            return invalid(file, "tensor name \"" + name + "\" is reserved or given twice");
        const auto *dtype = tensor.defined() ? detail::dtypeOf(tensor.scalar_type()) : nullptr;
        if (!dtype)
            return invalid(file,
                           "tensor \"" + name + "\" is undefined or of a dtype ("
                               + (tensor.defined() ? c10::toString(tensor.scalar_type()) : "none")
                               + ") that safetensors cannot store");
        auto data = tensor.detach().to(torch::kCPU).contiguous();
        const auto bytes = static_cast<std::uint64_t>(data.nbytes());
        header[name] = {{"dtype", std::string(dtype->name)},
                        {"shape", data.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        out.data.push_back(std::move(data));
    }
    try {
        out.header = header.dump();
    } catch (const Json::exception &) {
        return invalid(file, "a tensor name or metadata string is not valid UTF-8");
    }
    // 8 bytes of length + header: pad so that the data starts on an 8-byte boundary.
    out.header.append((8 - out.header.size() % 8) % 8, ' ');
    return out;
}

Result<void> writePrepared(const Prepared &prepared, const std::filesystem::path &file)
{
    auto out = AtomicFile::open(file);
    if (!out)
        return std::unexpected(out.error());
    std::array<unsigned char, 8> length{};
    for (std::size_t i = 0; i < length.size(); ++i)
        length[i] = static_cast<unsigned char>(prepared.header.size() >> (8 * i));
    if (auto ok = out->write(length.data(), length.size()); !ok)
        return ok;
    if (auto ok = out->write(prepared.header); !ok)
        return ok;
    for (const auto &tensor : prepared.data)
        if (auto ok = out->write(tensor.data_ptr(), tensor.nbytes()); !ok)
            return ok;
    return out->commit();
}

std::unexpected<Error> badInput(const std::string &file, std::string message)
{
    return fail(ErrorCode::BadInput, std::move(message), file);
}

// The file's size, or NotFound/Io naming it.
Result<std::uint64_t> fileSize(const std::filesystem::path &file)
{
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status))
        return fail(ErrorCode::NotFound, "file does not exist", file.string());
    if (!std::filesystem::is_regular_file(status))
        return fail(ErrorCode::Io, "not a regular file", file.string());
    const auto size = std::filesystem::file_size(file, ec);
    if (ec)
        return fail(ErrorCode::Io, "cannot read the file: " + ec.message(), file.string());
    return size;
}

// Reads the length field and checks it against the limit and the file's size.
Result<std::uint64_t> readHeaderLength(std::ifstream &in, std::uint64_t size,
                                       const std::string &file)
{
    if (size < 8)
        return badInput(file, "file is " + std::to_string(size)
                                  + " bytes, shorter than the 8-byte header length");
    std::array<unsigned char, 8> bytes{};
    if (!in.read(reinterpret_cast<char *>(bytes.data()), bytes.size()))
        return fail(ErrorCode::Io, "cannot read the header length", file);
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        length |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
    if (length == 0)
        return badInput(file, "header length is 0 (no JSON header)");
    if (length > kMaxSafetensorsHeaderBytes)
        return badInput(file,
                        "header of " + std::to_string(length) + " bytes is over the 100 MB limit");
    if (length > size - 8)
        return badInput(file, "header of " + std::to_string(length)
                                  + " bytes runs past the end of the file (" + std::to_string(size)
                                  + " bytes)");
    return length;
}

Result<NamedTensors> readData(std::ifstream &in, const std::vector<detail::HeaderEntry> &entries,
                              std::uint64_t dataStart, const std::string &file)
{
    NamedTensors tensors;
    for (const auto &e : entries) {
        // parseHeader checked end <= the data's real size, so this allocation is bounded.
        auto tensor = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
        const auto bytes = static_cast<std::streamsize>(e.end - e.begin);
        in.seekg(static_cast<std::streamoff>(dataStart + e.begin));
        if (bytes > 0 && !in.read(static_cast<char *>(tensor.data_ptr()), bytes))
            return fail(ErrorCode::Io, "cannot read the data of tensor \"" + e.name + "\"", file);
        tensors.emplace_back(e.name, std::move(tensor));
    }
    return tensors;
}

Result<SafetensorsFile> readChecked(const std::filesystem::path &path)
{
    const std::string file = path.string();
    auto size = fileSize(path);
    if (!size)
        return std::unexpected(size.error());
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, std::string("cannot open the file: ") + std::strerror(errno),
                    file);
    auto length = readHeaderLength(in, *size, file);
    if (!length)
        return std::unexpected(length.error());
    std::string text(*length, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(text.size())))
        return fail(ErrorCode::Io, "cannot read the header", file);
    auto header = detail::parseHeader(text, *size - 8 - *length, file);
    if (!header)
        return std::unexpected(header.error());
    auto tensors = readData(in, header->entries, 8 + *length, file);
    if (!tensors)
        return std::unexpected(tensors.error());
    return SafetensorsFile{std::move(*tensors), std::move(header->metadata)};
}

} // namespace

Result<void> writeSafetensors(const std::vector<std::pair<std::string, torch::Tensor>> &tensors,
                              const std::map<std::string, std::string> &metadata,
                              const std::filesystem::path &file)
{
    try {
        auto prepared = prepare(tensors, metadata, file.string());
        if (!prepared)
            return std::unexpected(prepared.error());
        return writePrepared(*prepared, file);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "cannot write safetensors: " + util::describe(e),
                    file.string());
    }
}

Result<SafetensorsFile> readSafetensorsFile(const std::filesystem::path &file)
{
    try {
        return readChecked(file);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Io, "cannot read safetensors: " + util::describe(e), file.string());
    }
}

Result<std::vector<std::pair<std::string, torch::Tensor>>>
readSafetensors(const std::filesystem::path &file)
{
    auto contents = readSafetensorsFile(file);
    if (!contents)
        return std::unexpected(contents.error());
    return std::move(contents->tensors);
}

Result<void> loadSafetensorsInto(model::Net &net, const std::filesystem::path &file,
                                 const SafetensorsLoadOptions &options)
{
    auto tensors = readSafetensors(file);
    if (!tensors)
        return std::unexpected(tensors.error());
    if (options.dequantizeInt8) {
        auto dequantized = dequantizeWeightsInt8(*tensors, file.string());
        if (!dequantized)
            return std::unexpected(dequantized.error());
        *tensors = std::move(*dequantized);
    }
    return loadStateDict(net, *tensors, file.string(), options);
}

} // namespace lathe::formats
