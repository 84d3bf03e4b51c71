#include "core/train/stored_run.h"

#include "core/train/checkpoint.h"
#include "core/util/join.h"
#include "core/util/paths.h"
#include "core/util/sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <tuple>

namespace lathe::train {

namespace {

constexpr std::string_view kArtifactPrefix = "checkpoint-";

// N of "epoch-N" (N >= 0, digits only), else nullopt.
std::optional<std::int64_t> epochNumber(std::string_view name)
{
    constexpr std::string_view kPrefix = "epoch-";
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size())
        return std::nullopt;
    const auto digits = name.substr(kPrefix.size());
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n < 0)
        return std::nullopt;
    return n;
}

// The position a checkpoint file says it was written at; nullopt when it cannot be read.
std::optional<TrainState> stateOf(const std::filesystem::path &path)
{
    auto state = readCheckpointState(path);
    return state ? std::optional<TrainState>(std::move(*state)) : std::nullopt;
}

bool isCheckpointName(const std::string &name)
{
    return name == "best" || name == "last" || epochNumber(name).has_value();
}

// best, last, then epoch-N by N.
bool listedBefore(const CheckpointInfo &a, const CheckpointInfo &b)
{
    const auto rank = [](const CheckpointInfo &c) {
        return c.name == "best"   ? std::pair<int, std::int64_t>{0, 0}
               : c.name == "last" ? std::pair<int, std::int64_t>{1, 0}
                                  : std::pair<int, std::int64_t>{2, *epochNumber(c.name)};
    };
    return rank(a) < rank(b);
}

std::string checkpointNames(const std::vector<CheckpointInfo> &checkpoints)
{
    if (checkpoints.empty())
        return "none (the run stopped before its first checkpoint)";
    return util::join(checkpoints, ", ", [](const CheckpointInfo &c) {
        return c.name + (c.missing ? " (file missing)" : "");
    });
}

// The recorded file, or the same name in the run's folder when the store has moved (or the
// path was recorded relative to another working directory).
std::filesystem::path locate(const std::filesystem::path &recorded, const std::filesystem::path &db,
                             std::int64_t runId)
{
    std::error_code ec;
    if (std::filesystem::is_regular_file(recorded, ec))
        return recorded;
    // Stores not named lathe.db kept their runs in runs/<id> too before they got a folder each.
    for (const auto &dir :
         {runDirectory(db, runId), db.parent_path() / "runs" / std::to_string(runId)}) {
        const auto moved = dir / recorded.filename();
        if (std::filesystem::is_regular_file(moved, ec))
            return moved;
    }
    return recorded;
}

// Picks `requested`, or best else last; fills `note` for a default.
Result<CheckpointInfo> choose(const std::vector<CheckpointInfo> &checkpoints,
                              const track::RunInfo &run, const std::string &requested,
                              std::string *note)
{
    const auto find = [&](const std::string &name) {
        return std::find_if(checkpoints.begin(), checkpoints.end(),
                            [&](const CheckpointInfo &c) { return c.name == name; });
    };
    if (!requested.empty()) {
        if (!isCheckpointName(requested))
            return fail(ErrorCode::InvalidArgument,
                        "\"" + requested + "\" is not a checkpoint name (best, last or epoch-<N>); "
                            + runLabel(run) + " has: " + checkpointNames(checkpoints));
        const auto it = find(requested);
        if (it == checkpoints.end())
            return fail(ErrorCode::NotFound,
                        runLabel(run) + " has no checkpoint \"" + requested
                            + "\"; available: " + checkpointNames(checkpoints));
        return *it;
    }
    for (const char *name : {"best", "last"}) {
        const auto it = find(name);
        if (it == checkpoints.end() || it->missing)
            continue;
        if (note)
            *note = std::string(name) == "best"
                        ? "using checkpoint \"best\" (the default)"
                        : "using checkpoint \"last\": the run has no \"best\" checkpoint (it "
                          "stopped before the end of its first epoch)";
        return *it;
    }
    return fail(ErrorCode::NotFound, runLabel(run) + " has no checkpoint to load; recorded: "
                                         + checkpointNames(checkpoints));
}

// Whether the file's SHA-256 is the recorded one.
bool hashMatches(const CheckpointInfo &c)
{
    auto sha = util::sha256File(c.path);
    return sha && *sha == c.sha256;
}

// Ok when the file is there and its SHA-256 is the recorded one.
Result<void> verify(const CheckpointInfo &c, const track::RunInfo &run)
{
    const std::string what = "checkpoint \"" + c.name + "\" of " + runLabel(run);
    if (c.missing)
        return fail(ErrorCode::BadInput, what + " is recorded but its file is missing",
                    c.path.string());
    if (c.sha256.empty())
        return {};
    auto sha = util::sha256File(c.path);
    if (!sha)
        return std::unexpected(sha.error());
    if (*sha != c.sha256)
        return fail(ErrorCode::BadInput,
                    what
                        + " does not match the SHA-256 recorded when training wrote it: the "
                          "file was changed or replaced since",
                    c.path.string());
    return {};
}

bool isTraining(const track::RunInfo &run)
{
    return run.status == track::RunStatus::Running || run.status == track::RunStatus::Paused;
}

} // namespace

std::string runLabel(const track::RunInfo &run)
{
    return "run " + std::to_string(run.id) + " (" + run.name + ")";
}

std::filesystem::path runDirectory(const std::filesystem::path &db, std::int64_t runId)
{
    auto runs = db.parent_path() / "runs";
    if (db.filename() != util::kDefaultDbName)
        runs /= db.stem();
    return runs / std::to_string(runId);
}

Result<RunConfig> storedConfig(const track::RunInfo &run)
{
    auto config = RunConfig::fromJson(nlohmann::json::parse(run.configJson, nullptr, false));
    if (!config)
        return fail(ErrorCode::BadInput,
                    runLabel(run) + "'s stored config is invalid: " + config.error().toString());
    return config;
}

Result<std::vector<CheckpointInfo>>
listCheckpoints(track::RunStore &store, const std::filesystem::path &db, std::int64_t runId)
{
    auto artifacts = store.artifacts(runId);
    if (!artifacts)
        return std::unexpected(artifacts.error());
    // Each write of a checkpoint adds a row: the latest row of a kind describes the file.
    std::map<std::string, track::ArtifactRow> latest;
    for (auto &row : *artifacts) {
        if (row.kind.starts_with(kArtifactPrefix)
            && isCheckpointName(row.kind.substr(kArtifactPrefix.size())))
            latest[row.kind.substr(kArtifactPrefix.size())] = std::move(row);
    }
    std::vector<CheckpointInfo> out;
    for (const auto &[name, row] : latest) {
        CheckpointInfo info{name, locate(row.path, db, runId), row.sha256};
        std::error_code ec;
        info.missing = !std::filesystem::is_regular_file(info.path, ec);
        // Only a file with the recorded bytes is parsed: LibTorch's reader can crash on a
        // damaged one (found by fuzz_checkpoint).
        const bool intact = !info.missing && (info.sha256.empty() || hashMatches(info));
        if (auto state = intact ? stateOf(info.path) : std::nullopt) {
            info.epoch = state->epoch;
            info.step = state->step;
        } else if (auto n = epochNumber(name)) {
            info.epoch = *n;
        }
        out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), listedBefore);
    return out;
}

Result<std::vector<CheckpointInfo>> listCheckpoints(const std::filesystem::path &db,
                                                    std::int64_t runId)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    return listCheckpoints(**store, db, runId);
}

Result<CheckpointInfo> storedCheckpoint(track::RunStore &store, const std::filesystem::path &db,
                                        const track::RunInfo &run, const std::string &requested,
                                        std::string *note, std::vector<CheckpointInfo> *listed)
{
    // A running trainer renames a new file into place a moment before its artifact row is
    // committed: a mismatch on a live run is read again from the store before it counts.
    constexpr int kLiveRetries = 20;
    constexpr auto kLiveWait = std::chrono::milliseconds(50);
    for (int attempt = 0;; ++attempt) {
        auto checkpoints = listCheckpoints(store, db, run.id);
        if (!checkpoints)
            return std::unexpected(checkpoints.error());
        auto chosen = choose(*checkpoints, run, requested, note);
        if (listed)
            *listed = *checkpoints;
        if (!chosen)
            return chosen;
        auto ok = verify(*chosen, run);
        if (ok)
            return chosen;
        if (!isTraining(run) || attempt == kLiveRetries)
            return std::unexpected(ok.error());
        std::this_thread::sleep_for(kLiveWait);
    }
}

Result<std::vector<ResumeCandidate>>
resumeCandidates(track::RunStore &store, const std::filesystem::path &db, const track::RunInfo &run)
{
    auto checkpoints = listCheckpoints(store, db, run.id);
    if (!checkpoints)
        return std::unexpected(checkpoints.error());
    std::vector<ResumeCandidate> out;
    for (auto &c : *checkpoints) {
        auto ok = verify(c, run);
        out.push_back({std::move(c), ok ? std::string() : ok.error().toString()});
    }
    // A readable file has its step; an unreadable one (0) is tried after every readable one.
    std::stable_sort(out.begin(), out.end(),
                     [](const ResumeCandidate &a, const ResumeCandidate &b) {
                         const auto key = [](const ResumeCandidate &c) {
                             return std::tuple(c.checkpoint.name == "last", c.checkpoint.step,
                                               c.checkpoint.epoch);
                         };
                         return key(a) > key(b);
                     });
    return out;
}

} // namespace lathe::train
