#include "core/plugin/registry.h"

#include "core/data/dataset.h"
#include "core/model/net.h"
#include "core/plugin/builtins.h"
#include "core/util/join.h"
#include "core/util/torch_error.h"

#include <torch/torch.h>

#include <algorithm>
#include <mutex>
#include <set>

namespace lathe::plugin {

namespace {

// Applies `visit(kind, table)` to every table of `a`, in listing order.
template<typename A, typename Visit>
void forEachTable(A &a, Visit &&visit)
{
    visit(Kind::Dataset, a.datasets);
    visit(Kind::Model, a.models);
    visit(Kind::Metric, a.metrics);
    visit(Kind::Augmentation, a.augmentations);
    visit(Kind::Schedule, a.schedules);
    visit(Kind::Panel, a.panels);
}

template<typename Entry>
std::optional<Entry> find(const std::vector<Entry> &table, const std::string &name)
{
    auto it
        = std::find_if(table.begin(), table.end(), [&](const Entry &e) { return e.name == name; });
    if (it == table.end())
        return std::nullopt;
    return *it;
}

std::string pluginLabel(const std::string &kind, const std::string &name, const std::string &plugin)
{
    return kind + " \"" + name + "\" (plugin " + plugin + ")";
}

// Runs `body`, turning what a plugin throws into an Error naming `who`.
template<typename T, typename Body>
Result<T> guarded(const std::string &who, Body &&body)
{
    try {
        return body();
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument, who + ": " + util::describe(e));
    } catch (...) {
        return fail(ErrorCode::InvalidArgument, who + " threw a non-standard exception");
    }
}

} // namespace

const char *toString(Kind kind)
{
    switch (kind) {
    case Kind::Dataset: return "dataset";
    case Kind::Model: return "model";
    case Kind::Metric: return "metric";
    case Kind::Augmentation: return "augmentation";
    case Kind::Schedule: return "schedule";
    case Kind::Panel: return "panel";
    }
    return "entry";
}

const std::vector<Kind> &allKinds()
{
    static const std::vector<Kind> kinds{Kind::Dataset,      Kind::Model,    Kind::Metric,
                                         Kind::Augmentation, Kind::Schedule, Kind::Panel};
    return kinds;
}

bool Additions::empty() const
{
    bool none = true;
    forEachTable(*this, [&](Kind, const auto &table) { none = none && table.empty(); });
    return none;
}

std::vector<std::string> Additions::describe() const
{
    std::vector<std::string> out;
    forEachTable(*this, [&](Kind kind, const auto &table) {
        for (const auto &entry : table)
            out.push_back(std::string(toString(kind)) + " " + entry.name);
    });
    return out;
}

Registry::Registry()
    : m_entries(builtinAdditions())
{
}

std::vector<std::string> Registry::names(Kind kind) const
{
    std::shared_lock lock(m_mutex);
    std::vector<std::string> out;
    forEachTable(m_entries, [&](Kind k, const auto &table) {
        if (k == kind)
            for (const auto &entry : table)
                out.push_back(entry.name);
    });
    return out;
}

std::string Registry::source(Kind kind, const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    std::string out;
    forEachTable(m_entries, [&](Kind k, const auto &table) {
        if (k == kind)
            if (auto entry = find(table, name))
                out = entry->source;
    });
    return out;
}

Error Registry::unknownName(Kind kind, const std::string &name, std::string context) const
{
    return Error{ErrorCode::InvalidArgument,
                 std::string("unknown ") + toString(kind) + " \"" + name
                     + "\"; available: " + util::join(names(kind)),
                 std::move(context)};
}

std::optional<DatasetEntry> Registry::dataset(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.datasets, name);
}

std::optional<ModelEntry> Registry::model(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.models, name);
}

std::optional<MetricEntry> Registry::metric(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.metrics, name);
}

std::optional<AugmentationEntry> Registry::augmentation(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.augmentations, name);
}

std::optional<ScheduleEntry> Registry::schedule(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.schedules, name);
}

std::optional<PanelEntry> Registry::panel(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    return find(m_entries.panels, name);
}

std::vector<PanelEntry> Registry::panels() const
{
    std::shared_lock lock(m_mutex);
    return m_entries.panels;
}

std::optional<Clash> Registry::add(Additions additions)
{
    std::unique_lock lock(m_mutex);
    std::optional<Clash> clash;
    forEachTable(additions, [&](Kind kind, const auto &table) {
        std::set<std::string> seen;
        forEachTable(m_entries, [&](Kind k, const auto &existing) {
            if (k != kind || clash)
                return;
            for (const auto &entry : table) {
                if (auto owner = find(existing, entry.name)) {
                    clash = Clash{kind, entry.name, owner->source};
                    return;
                }
                if (!seen.insert(entry.name).second) {
                    clash = Clash{kind, entry.name, ""};
                    return;
                }
            }
        });
    });
    if (clash)
        return clash;
    forEachTable(additions, [&](Kind kind, auto &table) {
        forEachTable(m_entries, [&](Kind k, auto &existing) {
            if constexpr (std::is_same_v<decltype(existing), decltype(table)>)
                if (k == kind)
                    for (auto &entry : table)
                        existing.push_back(std::move(entry));
        });
    });
    return std::nullopt;
}

Registry &registry()
{
    static Registry instance;
    return instance;
}

DatasetEntry wrapDataset(const std::string &name, const std::string &description,
                         sdk::DatasetFactory factory, const std::string &plugin)
{
    const std::string who = pluginLabel("dataset reader", name, plugin);
    ReadDataset read = [factory = std::move(factory), who](const sdk::DatasetArgs &args) {
        return guarded<sdk::DatasetSplits>(who, [&]() -> Result<sdk::DatasetSplits> {
            sdk::DatasetSplits splits = factory(args);
            if (!splits.train)
                return fail(ErrorCode::InvalidArgument, who + " returned no training data");
            return splits;
        });
    };
    return {name, description, std::move(read), plugin};
}

ModelEntry wrapModel(const std::string &name, const std::string &description,
                     sdk::ModelFactory factory, const std::string &plugin)
{
    const std::string who = pluginLabel("model", name, plugin);
    BuildModel build = [factory = std::move(factory), who,
                        name](const model::ModelSpec &spec, const std::vector<std::int64_t> &shape,
                              std::int64_t numClasses) {
        return guarded<model::Net>(who, [&]() -> Result<model::Net> {
            const auto stages = factory({shape, numClasses, spec.widths, spec.dropout});
            if (stages.empty())
                return fail(ErrorCode::InvalidArgument, who + " has no stages", "model.arch");
            model::Net net(name);
            std::set<std::string> seen;
            for (const auto &stage : stages) {
                if (!stage.module || stage.module->is_empty())
                    return fail(ErrorCode::InvalidArgument,
                                who + ": stage \"" + stage.name + "\" has no module");
                if (stage.name.empty() || !seen.insert(stage.name).second)
                    return fail(ErrorCode::InvalidArgument,
                                who + ": stage names must be unique and non-empty (\"" + stage.name
                                    + "\")");
                net->addStage(stage.name, *stage.module);
            }
            return net;
        });
    };
    return {name, description, std::move(build), plugin};
}

MetricEntry wrapMetric(const std::string &name, const std::string &description,
                       sdk::MetricFactory factory, const std::string &plugin)
{
    const std::string who = pluginLabel("metric", name, plugin);
    SetUpMetric setUp = [factory = std::move(factory), who](const sdk::MetricArgs &args) {
        return guarded<ComputeMetric>(who, [&]() -> Result<ComputeMetric> {
            sdk::MetricFunction compute = factory(args);
            if (!compute)
                return fail(ErrorCode::InvalidArgument, who + " set up no function");
            return ComputeMetric([compute = std::move(compute), who](const sdk::MetricInput &in) {
                return guarded<sdk::MetricValues>(who, [&] { return compute(in); });
            });
        });
    };
    return {name, description, std::move(setUp), plugin};
}

AugmentationEntry wrapAugmentation(const std::string &name, const std::string &description,
                                   sdk::AugmentFactory factory, const std::string &plugin)
{
    const std::string who = pluginLabel("augmentation", name, plugin);
    SetUpAugment setUp = [factory = std::move(factory), who](const sdk::Options &options) {
        return guarded<ApplyAugment>(who, [&]() -> Result<ApplyAugment> {
            sdk::AugmentFunction apply = factory(options);
            if (!apply)
                return fail(ErrorCode::InvalidArgument, who + " set up no function");
            return ApplyAugment([apply = std::move(apply), who](const torch::Tensor &batch,
                                                                std::uint64_t seed) {
                return guarded<torch::Tensor>(who, [&]() -> Result<torch::Tensor> {
                    torch::Tensor out = apply(batch, seed);
                    if (!out.defined() || out.sizes() != batch.sizes())
                        return fail(ErrorCode::InvalidArgument, who + " changed the batch's shape");
                    return out;
                });
            });
        });
    };
    return {name, description, std::move(setUp), plugin};
}

Result<model::Net> buildModel(const model::ModelSpec &spec,
                              const std::vector<std::int64_t> &inputShape, std::int64_t numClasses)
{
    const auto entry = registry().model(spec.arch);
    if (!entry)
        return std::unexpected(registry().unknownName(Kind::Model, spec.arch, "model.arch"));
    return entry->build(spec, inputShape, numClasses);
}

} // namespace lathe::plugin
