#pragma once

#include "core/compare/environment_diff.h"
#include "core/track/run_store.h"

#include <nlohmann/json.hpp>

#include <cstdint>

// lathe-cli's side of run environments (core/train/run_environment.h): `show` and `compare`.
namespace lathe::cli {

/// `show --json`'s "environment" (the latest attempt's, or null) and "environment_history"
/// (each earlier attempt that ran elsewhere: its step and what differed from the latest).
void addEnvironmentJson(track::RunStore &store, std::int64_t runId, nlohmann::json &out);
/// `show`'s "environment:" section from what addEnvironmentJson() added.
void printEnvironment(const nlohmann::json &out);

/// `compare --json`'s "environment_diff": {summary, recorded, rows: [{aspect, values}]}.
nlohmann::json environmentDiffJson(const compare::EnvironmentDiff &diff);
/// `compare`'s rows of environment aspects that differ, under the config keys, and the
/// summary ("same config, different CPU"), in the columns of the config table.
void printEnvironmentDiff(const compare::EnvironmentDiff &diff);
/// `compare A B --stats --json`'s "environment_diff": {summary, recorded: [a, b], rows:
/// [{aspect, a, b}]}, each side's distinct values.
nlohmann::json environmentGroupDiffJson(const compare::EnvironmentGroupDiff &diff);
/// `compare A B --stats`'s section on where the sides ran, when that differs: the summary
/// ("the groups ran on different CPU") and each aspect's values on either side.
void printEnvironmentGroupDiff(const compare::EnvironmentGroupDiff &diff);

} // namespace lathe::cli
