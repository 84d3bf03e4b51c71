#pragma once

#include "core/util/error.h"
#include "panels/curves/curve_set.h"

#include <QString>

#include <vector>

namespace lathe::panels {

/// Writes the samples of `series` as CSV with the header run,run_name,key,step,epoch,
/// wall_time,value (one row per stored sample, full resolution; names quoted as needed).
/// Returns the number of rows written; Io naming the file when it cannot be written.
/// Thread-safe (the snapshots are never changed): meant to run off the GUI thread.
Result<std::size_t> writeCurvesCsv(const QString &path,
                                   const std::vector<CurveSet::Snapshot> &series);

} // namespace lathe::panels
