#pragma once

#include "app/cli/cli_args.h"
#include "core/track/sweep_store.h"
#include "core/util/error.h"

#include <cstdint>

// What lathe-cli prints about sweeps: `sweeps`, `sweep show` and the summary after a run.
namespace lathe::cli {

/// Prints how sweep `sweepId` stands to stdout: its status, the trials by state and the best
/// trial with its params. Errors: the store's.
Result<void> printSweepSummary(track::SweepStore &store, std::int64_t sweepId);

/// `lathe-cli sweep show ID [--json]` (positionals "show", ID): the trials table, the best
/// trial and its config, and parameter importance once three trials have completed.
int showSweep(const ParsedArgs &args);

} // namespace lathe::cli
