#include "core/train/run_setup.h"

#include "core/plugin/registry.h"

namespace lathe::train {

Result<TrainData> loadTrainData(const DataConfig &config)
{
    const auto reader = plugin::registry().dataset(config.dataset);
    if (!reader)
        return std::unexpected(
            plugin::registry().unknownName(plugin::Kind::Dataset, config.dataset, "data.dataset"));
    auto splits = reader->read({config.path, config.options});
    if (!splits)
        return std::unexpected(splits.error());
    auto train = data::selectClasses(splits->train, config.classes);
    auto test = data::selectClasses(splits->test, config.classes);
    if (!train || !test)
        return std::unexpected(train ? test.error() : train.error());
    const bool limited
        = config.trainLimit > 0 && (config.subset == 0 || config.trainLimit < config.subset);
    const auto limit = limited ? config.trainLimit : config.subset;
    return TrainData{data::firstSamples(*train, limit), data::firstSamples(*test, config.subset)};
}

Result<RunSetUp> setUpRun(const RunConfig &config, const TrainData &data,
                          const FineTuneSources &sources)
{
    if (!data.train || data.train->size() == 0)
        return fail(ErrorCode::InvalidArgument, "the training dataset is empty", "data");
    RunSetUp out;
    out.numClasses = std::int64_t(data.train->classNames().size());
    // The network first: its initial weights are the first draws after the trainer's seed.
    auto prepared = prepareModel(config, sources, data.train->sampleShape(), out.numClasses);
    if (!prepared)
        return std::unexpected(prepared.error());
    out.net = prepared->net;
    out.fineTuneSummary = std::move(prepared->summary);
    out.split = data::stratifiedSplit(data.train->labels(), config.data.valFraction,
                                      config.training.seed);
    if (config.data.normalize)
        out.normalization = data::measureNormalization(*data.train, out.split.train);
    return out;
}

} // namespace lathe::train
