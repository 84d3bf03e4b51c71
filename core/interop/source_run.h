#pragma once

#include "core/track/store_types.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// What the readers of other trackers' runs (TensorBoard, MLflow) hand to the importer: plain
// values, nothing stored yet.
namespace lathe::interop {

/// The trackers whose runs Lathe reads.
enum class SourceFormat { TensorBoard, MLflow };

/// "tensorboard" or "mlflow". Thread-safe.
std::string_view toString(SourceFormat format);
/// Parses "tensorboard" or "mlflow"; nullopt for anything else. Thread-safe.
std::optional<SourceFormat> parseSourceFormat(std::string_view text);

/// Something of a source that could not be read, and where: the file and a byte offset (event
/// files) or a line (MLflow's text files); both unset (-1, 0) when the whole file is meant.
struct ImportIssue
{
    std::string file{};
    std::int64_t offset = -1;
    std::int64_t line = 0;
    std::string message{};

    /// "FILE: byte 1234: message", "FILE: line 7: message" or "FILE: message".
    std::string toString() const;
};

/// One sample of a scalar series: step, unix seconds, value.
struct SourceSample
{
    std::int64_t step = 0;
    double wallTime = 0;
    double value = 0;
};

/// A scalar series (TensorBoard tag, MLflow metric key) in the order the source has it.
struct SourceSeries
{
    std::string key{};
    std::vector<SourceSample> samples{};
};

/// Where a run is and how the importer knows it again.
struct RunSource
{
    SourceFormat format = SourceFormat::TensorBoard;
    std::filesystem::path location{};           ///< the run's folder (or event file)
    std::vector<std::filesystem::path> files{}; ///< TensorBoard: its event files, in name order
    std::string name{};                         ///< the name it gets in the store
    /// The tag that marks a run imported from this source ("import:" + the absolute path of a
    /// TensorBoard run, "import:mlflow:" + an MLflow run id): a second import finds it.
    std::string identity{};
};

/// One run read from a source, ready for the store.
struct SourceRun
{
    RunSource source{};
    std::string name{};
    double startedAt = 0; ///< unix seconds; 0 unknown
    double endedAt = 0;
    track::RunStatus status = track::RunStatus::Finished;
    /// Params (MLflow) as the run's config keys, sorted by key; values as the source wrote them.
    std::vector<std::pair<std::string, std::string>> params{};
    std::vector<std::string> tags{}; ///< Lathe tags ("key:value"), without the identity
    std::vector<SourceSeries> series{};
    std::vector<ImportIssue> issues{};
    std::int64_t otherValues = 0; ///< values that are not scalars (images, histograms): skipped
    /// What else the source says of the run (MLflow's system tags, ...), kept in the import
    /// event: (key, value) pairs.
    std::vector<std::pair<std::string, std::string>> details{};

    /// Samples over every series.
    std::int64_t sampleCount() const;
};

} // namespace lathe::interop
