#include "core/util/file_digest_cache.h"

#include "core/util/paths.h"
#include "core/util/sha256.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <fstream>

namespace lathe::util {

namespace {

using nlohmann::json;

std::int64_t mtimeNs(const std::filesystem::path &file, std::error_code &ec)
{
    const auto time = std::filesystem::last_write_time(file, ec);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

} // namespace

FileDigestCache::FileDigestCache(std::filesystem::path cacheFile)
    : m_file(std::move(cacheFile))
{
    std::ifstream in(m_file);
    if (!in)
        return;
    const auto j = json::parse(in, nullptr, false);
    if (!j.is_object())
        return;
    for (const auto &[path, e] : j.items()) {
        if (!e.is_object() || !e.contains("sha256") || !e["sha256"].is_string()
            || !e.value("bytes", json()).is_number_integer()
            || !e.value("mtime_ns", json()).is_number_integer())
            continue;
        m_entries[path] = {e["bytes"].get<std::int64_t>(), e["mtime_ns"].get<std::int64_t>(),
                           e["sha256"].get<std::string>()};
    }
}

Result<std::string> FileDigestCache::sha256(const std::filesystem::path &file)
{
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(file, ec).lexically_normal().string();
    const auto bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
    const auto mtime = ec ? 0 : mtimeNs(file, ec);
    if (ec)
        return fail(ErrorCode::Io, "cannot read the file's size and time: " + ec.message(),
                    file.string());
    if (const auto it = m_entries.find(absolute);
        it != m_entries.end() && it->second.bytes == bytes && it->second.mtimeNs == mtime)
        return it->second.sha256;
    auto digest = sha256File(file);
    if (!digest)
        return digest;
    ++m_computed;
    m_entries[absolute] = {bytes, mtime, *digest};
    m_dirty = true;
    return digest;
}

Result<void> FileDigestCache::save()
{
    if (!m_dirty)
        return {};
    json j = json::object();
    for (const auto &[path, e] : m_entries)
        j[path] = {{"bytes", e.bytes}, {"mtime_ns", e.mtimeNs}, {"sha256", e.sha256}};
    std::error_code ec;
    std::filesystem::create_directories(m_file.parent_path(), ec);
    // A private temporary name per process: two processes saving at once never mix their bytes.
    const auto temporary = m_file.string() + "." + std::to_string(::getpid()) + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << j.dump(1) << '\n';
        if (!out.flush())
            return fail(ErrorCode::Io, "cannot write the digest cache", temporary);
    }
    std::filesystem::rename(temporary, m_file, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        return fail(ErrorCode::Io, "cannot replace the digest cache", m_file.string());
    }
    m_dirty = false;
    return {};
}

std::filesystem::path FileDigestCache::defaultFile()
{
    return dataDir() / "cache" / "file-digests.json";
}

} // namespace lathe::util
