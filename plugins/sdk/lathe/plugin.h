// The Lathe plugin interface: what a plugin (a shared library) sees of Lathe, with
// lathe/dataset.h. Header-only, C++20, and light: it names LibTorch's and Qt's types without
// including them, so a schedule plugin compiles in a second. A plugin that makes tensors,
// modules, datasets or widgets includes <torch/torch.h>, "lathe/dataset.h" or <QWidget> itself;
// it never includes Lathe's own headers (core/...), and plugins/sdk is its only Lathe include
// path (scripts/check-sdk builds the samples that way).
//
// A plugin exports two C functions (LATHE_PLUGIN defines the first):
//   const lathe::sdk::PluginInfo *lathe_plugin_info();   its name, version and ABI version
//   int lathe_plugin_register(lathe::sdk::IRegistry *r);  registers its factories; 0 = success
// Lathe loads a plugin only when its abiVersion is in [kLatheAbiCompatible, kLatheAbiVersion].
//
// What the ABI version covers (a change to any of these is a new kLatheAbiVersion):
// - the two exported functions' names and signatures, and PluginInfo;
// - every type this header declares: the members of each struct in order (ScheduleArgs,
//   DatasetArgs, DatasetSplits, ModelArgs, ModelStage, MetricInput, MetricArgs, MetricPoint),
//   the signatures of the factory and function types, the meaning of each field and key;
// - the virtual functions of IRegistry, IPanelHost, IPanel and lathe::data::Dataset
//   (lathe/dataset.h) in declaration order: their vtables are shared between Lathe and plugins.
// What a new version may do while still loading older plugins (kLatheAbiCompatible stays):
// - append virtual functions at the end of an interface that Lathe implements and plugins
//   call (IRegistry: new extension points; IPanelHost): an older plugin knows a prefix of it;
// - append virtual functions with an inline default at the end of an interface that plugins
//   implement and Lathe calls (Dataset, IPanel) only if Lathe calls them solely on objects
//   from plugins built for that version or later (an older plugin's vtable lacks the slot).
// Anything else (inserting, reordering or changing a virtual function, changing a struct's
// members) breaks older plugins: kLatheAbiCompatible moves up to the new version and Lathe
// refuses them with "rebuild it".
// What the ABI version does not cover: the compiler, the C++ standard library, LibTorch and
// Qt. Plugins exchange std::string, std::function, std::shared_ptr, at::Tensor,
// torch::nn::AnyModule and QWidget with Lathe, so they must be built with the same compiler and
// standard library (g++ 12, libstdc++), LibTorch (1.13) and Qt (6.4) as Lathe; Lathe cannot
// check this, and a mismatch is undefined behaviour, not a refused load.
// History: ABI 1 (the first). lathe::data::Dataset moved from core/data/dataset.h into the SDK
// unchanged, so it is still ABI 1 (tests/plugins/fixtures/sdk-abi1 keeps a plugin built from the
// headers before the move, and tst_plugin_loader loads it).
//
// Extension points: dataset readers, models, metrics, augmentations, learning-rate schedules
// and (GUI only) panels.
//
// Errors: an exception thrown from lathe_plugin_register, or a non-zero return, skips the
// whole plugin (nothing it registered is kept); an exception from a factory, or from what a
// factory made, fails only the action that called it, with a message naming the plugin.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace at {
class Tensor; // torch::Tensor
}
namespace torch::nn {
class AnyModule;
}
namespace lathe::data {
class Dataset; // lathe/dataset.h
}
class QWidget;

namespace lathe::sdk {

/// The ABI this header describes.
inline constexpr std::int32_t kLatheAbiVersion = 1;
/// The oldest plugin ABI this header is still compatible with.
inline constexpr std::int32_t kLatheAbiCompatible = 1;

/// What lathe_plugin_info() returns (static storage: Lathe keeps the pointer).
struct PluginInfo
{
    std::int32_t abiVersion = kLatheAbiVersion;
    const char *name = "";    ///< unique among plugins, e.g. "cosine-restarts"
    const char *version = ""; ///< the plugin's own version, e.g. "1.0"
};

/// The run's schedule settings a schedule factory may read (keys of the config's "schedule"
/// section, already validated) and the run's shape.
struct ScheduleArgs
{
    double baseLr = 0.0;            ///< optimizer.lr
    std::int64_t stepsPerEpoch = 1; ///< optimizer steps per epoch, >= 1
    std::int64_t totalSteps = 1;    ///< optimizer steps of the whole run, >= 1
    double stepEpochs = 1.0;        ///< schedule.step_epochs
    double gamma = 0.1;             ///< schedule.gamma
    double warmupEpochs = 0.0;      ///< schedule.warmup_epochs
    double minLr = 0.0;             ///< schedule.min_lr
};

/// A learning-rate schedule: the rate for 0-based optimizer step `step` in [0, totalSteps).
/// Must return a finite rate >= 0.
using ScheduleFunction = std::function<double(std::int64_t step)>;
/// Makes the schedule of one run.
using ScheduleFactory = std::function<ScheduleFunction(const ScheduleArgs &args)>;

/// A config object's options for one extension (e.g. "data.options" for a dataset reader), each
/// value as text: JSON strings as they are, numbers and booleans as JSON writes them.
using Options = std::map<std::string, std::string>;

/// What a dataset reader is asked to read: data.path and data.options of the run's config.
struct DatasetArgs
{
    std::string path;
    Options options;
};

/// What a dataset reader returns: `train` (split into train and validation by the config's
/// data.val_fraction) and `test` (may be null: then the run is evaluated on validation only).
/// Samples are float32 [C,H,W] in any range (Lathe standardises them per channel when
/// data.normalize is set); a tabular dataset of F features uses [F,1,1].
struct DatasetSplits
{
    std::shared_ptr<const lathe::data::Dataset> train;
    std::shared_ptr<const lathe::data::Dataset> test;
};

/// Reads a dataset. Throw std::exception with a message naming the file, the row and the column
/// for bad input; Lathe adds the reader and plugin names.
using DatasetFactory = std::function<DatasetSplits(const DatasetArgs &args)>;

/// What a model factory builds for: the config's model section and the data's shape.
struct ModelArgs
{
    std::vector<std::int64_t> inputShape; ///< one sample, {C,H,W}
    std::int64_t numClasses = 0;
    std::vector<std::int64_t> widths; ///< model.widths as written (empty = your default)
    double dropout = 0.0;             ///< model.dropout, in [0, 1)
};

/// One named stage of a model: a module taking one tensor and returning one (its forward()).
/// Stage outputs are what feature maps, histograms and Grad-CAM read, by stage name.
struct ModelStage
{
    std::string name;
    std::shared_ptr<torch::nn::AnyModule> module;
};

/// Builds a model as stages run in order; the last returns logits [B, numClasses]. Throw
/// std::exception naming the model key (e.g. "model.widths") for a bad setting.
using ModelFactory = std::function<std::vector<ModelStage>(const ModelArgs &args)>;

/// The data one evaluation gives a metric, all on the CPU, in the evaluated split's order.
struct MetricInput
{
    const at::Tensor *logits = nullptr;  ///< float32 [N, K]
    const at::Tensor *labels = nullptr;  ///< int64 [N]
    const at::Tensor *indices = nullptr; ///< int64 [N]: each sample's index in the dataset
    const lathe::data::Dataset *dataset = nullptr; ///< the dataset the indices point into
    std::string split;                             ///< "val" or "test"
};

/// A metric's values for one evaluation: (name, value) pairs, recorded as
/// "<split>/<metric name>/<value name>" metrics of the run and plotted like the built-in ones.
using MetricValues = std::vector<std::pair<std::string, double>>;
using MetricFunction = std::function<MetricValues(const MetricInput &input)>;

/// What a metric is set up with: its entry's options in the config's "metrics" list and the
/// run's training dataset (to check a column name, say, before the run starts).
struct MetricArgs
{
    Options options;
    const lathe::data::Dataset *dataset = nullptr;
    std::vector<std::string> classNames;
};

/// Sets up a metric for one run. Throw std::exception for bad options (the run is refused).
using MetricFactory = std::function<MetricFunction(const MetricArgs &args)>;

/// A training augmentation: a new float batch [B,C,H,W] from `batch` (never modify it in
/// place), deterministic for a given `seed`.
using AugmentFunction = std::function<at::Tensor(const at::Tensor &batch, std::uint64_t seed)>;
/// Sets up an augmentation from its entry's options in the config's augment.extra list. Throw
/// std::exception for bad options.
using AugmentFactory = std::function<AugmentFunction(const Options &options)>;

/// One recorded value of a run's metric.
struct MetricPoint
{
    std::int64_t step = 0;
    double epoch = 0.0;
    double value = 0.0;
};

/// What Lathe's window offers a panel: read access to the experiment store. Called on the GUI
/// thread only; each call answers at once from what the window has read so far (the window
/// reads the store on its own thread), so a first answer may be empty: when newer data arrives
/// the panel's showRun() is called again.
class IPanelHost
{
public:
    virtual ~IPanelHost() = default;
    /// The metric names a run has recorded, sorted.
    virtual std::vector<std::string> metricNames(std::int64_t runId) = 0;
    /// A run's values of `metric` after `afterStep` (all with -1), in step order.
    virtual std::vector<MetricPoint> metric(std::int64_t runId, const std::string &metric,
                                            std::int64_t afterStep = -1)
        = 0;
    /// A run's display name (empty when there is no such run).
    virtual std::string runName(std::int64_t runId) = 0;
};

/// A dockable panel. Lathe owns it and keeps it on the GUI thread.
class IPanel
{
public:
    virtual ~IPanel() = default;
    /// The widget Lathe docks; owned by the panel (Lathe reparents it into the dock and
    /// deletes the IPanel, then never touches the widget again).
    virtual QWidget *widget() = 0;
    /// The run selected in the Runs panel or being trained (-1 = none); may be called often.
    virtual void showRun(std::int64_t runId) = 0;
};

/// Makes a panel for a window. `host` outlives the panel.
using PanelFactory = std::function<std::unique_ptr<IPanel>(IPanelHost &host)>;

/// Where a plugin registers its factories. Names are unique per extension point across Lathe's
/// built-ins and every plugin; a name that exists already makes Lathe skip the plugin.
class IRegistry
{
public:
    virtual ~IRegistry() = default;

    /// A learning-rate schedule, selected by schedule.type = `name`. `keys` lists the schedule
    /// keys it reads (of ScheduleArgs: "step_epochs", "gamma", "warmup_epochs", "min_lr"), so
    /// the hyperparameter form shows those; `description` is a one-line tooltip.
    virtual void addSchedule(const std::string &name, const std::vector<std::string> &keys,
                             const std::string &description, ScheduleFactory factory)
        = 0;

    /// A dataset reader, selected by data.dataset = `name`; reads data.path and data.options.
    virtual void addDataset(const std::string &name, const std::string &description,
                            DatasetFactory factory)
        = 0;

    /// A model, selected by model.arch = `name`.
    virtual void addModel(const std::string &name, const std::string &description,
                          ModelFactory factory)
        = 0;

    /// A metric, computed at every evaluation when the config's "metrics" list names it:
    /// "metrics": [{"name": `name`, "option": "value", ...}].
    virtual void addMetric(const std::string &name, const std::string &description,
                           MetricFactory factory)
        = 0;

    /// An augmentation, applied after the built-in ones when augment.enabled is set and
    /// augment.extra names it: "extra": [{"name": `name`, "option": "value", ...}].
    virtual void addAugmentation(const std::string &name, const std::string &description,
                                 AugmentFactory factory)
        = 0;

    /// A panel of the window (not of lathe-cli), listed in View and docked like a built-in
    /// one; `title` is its dock title.
    virtual void addPanel(const std::string &name, const std::string &title, PanelFactory factory)
        = 0;
};

} // namespace lathe::sdk

/// Defines lathe_plugin_info() for a plugin called `name` at version `version` (string literals).
#define LATHE_PLUGIN(name, version)                                                                \
    extern "C" const lathe::sdk::PluginInfo *lathe_plugin_info()                                   \
    {                                                                                              \
        static const lathe::sdk::PluginInfo info{lathe::sdk::kLatheAbiVersion, name, version};     \
        return &info;                                                                              \
    }

/// The signature of lathe_plugin_info.
using LathePluginInfoFn = const lathe::sdk::PluginInfo *(*)();
/// The signature of lathe_plugin_register.
using LathePluginRegisterFn = int (*)(lathe::sdk::IRegistry *);
