#pragma once

#include "core/track/downsample.h"
#include "core/track/sqlite.h"
#include "core/track/store_types.h"

#include <cstdint>
#include <string_view>
#include <vector>

// metric_blocks: whole series packed kBlockRows samples at a time, so that plotting a
// million-point series reads ~250 blobs instead of stepping SQLite through a million rows.
// A derived cache: metrics stays the source of truth, and samples not yet in a block (the
// tail) are read row by row. Internal to core/track; none of it is thread-safe.
namespace lathe::track::detail {

/// Samples per block.
inline constexpr std::int64_t kBlockRows = 4096;

/// Packs every complete kBlockRows of not-yet-blocked samples of (runId, key) into blocks.
/// Call inside the write transaction that added the rows.
Result<void> sealBlocks(sql::Database &db, std::int64_t runId, std::string_view key);

/// Appends the blocked samples of (runId, key) to `out` as (x, value) and returns the last
/// metrics id they cover (0 when there are none). Call inside a ReadSnapshot, then read the
/// rows with a greater id. BadInput for a block whose size does not match its row count.
Result<std::int64_t> readBlocks(sql::Database &db, std::int64_t runId, std::string_view key,
                                SeriesX x, std::vector<SeriesPoint> &out);

/// Drops the run's blocks from the first one holding a step > `step` on, so each series'
/// blocks stay a contiguous prefix. Call in the transaction that deletes those rows.
Result<void> dropBlocksAfter(sql::Database &db, std::int64_t runId, std::int64_t step);

} // namespace lathe::track::detail
