#pragma once

#include "core/track/sqlite.h"
#include "core/track/store_types.h"

#include <algorithm>
#include <string>
#include <string_view>

// Mapping between the runs table and RunInfo/NewRun. Internal to core/track. A header because
// RunInfo has a field named after the tensor library, and the build gives every .cpp that
// names it the 800 MB precompiled header.
namespace lathe::track::detail {

/// Tags are joined with this separator in one column; addTag refuses control characters.
inline constexpr char kTagSeparator = '\x1f';

/// The SELECT list readRunInfo expects, up to and including FROM runs.
inline constexpr std::string_view kSelectRun
    = "SELECT id, name, status, created_at, started_at, ended_at, config_json, host, "
      "torch_version, notes, error_message, seed, parent_id, "
      "(SELECT group_concat(tag, char(31)) FROM tags WHERE tags.run_id = runs.id) FROM runs ";

/// INSERT for a new run; bind with bindNewRun.
inline constexpr std::string_view kInsertRun
    = "INSERT INTO runs (name, status, created_at, config_json, torch_version, seed, parent_id) "
      "VALUES (?1, 'created', ?2, ?3, ?4, ?5, ?6)";

inline std::vector<std::string> splitTags(const std::string &joined)
{
    std::vector<std::string> tags;
    std::size_t start = 0;
    while (!joined.empty() && start <= joined.size()) {
        const auto end = std::min(joined.find(kTagSeparator, start), joined.size());
        tags.push_back(joined.substr(start, end - start));
        start = end + 1;
    }
    std::sort(tags.begin(), tags.end());
    return tags;
}

/// The current row of a kSelectRun statement; BadInput for an unknown status text.
inline Result<RunInfo> readRunInfo(const sql::Statement &row, const std::string &file)
{
    RunInfo info;
    info.id = row.int64At(0);
    info.name = row.textAt(1);
    const auto statusText = row.textAt(2);
    const auto status = parseRunStatus(statusText);
    if (!status) {
        return fail(ErrorCode::BadInput,
                    "run " + std::to_string(info.id) + " has unknown status '" + statusText + "'",
                    file);
    }
    info.status = *status;
    info.createdAt = row.isNull(3) ? 0.0 : row.realAt(3);
    info.startedAt = row.isNull(4) ? 0.0 : row.realAt(4);
    info.endedAt = row.isNull(5) ? 0.0 : row.realAt(5);
    info.configJson = row.textAt(6);
    info.host = row.textAt(7);
    info.torchVersion = row.textAt(8);
    info.notes = row.textAt(9);
    info.errorMessage = row.textAt(10);
    info.seed = static_cast<std::uint64_t>(row.int64At(11));
    info.parentId = row.optionalInt64At(12);
    info.tags = splitTags(row.textAt(13));
    return info;
}

/// Binds a kInsertRun statement. The seed is stored bit-for-bit as a signed 64-bit integer.
inline void bindNewRun(sql::Statement &insert, const NewRun &run, std::string_view configJson,
                       double now)
{
    insert.bind(1, std::string_view(run.name))
        .bind(2, now)
        .bind(3, configJson)
        .bind(4, std::string_view(run.torchVersion))
        .bind(5, static_cast<std::int64_t>(run.seed))
        .bind(6, run.parentId);
}

} // namespace lathe::track::detail
