#pragma once

#include "core/util/error.h"

#include <filesystem>
#include <string>
#include <vector>

// `lathe-cli export-metrics`: stored runs' metrics as long CSV files and their configs as JSON,
// for pandas, R or a spreadsheet.
namespace lathe::interop {

/// The files written for one run.
struct ExportedMetrics
{
    std::int64_t runId = 0;
    std::string name{};
    std::filesystem::path csv{};    ///< <id>-<name>.metrics.csv
    std::filesystem::path config{}; ///< <id>-<name>.config.json
    std::int64_t rows = 0;
};

/// The header line of the CSV files ("run,key,step,epoch,time,value").
inline constexpr const char *kMetricsCsvHeader = "run,key,step,epoch,time,value";

/// Writes, for each of `runs` (ids or names) of the store `db`, its metrics as a long CSV
/// (one row per sample: run name, key, step, epoch, unix time, value; series sorted by key,
/// samples in the order they were stored; NaN as "nan", infinities as "inf"/"-inf") and its
/// config as JSON, into `outDir` (created when missing). Every run is looked up before
/// anything is written: NotFound names the first unknown one. Io names the folder or file that
/// cannot be written. Opens the store for reading on the calling thread. Thread-safe.
Result<std::vector<ExportedMetrics>> exportMetrics(const std::filesystem::path &db,
                                                   const std::vector<std::string> &runs,
                                                   const std::filesystem::path &outDir);

} // namespace lathe::interop
