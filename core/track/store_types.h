#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Value types of the experiment store, shared by RunStore, StoreWriter and their callers.
// Times are unix seconds; 0 means "unset" (or "now" where a row is being added).
namespace lathe::track {

/// Life cycle of a run. Finished, Failed, Stopped, Interrupted and Pruned (a sweep's trial that
/// its pruner stopped early; its curves are kept) are terminal (an interrupted run may be
/// resumed, which makes it Running again).
enum class RunStatus { Created, Running, Paused, Finished, Failed, Stopped, Interrupted, Pruned };

/// The stored lowercase name of a status ("running"). Thread-safe.
std::string_view toString(RunStatus status);
/// Parses a stored status name; nullopt for anything else. Thread-safe.
std::optional<RunStatus> parseRunStatus(std::string_view text);
/// True for the states that set ended_at.
bool isTerminal(RunStatus status);

/// What a caller supplies to create a run; host, pid and times are filled by the store.
struct NewRun
{
    std::string name{};
    std::string configJson{}; ///< the full run config; empty means "{}"
    std::uint64_t seed = 0;
    std::optional<std::int64_t> parentId{}; ///< the run this one was resumed or forked from
    std::string torchVersion{};
};

/// One stored run as listed or shown.
struct RunInfo
{
    std::int64_t id = 0;
    std::string name{};
    RunStatus status = RunStatus::Created;
    double createdAt = 0;
    double startedAt = 0;
    double endedAt = 0;
    std::string configJson{};
    std::string host{};
    std::string torchVersion{};
    std::string notes{};
    std::string errorMessage{};
    std::uint64_t seed = 0;
    std::optional<std::int64_t> parentId{};
    std::vector<std::string> tags{}; ///< sorted
};

/// A run listing filter. `text` matches name, tags or notes (case-insensitive substring).
/// sortKey is one of id, name, status, created_at, started_at, ended_at; limit 0 = no limit.
struct RunQuery
{
    std::string text{};
    std::optional<RunStatus> status{};
    std::string sortKey = "created_at";
    bool descending = true;
    std::int64_t limit = 0;
};

/// One metric sample. NaN values are stored (as SQL NULL) and read back as NaN.
struct MetricPoint
{
    std::int64_t runId = 0;
    std::string key{}; ///< "train.loss", "val.accuracy", "lr"
    std::int64_t step = 0;
    double epoch = 0;
    double wallTime = 0;
    double value = 0;
};

/// A stored metric sample; `id` grows in commit order, so polling with id > last is gap-free.
struct MetricRow : MetricPoint
{
    std::int64_t id = 0;
};

/// Which column a lean series read uses as x.
enum class SeriesX { Step, Epoch, WallTime };

/// A timeline entry of a run (checkpoint saved, early stop, interruption noticed, ...).
struct EventRow
{
    std::int64_t id = 0; ///< set by the store
    std::int64_t runId = 0;
    std::string kind{};
    std::int64_t step = 0;
    double wallTime = 0;       ///< 0: now
    std::string payloadJson{}; ///< a JSON value; empty means "{}"
};

/// A file a run produced (checkpoint, export, model card).
struct ArtifactRow
{
    std::int64_t id = 0; ///< set by the store
    std::int64_t runId = 0;
    std::string kind{};
    std::string path{};
    std::int64_t bytes = 0;
    std::string sha256{};
    double createdAt = 0; ///< 0: now
};

/// A config key whose values differ between compared runs; nullopt where a run lacks it.
struct ParamDiff
{
    std::string key{};
    std::vector<std::optional<std::string>> values{}; ///< one per compared run, in order
};

/// A status change queued with other writes (see RunStore::setStatus for its effects).
struct StatusChange
{
    std::int64_t runId = 0;
    RunStatus status = RunStatus::Created;
    std::string errorMessage{};
};

/// A run's config replaced (a steering change recorded into it), queued with other writes.
struct ConfigChange
{
    std::int64_t runId = 0;
    std::string configJson{}; ///< the whole new config, a JSON object
};

/// What a histogram row counts: a parameter tensor, its gradient, or a stage's output.
enum class HistogramKind { Weights, Gradients, Activations };

/// The stored lowercase name of a kind ("weights", "gradients", "activations"). Thread-safe.
std::string_view toString(HistogramKind kind);
/// Parses a stored kind name; nullopt for anything else. Thread-safe.
std::optional<HistogramKind> parseHistogramKind(std::string_view text);

/// One histogram of one tensor at one optimizer step: `counts` are equal bins over
/// [min, max] (the tensor's own finite range). Stored as one row per (run, step, name, kind);
/// writing the same key again replaces the row (a resumed run records its steps again).
struct HistogramRow
{
    std::int64_t runId = 0;
    std::int64_t step = 0;
    std::string name{}; ///< parameter ("conv1.weight") or stage ("relu1") name
    HistogramKind kind = HistogramKind::Weights;
    double min = 0;
    double max = 0;
    std::vector<std::uint32_t> counts{};
};

/// A stored series key: a tensor name and what was counted.
struct HistogramKey
{
    std::string name{};
    HistogramKind kind = HistogramKind::Weights;
    bool operator==(const HistogramKey &) const = default;
};

/// One stored histogram of a series, as read back.
struct HistogramSample
{
    std::int64_t step = 0;
    double min = 0;
    double max = 0;
    std::vector<std::uint32_t> counts{};
};

/// One queued write of the batching writer.
using WriteOp
    = std::variant<MetricPoint, EventRow, ArtifactRow, StatusChange, ConfigChange, HistogramRow>;

} // namespace lathe::track
