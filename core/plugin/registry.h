// The registry of named extension points: Lathe's built-ins and what plugins add, listed and
// looked up alike: dataset readers, models, metrics, augmentations, learning-rate schedules and
// (GUI only) panels. A plugin's factories are wrapped when they are added, so every caller gets
// a Result naming the entry and the plugin instead of an exception. Free of LibTorch's headers
// (it names at::Tensor and model::Net without including them), so panels may include it.
#pragma once

#include "core/model/model_spec.h"
#include "core/util/error.h"
#include "plugins/sdk/lathe/plugin.h"

#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace lathe::model {
class Net; // core/model/net.h
}

namespace lathe::plugin {

/// Who provided an entry: Lathe itself or a plugin (by its name).
inline constexpr const char *kBuiltIn = "built-in";

/// The extension points, in the order they are listed.
enum class Kind { Dataset, Model, Metric, Augmentation, Schedule, Panel };
/// "dataset", "model", "metric", "augmentation", "schedule", "panel".
const char *toString(Kind kind);
/// Every kind, in listing order.
const std::vector<Kind> &allKinds();

/// One learning-rate schedule of the registry.
struct ScheduleEntry
{
    std::string name;
    std::vector<std::string> keys; ///< the schedule keys it reads (shown in the form)
    std::string description;
    /// Empty for a built-in (core/train computes it); a plugin's factory otherwise (callers
    /// catch what it throws: core/train's LrSchedule).
    sdk::ScheduleFactory factory;
    std::string source = kBuiltIn;
};

/// Reads a dataset: train is never null on success.
using ReadDataset = std::function<Result<sdk::DatasetSplits>(const sdk::DatasetArgs &args)>;
struct DatasetEntry
{
    std::string name;
    std::string description;
    ReadDataset read;
    std::string source = kBuiltIn;
};

/// Builds a model for inputs of `inputShape` ({C,H,W}) and `numClasses` outputs.
using BuildModel = std::function<Result<model::Net>(const model::ModelSpec &spec,
                                                    const std::vector<std::int64_t> &inputShape,
                                                    std::int64_t numClasses)>;
struct ModelEntry
{
    std::string name;
    std::string description;
    BuildModel build;
    std::string source = kBuiltIn;
};

/// One set-up metric: its values for an evaluation.
using ComputeMetric = std::function<Result<sdk::MetricValues>(const sdk::MetricInput &input)>;
/// Sets up a metric for a run (checks its options against the dataset).
using SetUpMetric = std::function<Result<ComputeMetric>(const sdk::MetricArgs &args)>;
struct MetricEntry
{
    std::string name;
    std::string description;
    SetUpMetric setUp;
    std::string source = kBuiltIn;
};

/// One set-up augmentation: a new batch from `batch` for `seed`.
using ApplyAugment = std::function<Result<at::Tensor>(const at::Tensor &batch, std::uint64_t seed)>;
using SetUpAugment = std::function<Result<ApplyAugment>(const sdk::Options &options)>;
struct AugmentationEntry
{
    std::string name;
    std::string description;
    SetUpAugment setUp;
    std::string source = kBuiltIn;
};

/// A panel of the window. The factory is the plugin's own: the window catches what it throws.
struct PanelEntry
{
    std::string name;
    std::string title;
    sdk::PanelFactory factory;
    std::string source = kBuiltIn;
};

/// What one plugin (or Lathe's built-ins) adds, all together.
struct Additions
{
    std::vector<DatasetEntry> datasets;
    std::vector<ModelEntry> models;
    std::vector<MetricEntry> metrics;
    std::vector<AugmentationEntry> augmentations;
    std::vector<ScheduleEntry> schedules;
    std::vector<PanelEntry> panels;

    bool empty() const;
    /// "dataset csv", "model tabular-mlp", ... in listing order.
    std::vector<std::string> describe() const;
};

/// A name that could not be added: its kind, the name, and who has it ("" = it repeats
/// within the same additions).
struct Clash
{
    Kind kind;
    std::string name;
    std::string owner;
};

/// Named entries per extension point. Built-ins are present from construction; plugins add
/// through the loader (see loader.h), all of a plugin's entries or none. Thread-safe: lookups
/// may run on any thread while a plugin is being added.
class Registry
{
public:
    /// A registry holding Lathe's built-in entries (see builtins.h).
    Registry();

    /// Every name of `kind`, built-ins first, then plugins' in the order they were added.
    std::vector<std::string> names(Kind kind) const;
    /// Who provided entry `name` of `kind` (kBuiltIn or a plugin name); empty when none.
    std::string source(Kind kind, const std::string &name) const;
    /// The one message for a name `kind` has no entry for: InvalidArgument with context
    /// `context` (the config key), "unknown <kind> "<name>"; available: <names(kind)>".
    Error unknownName(Kind kind, const std::string &name, std::string context) const;

    std::optional<DatasetEntry> dataset(const std::string &name) const;
    std::optional<ModelEntry> model(const std::string &name) const;
    std::optional<MetricEntry> metric(const std::string &name) const;
    std::optional<AugmentationEntry> augmentation(const std::string &name) const;
    std::optional<ScheduleEntry> schedule(const std::string &name) const;
    std::optional<PanelEntry> panel(const std::string &name) const;
    /// Every panel entry, in order (the window docks one of each).
    std::vector<PanelEntry> panels() const;

    /// Adds every entry of `additions` unless one of their names exists already for its kind
    /// or repeats: then nothing is added and the first clash is returned.
    std::optional<Clash> add(Additions additions);

private:
    mutable std::shared_mutex m_mutex;
    Additions m_entries;
};

/// The process-wide registry that configs, training and the GUI consult.
Registry &registry();

/// Wraps a plugin's SDK factories into entries whose failures (exceptions, a null dataset, a
/// model without stages) become Errors naming the entry and `plugin`.
DatasetEntry wrapDataset(const std::string &name, const std::string &description,
                         sdk::DatasetFactory factory, const std::string &plugin);
ModelEntry wrapModel(const std::string &name, const std::string &description,
                     sdk::ModelFactory factory, const std::string &plugin);
MetricEntry wrapMetric(const std::string &name, const std::string &description,
                       sdk::MetricFactory factory, const std::string &plugin);
AugmentationEntry wrapAugmentation(const std::string &name, const std::string &description,
                                   sdk::AugmentFactory factory, const std::string &plugin);

/// Builds the network of `spec.arch` (built-in or plugin) through the registry. InvalidArgument
/// naming "model.arch" when no model has that name. Never throws.
Result<model::Net> buildModel(const model::ModelSpec &spec,
                              const std::vector<std::int64_t> &inputShape, std::int64_t numClasses);

} // namespace lathe::plugin
