#include "core/plugin/builtins.h"

#include "core/data/augment.h"
#include "core/data/fashion_mnist.h"
#include "core/data/idx_reader.h"
#include "core/data/image_folder.h"
#include "core/model/zoo.h"
#include "core/util/join.h"

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace lathe::plugin {

namespace {

std::vector<DatasetEntry> builtinDatasets()
{
    ReadDataset fashion = [](const sdk::DatasetArgs &args) -> Result<sdk::DatasetSplits> {
        if (auto ok = checkOptionKeys(args.options, {}, "dataset fashion-mnist"); !ok)
            return std::unexpected(ok.error());
        auto train = data::loadFashionMnist(args.path, data::Split::Train);
        if (!train)
            return std::unexpected(train.error());
        auto test = data::loadFashionMnist(args.path, data::Split::Test);
        if (!test)
            return std::unexpected(test.error());
        return sdk::DatasetSplits{*train, *test};
    };
    ReadDataset folder = [](const sdk::DatasetArgs &args) -> Result<sdk::DatasetSplits> {
        const std::string where = "dataset image-folder";
        if (auto ok = checkOptionKeys(args.options, {"width", "height"}, where); !ok)
            return std::unexpected(ok.error());
        auto width = numberOption(args.options, "width", 0, 0, 4096, where);
        auto height = numberOption(args.options, "height", 0, 0, 4096, where);
        if (!width || !height)
            return std::unexpected(width ? height.error() : width.error());
        auto train
            = data::loadImageFolder(args.path, {std::int64_t(*width), std::int64_t(*height)});
        if (!train)
            return std::unexpected(train.error());
        return sdk::DatasetSplits{*train, nullptr};
    };
    ReadDataset idx = [](const sdk::DatasetArgs &args) -> Result<sdk::DatasetSplits> {
        const std::string where = "dataset idx";
        if (auto ok = checkOptionKeys(args.options, {"labels"}, where); !ok)
            return std::unexpected(ok.error());
        const auto labels = args.options.find("labels");
        if (labels == args.options.end())
            return fail(ErrorCode::InvalidArgument,
                        where + ": options.labels must name the IDX label file of " + args.path,
                        "data.options.labels");
        // The classes are not known in advance: name them "0".."max label".
        auto numbered = [](std::int64_t count) {
            std::vector<std::string> names;
            for (std::int64_t i = 0; i < count; ++i)
                names.push_back(std::to_string(i));
            return names;
        };
        auto pair = data::loadIdxPair(args.path, labels->second, numbered(256));
        if (!pair)
            return std::unexpected(pair.error());
        const std::int64_t classes
            = (*pair)->size() ? (*pair)->labels().max().item<std::int64_t>() + 1 : 1;
        return sdk::DatasetSplits{
            std::make_shared<data::TensorDataset>((*pair)->rawImages(), (*pair)->labels(),
                                                  numbered(classes), (*pair)->description()),
            nullptr};
    };
    return {
        {"fashion-mnist",
         "Fashion-MNIST's IDX files (data.path = their folder): 60,000 train, 10,000 test",
         std::move(fashion)},
        {"idx",
         "An IDX image file (data.path) and its label file (options labels); classes named "
         "0..K-1; no test split",
         std::move(idx)},
        {"image-folder",
         "<path>/<class>/*.png|jpg|bmp, resized to options width x height (0 = the first "
         "image's); no test split",
         std::move(folder)},
    };
}

std::vector<ModelEntry> builtinModels()
{
    std::vector<ModelEntry> out;
    for (const auto &architecture : model::architectures())
        out.push_back({architecture.name, architecture.description, model::buildNet});
    return out;
}

// Recall per class on the evaluated samples: the share of each class's samples predicted as it.
Result<ComputeMetric> setUpPerClassAccuracy(const sdk::MetricArgs &args)
{
    if (auto ok = checkOptionKeys(args.options, {}, "metric per-class-accuracy"); !ok)
        return std::unexpected(ok.error());
    return ComputeMetric(
        [names = args.classNames](const sdk::MetricInput &in) -> Result<sdk::MetricValues> {
            const torch::Tensor predicted = in.logits->argmax(1);
            sdk::MetricValues values;
            for (std::size_t c = 0; c < names.size(); ++c) {
                const torch::Tensor mask = in.labels->eq(std::int64_t(c));
                const auto count = mask.sum().item<std::int64_t>();
                if (count == 0)
                    continue;
                const auto hits = predicted.eq(std::int64_t(c)).logical_and(mask).sum();
                values.emplace_back(names[c], hits.item<double>() / double(count));
            }
            return values;
        });
}

// Unweighted mean over classes of F1 = 2 TP / (2 TP + FP + FN), classes never seen nor
// predicted left out.
Result<ComputeMetric> setUpMacroF1(const sdk::MetricArgs &args)
{
    if (auto ok = checkOptionKeys(args.options, {}, "metric macro-f1"); !ok)
        return std::unexpected(ok.error());
    const auto classes = std::int64_t(args.classNames.size());
    return ComputeMetric([classes](const sdk::MetricInput &in) -> Result<sdk::MetricValues> {
        const torch::Tensor predicted = in.logits->argmax(1);
        double sum = 0.0;
        std::int64_t counted = 0;
        for (std::int64_t c = 0; c < classes; ++c) {
            const torch::Tensor isLabel = in.labels->eq(c), isPredicted = predicted.eq(c);
            const double tp = isLabel.logical_and(isPredicted).sum().item<double>();
            const double fp = isPredicted.sum().item<double>() - tp;
            const double fn = isLabel.sum().item<double>() - tp;
            if (tp + fp + fn == 0)
                continue;
            sum += 2 * tp / (2 * tp + fp + fn);
            ++counted;
        }
        if (counted == 0)
            return sdk::MetricValues{};
        return sdk::MetricValues{{"", sum / double(counted)}};
    });
}

std::vector<MetricEntry> builtinMetrics()
{
    return {
        {"per-class-accuracy",
         "Accuracy (recall) of each class: <split>/per-class-accuracy/<class>",
         setUpPerClassAccuracy},
        {"macro-f1", "F1 averaged over classes with equal weight: <split>/macro-f1", setUpMacroF1},
    };
}

// One built-in augmentation: `keys` of its options, each written into an AugmentConfig.
struct AugmentKey
{
    std::string key;
    double fallback, lo, hi;
    void (*set)(data::AugmentConfig &, double);
};

AugmentationEntry builtinAugmentation(std::string name, std::string description,
                                      std::vector<AugmentKey> keys)
{
    SetUpAugment setUp = [name, keys](const sdk::Options &options) -> Result<ApplyAugment> {
        const std::string where = "augmentation " + name;
        std::vector<std::string> valid;
        for (const auto &k : keys)
            valid.push_back(k.key);
        if (auto ok = checkOptionKeys(options, valid, where); !ok)
            return std::unexpected(ok.error());
        data::AugmentConfig config;
        config.enabled = true;
        for (const auto &k : keys) {
            auto value = numberOption(options, k.key, k.fallback, k.lo, k.hi, where);
            if (!value)
                return std::unexpected(value.error());
            k.set(config, *value);
        }
        return ApplyAugment([config](const torch::Tensor &batch, std::uint64_t seed) {
            return Result<torch::Tensor>(data::augmentBatch(batch, config, seed));
        });
    };
    return {std::move(name), std::move(description), std::move(setUp)};
}

std::vector<AugmentationEntry> builtinAugmentations()
{
    using C = data::AugmentConfig;
    return {
        builtinAugmentation(
            "crop", "Random crop after zero-padding by padding px",
            {{"padding", 4, 1, 64,
              [](C &c, double v) { c.cropPadding = std::int64_t(std::lround(v)); }}}),
        builtinAugmentation("hflip", "Horizontal flip with probability prob",
                            {{"prob", 0.5, 0, 1, [](C &c, double v) { c.hflipProb = v; }}}),
        builtinAugmentation(
            "affine", "Rotation by up to rotate_deg and shift by up to translate of the size",
            {{"rotate_deg", 10, 0, 180, [](C &c, double v) { c.rotateDeg = v; }},
             {"translate", 0.1, 0, 0.5, [](C &c, double v) { c.translateFrac = v; }}}),
        builtinAugmentation(
            "erase", "Erase one rectangle (zeros) with probability prob",
            {{"prob", 0.5, 0, 1, [](C &c, double v) { c.eraseProb = v; }},
             {"max_area", 0.25, 0.02, 1, [](C &c, double v) { c.eraseMaxArea = v; }}}),
    };
}

// Lathe's own schedules (their maths is train::LrSchedule and PlateauTracker), with the keys
// each reads.
std::vector<ScheduleEntry> builtinSchedules()
{
    return {
        {"constant", {}, "The base rate throughout", {}},
        {"step", {"step_epochs", "gamma"}, "Multiply by gamma every step_epochs epochs", {}},
        {"multistep", {"milestones", "gamma"}, "Multiply by gamma at each milestone epoch", {}},
        {"exponential", {"gamma"}, "Multiply by gamma every epoch, continuously", {}},
        {"cosine", {"min_lr"}, "Cosine from the base rate down to min_lr", {}},
        {"warmup-cosine",
         {"warmup_epochs", "min_lr"},
         "Linear warm-up for warmup_epochs, then cosine down to min_lr",
         {}},
        {"one-cycle",
         {"pct_start", "div_factor", "final_div_factor"},
         "PyTorch's OneCycleLR: up to the base rate, then down",
         {}},
        {"plateau",
         {"plateau_factor", "plateau_patience", "plateau_threshold", "plateau_cooldown"},
         "Cut by plateau_factor when the validation loss stops improving",
         {}},
    };
}

} // namespace

Additions builtinAdditions()
{
    Additions a;
    a.datasets = builtinDatasets();
    a.models = builtinModels();
    a.metrics = builtinMetrics();
    a.augmentations = builtinAugmentations();
    a.schedules = builtinSchedules();
    return a;
}

Result<double> numberOption(const sdk::Options &options, const std::string &key, double fallback,
                            double lo, double hi, const std::string &where)
{
    const auto it = options.find(key);
    if (it == options.end())
        return fallback;
    double value = 0.0;
    const std::string &text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < lo
        || value > hi) {
        std::ostringstream range;
        range << "[" << lo << ", " << hi << "]";
        return fail(ErrorCode::InvalidArgument,
                    where + ": option " + key + " = \"" + text + "\" must be a number in "
                        + range.str(),
                    key);
    }
    return value;
}

Result<void> checkOptionKeys(const sdk::Options &options, const std::vector<std::string> &valid,
                             const std::string &where)
{
    for (const auto &[key, value] : options)
        if (std::find(valid.begin(), valid.end(), key) == valid.end())
            return fail(ErrorCode::InvalidArgument,
                        where + ": unknown option \"" + key + "\"; "
                            + (valid.empty() ? "it takes none" : "valid: " + util::join(valid)),
                        key);
    return {};
}

} // namespace lathe::plugin
