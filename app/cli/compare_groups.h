// lathe-cli compare --group-by / --stats: groups of runs and the A/B comparison of two of them.
#pragma once

#include "app/cli/cli_args.h"

#include "core/track/run_store.h"

namespace lathe::cli {

/// `compare [RUN...] --group-by KEY [--group-by KEY]... [--metric KEY]... [--json]`: the runs
/// named (all of the store's when none) grouped by the keys, each group's count and its final
/// metrics' mean, std, min, max. Returns the exit code.
int compareGroups(const ParsedArgs &a, track::RunStore &store);

/// `compare A B --stats [--metric KEY] [--json]`: A and B are each a run (its repeat group when
/// it has one) or KEY=VALUE (the runs whose group value for KEY is VALUE, e.g.
/// repeat=fashion-cnn-20261204-051500 or training.label_smoothing=0.1); prints both sides, the
/// verdict (Welch's t-test and a permutation test) and the config keys whose values differ
/// between the sides. Returns the exit code.
int compareStats(const ParsedArgs &a, track::RunStore &store);

} // namespace lathe::cli
