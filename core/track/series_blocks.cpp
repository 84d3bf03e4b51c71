#include "core/track/series_blocks.h"

#include <cstring>

namespace lathe::track::detail {

namespace {

constexpr std::size_t kColumns = 4; // step, epoch, wall_time, value
constexpr std::size_t kCellBytes = 8;
static_assert(sizeof(double) == kCellBytes && sizeof(std::int64_t) == kCellBytes);

// The id up to which (runId, key) is blocked; 0 when it has no block yet.
Result<std::int64_t> blockedUpTo(sql::Database &db, std::int64_t runId, std::string_view key)
{
    auto stmt = db.prepare("SELECT last_id FROM metric_blocks WHERE run_id = ? AND key = ? "
                           "ORDER BY first_id DESC LIMIT 1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    return *row ? stmt->int64At(0) : 0;
}

// Whether at least a block's worth of samples is waiting after `afterId` (index only).
Result<bool> fullBlockWaiting(sql::Database &db, std::int64_t runId, std::string_view key,
                              std::int64_t afterId)
{
    auto stmt = db.prepare("SELECT count(*) FROM (SELECT 1 FROM metrics WHERE run_id = ? AND "
                           "key = ? AND id > ? LIMIT ?)");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key).bind(3, afterId).bind(4, kBlockRows);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    return stmt->int64At(0) == kBlockRows;
}

struct PackedBlock
{
    std::vector<std::byte> data;
    std::int64_t firstId = 0;
    std::int64_t lastId = 0;
    std::int64_t maxStep = 0;
};

void put(std::vector<std::byte> &data, std::size_t column, std::size_t row, const void *cell)
{
    std::memcpy(data.data() + (column * kBlockRows + row) * kCellBytes, cell, kCellBytes);
}

Result<PackedBlock> packNext(sql::Database &db, std::int64_t runId, std::string_view key,
                             std::int64_t afterId)
{
    auto stmt = db.prepare("SELECT id, step, epoch, wall_time, value FROM metrics "
                           "WHERE run_id = ? AND key = ? AND id > ? ORDER BY id LIMIT ?");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key).bind(3, afterId).bind(4, kBlockRows);
    PackedBlock block;
    block.data.resize(kColumns * kBlockRows * kCellBytes);
    std::size_t row = 0;
    for (; row < std::size_t(kBlockRows); ++row) {
        auto more = stmt->step();
        if (!more)
            return std::unexpected(more.error());
        if (!*more)
            break;
        const std::int64_t step = stmt->int64At(1);
        const double cells[] = {stmt->realAt(2), stmt->realAt(3), stmt->realAt(4)};
        put(block.data, 0, row, &step);
        for (std::size_t c = 0; c < 3; ++c)
            put(block.data, c + 1, row, &cells[c]);
        block.firstId = row == 0 ? stmt->int64At(0) : block.firstId;
        block.lastId = stmt->int64At(0);
        block.maxStep = row == 0 ? step : std::max(block.maxStep, step);
    }
    if (row != std::size_t(kBlockRows))
        return fail(ErrorCode::Internal, "a metric block came out short", db.file().string());
    return block;
}

Result<void> insertBlock(sql::Database &db, std::int64_t runId, std::string_view key,
                         const PackedBlock &block)
{
    auto stmt = db.prepare("INSERT INTO metric_blocks (run_id, key, first_id, last_id, rows, "
                           "max_step, data) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId)
        .bind(2, key)
        .bind(3, block.firstId)
        .bind(4, block.lastId)
        .bind(5, kBlockRows)
        .bind(6, block.maxStep)
        .bindBlob(7, block.data);
    return stmt->run();
}

double cellAt(std::span<const std::byte> data, std::size_t rows, std::size_t column,
              std::size_t row)
{
    const std::byte *cell = data.data() + (column * rows + row) * kCellBytes;
    if (column == 0) {
        std::int64_t step = 0;
        std::memcpy(&step, cell, kCellBytes);
        return double(step);
    }
    double value = 0;
    std::memcpy(&value, cell, kCellBytes);
    return value;
}

std::size_t xColumnIndex(SeriesX x)
{
    switch (x) {
    case SeriesX::Step: return 0;
    case SeriesX::Epoch: return 1;
    case SeriesX::WallTime: return 2;
    }
    return 0;
}

} // namespace

Result<void> sealBlocks(sql::Database &db, std::int64_t runId, std::string_view key)
{
    auto lastId = blockedUpTo(db, runId, key);
    if (!lastId)
        return std::unexpected(lastId.error());
    for (;;) {
        auto waiting = fullBlockWaiting(db, runId, key, *lastId);
        if (!waiting)
            return std::unexpected(waiting.error());
        if (!*waiting)
            return {};
        auto block = packNext(db, runId, key, *lastId);
        if (!block)
            return std::unexpected(block.error());
        if (auto done = insertBlock(db, runId, key, *block); !done)
            return done;
        *lastId = block->lastId;
    }
}

Result<std::int64_t> readBlocks(sql::Database &db, std::int64_t runId, std::string_view key,
                                SeriesX x, std::vector<SeriesPoint> &out)
{
    // Reserve once for all blocks plus a tail, rather than regrowing block by block.
    auto count = db.prepare("SELECT count(*) FROM metric_blocks WHERE run_id = ? AND key = ?");
    if (!count)
        return std::unexpected(count.error());
    count->bind(1, runId).bind(2, key);
    if (auto row = count->step(); !row)
        return std::unexpected(row.error());
    out.reserve(out.size() + std::size_t(count->int64At(0) + 1) * std::size_t(kBlockRows));
    count->reset();

    auto stmt = db.prepare("SELECT last_id, rows, data FROM metric_blocks "
                           "WHERE run_id = ? AND key = ? ORDER BY first_id");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key);
    std::int64_t lastId = 0;
    const std::size_t xColumn = xColumnIndex(x);
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) -> Result<void> {
        const auto rows = static_cast<std::size_t>(row.int64At(1));
        const auto data = row.blobAt(2);
        if (data.size() != rows * kColumns * kCellBytes) {
            return fail(ErrorCode::BadInput,
                        "metric block of '" + std::string(key) + "' (run " + std::to_string(runId)
                            + ") has a bad size",
                        db.file().string());
        }
        for (std::size_t r = 0; r < rows; ++r)
            out.push_back({cellAt(data, rows, xColumn, r), cellAt(data, rows, 3, r)});
        lastId = row.int64At(0);
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    return lastId;
}

Result<void> dropBlocksAfter(sql::Database &db, std::int64_t runId, std::int64_t step)
{
    auto stmt = db.prepare("DELETE FROM metric_blocks WHERE run_id = ?1 AND last_id >= "
                           "(SELECT min(first_id) FROM metric_blocks "
                           "WHERE run_id = ?1 AND max_step > ?2)");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, step);
    return stmt->run();
}

} // namespace lathe::track::detail
