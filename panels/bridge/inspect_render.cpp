// InspectSession's views: feature-map grids, attribution and attention heatmaps as images.
#include "panels/bridge/inspect_jobs.h"

#include "core/inspect/attention.h"
#include "core/inspect/attribution.h"
#include "core/inspect/colormap.h"
#include "core/inspect/layers.h"
#include "kernels/feature_map_grid/feature_map_grid.h"
#include "panels/bridge/adversarial_view.h"
#include "panels/bridge/sample_image.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace lathe::panels::inspect_jobs {

namespace {

kernels::Colormap kernelColormap(InspectColormap colormap)
{
    switch (colormap) {
    case InspectColormap::Magma: return kernels::Colormap::Magma;
    case InspectColormap::Gray: return kernels::Colormap::Gray;
    case InspectColormap::Diverging: return kernels::Colormap::Diverging;
    case InspectColormap::Viridis: break;
    }
    return kernels::Colormap::Viridis;
}

QImage rgbaToImage(const torch::Tensor &rgba)
{
    const auto bytes = rgba.contiguous();
    const int h = int(bytes.size(0)), w = int(bytes.size(1));
    QImage image(w, h, QImage::Format_RGBA8888);
    for (int y = 0; y < h; ++y)
        std::memcpy(image.scanLine(y), bytes.data_ptr<std::uint8_t>() + std::size_t(y) * w * 4,
                    std::size_t(w) * 4);
    return image;
}

/// A stage output of any rank as [C,H,W] for the grid: vectors become one near-square tile,
/// token sequences [T,D] one T x D tile.
torch::Tensor asMaps(const torch::Tensor &output)
{
    if (output.dim() == 3)
        return output;
    if (output.dim() == 2)
        return output.unsqueeze(0);
    const auto flat = output.flatten();
    const auto n = flat.numel();
    const auto w = std::int64_t(std::ceil(std::sqrt(double(n))));
    const auto h = (n + w - 1) / w;
    auto padded = torch::full({h * w}, std::numeric_limits<float>::quiet_NaN());
    padded.slice(0, 0, n).copy_(flat.to(torch::kFloat));
    return padded.view({1, h, w});
}

Result<InspectRender> featureMapView(train::OpenedRun &model, const torch::Tensor &input,
                                     const InspectOptions &options)
{
    auto output = inspect::featureMaps(model.net, input, options.layer.toStdString());
    if (!output)
        return std::unexpected(output.error());
    kernels::FeatureMapGridOptions grid;
    grid.normalization = options.sharedNormalization ? kernels::MapNormalization::Shared
                                                     : kernels::MapNormalization::PerChannel;
    grid.colormap = kernelColormap(options.colormap);
    grid.padding = 1;
    const auto maps = asMaps(output->detach().to(torch::kFloat));
    auto drawn = kernels::featureMapGrid(maps, grid);
    if (!drawn)
        return std::unexpected(drawn.error());
    InspectRender out;
    out.image = rgbaToImage(drawn->rgba);
    out.channels = int(maps.size(0));
    out.columns = int(drawn->columns);
    out.rows = int(drawn->rows);
    out.tileWidth = int(drawn->tileWidth);
    out.tileHeight = int(drawn->tileHeight);
    out.padding = int(grid.padding);
    const auto finite = maps.masked_select(torch::isfinite(maps));
    if (finite.numel() > 0) {
        out.low = finite.min().item<double>();
        out.high = finite.max().item<double>();
    }
    return out;
}

torch::Tensor igBaseline(const train::OpenedRun &model, const torch::Tensor &raw, IgBaseline kind)
{
    if (kind == IgBaseline::Black)
        return model.prepare(torch::zeros_like(raw));
    // A 5x5 box blur keeps the coarse shape and removes the detail the model may rely on.
    const auto blurred = torch::avg_pool2d(raw.unsqueeze(0), 5, 1, 2, false, false);
    return model.prepare(blurred);
}

Result<inspect::Attribution> attribution(train::OpenedRun &model, const torch::Tensor &raw,
                                         const InspectOptions &options, std::stop_token stop,
                                         InspectRender &out)
{
    const auto input = model.prepare(raw);
    switch (options.mode) {
    case InspectMode::Saliency: return inspect::saliency(model.net, input, options.target);
    case InspectMode::GradCam:
        return inspect::gradCam(model.net, input, options.layer.toStdString(), options.target);
    case InspectMode::Occlusion: {
        inspect::OcclusionOptions occlusion;
        occlusion.window = options.occlusionWindow;
        occlusion.stride = options.occlusionStride;
        return inspect::occlusion(model.net, input, occlusion, options.target, stop);
    }
    default: break;
    }
    inspect::IntegratedGradientsOptions ig;
    ig.steps = options.igSteps;
    if (options.igBaseline != IgBaseline::Mean) // Mean: 0 in normalised units
        ig.baselineImage = igBaseline(model, raw, options.igBaseline);
    auto result = inspect::integratedGradients(model.net, input, ig, options.target, stop);
    if (!result)
        return std::unexpected(result.error());
    out.completenessError = result->completenessError;
    out.attributionSum = result->attributionSum;
    out.scoreDelta = result->scoreDelta;
    return result->attribution;
}

Result<torch::Tensor> attentionView(train::OpenedRun &model, const torch::Tensor &raw,
                                    const InspectOptions &options)
{
    torch::NoGradGuard noGrad;
    auto maps = inspect::attentionMaps(model.net, model.prepare(raw));
    if (!maps)
        return std::unexpected(maps.error());
    if (options.attentionLayer >= int(maps->layers.size()))
        return fail(ErrorCode::InvalidArgument,
                    "the model has " + std::to_string(maps->layers.size()) + " attention layers",
                    "attention layer " + std::to_string(options.attentionLayer));
    auto map = options.attentionLayer < 0
                   ? maps->rolloutMap()
                   : maps->classMap(std::size_t(options.attentionLayer), options.attentionHead);
    namespace F = torch::nn::functional;
    return F::interpolate(map.to(torch::kFloat).unsqueeze(0).unsqueeze(0),
                          F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{raw.size(1), raw.size(2)})
                              .mode(torch::kBilinear)
                              .align_corners(false))
        .squeeze();
}

} // namespace

Result<std::pair<torch::Tensor, qint64>> sampleTensor(const train::OpenedRun &model,
                                                      const InspectSample &sample)
{
    if (sample.isTest()) {
        auto image = model.testImage(sample.testIndex);
        if (!image)
            return std::unexpected(image.error());
        return std::pair{*image, model.data.test->labels()[sample.testIndex].item<std::int64_t>()};
    }
    const auto size = sample.dataset->size();
    if (sample.datasetIndex < 0 || sample.datasetIndex >= size)
        return fail(ErrorCode::InvalidArgument,
                    "index " + std::to_string(sample.datasetIndex) + " is outside the dataset ("
                        + std::to_string(size) + " samples)",
                    sample.dataset->description());
    const auto shape = sample.dataset->sampleShape();
    if (shape != model.inputShape)
        return fail(ErrorCode::InvalidArgument,
                    "the dataset's samples do not have the shape the model was trained on",
                    sample.dataset->description());
    try {
        const auto indices = torch::tensor({std::int64_t(sample.datasetIndex)});
        auto image = sample.dataset->images(indices)[0];
        return std::pair{image, sample.dataset->labels()[sample.datasetIndex].item<std::int64_t>()};
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, e.what(), sample.dataset->description());
    }
}

QImage heatmapImage(const torch::Tensor &map, InspectColormap colormap, double *low, double *high)
{
    // The colouring lathe-cli inspect uses too: one function, the same bytes.
    auto heat = inspect::heatmapRgba(map, kernelColormap(colormap));
    if (!heat)
        return {};
    if (low)
        *low = heat->low;
    if (high)
        *high = heat->high;
    return rgbaToImage(heat->rgba);
}

Result<InspectRender> render(train::OpenedRun &model, const InspectSample &sample,
                             const InspectOptions &options, std::stop_token stop)
{
    auto raw = sampleTensor(model, sample);
    if (!raw)
        return std::unexpected(raw.error());
    const auto &image = raw->first;
    InspectRender out;
    if (options.mode == InspectMode::FeatureMaps) {
        auto view = featureMapView(model, model.prepare(image), options);
        if (!view)
            return std::unexpected(view.error());
        out = std::move(*view);
    } else if (options.mode == InspectMode::Adversarial) {
        auto view = adversarialView(model, image, raw->second, options, stop);
        if (!view)
            return std::unexpected(view.error());
        out = std::move(*view);
    } else if (options.mode == InspectMode::Attention) {
        auto map = attentionView(model, image, options);
        if (!map)
            return std::unexpected(map.error());
        out.image = heatmapImage(*map, options.colormap, &out.low, &out.high);
    } else {
        auto map = attribution(model, image, options, stop, out);
        if (!map)
            return std::unexpected(map.error());
        out.target = map->target;
        out.score = map->score;
        out.image = heatmapImage(map->map, options.colormap, &out.low, &out.high);
    }
    out.mode = options.mode;
    out.input = tensorToImage(image).convertToFormat(QImage::Format_RGB32);
    return out;
}

} // namespace lathe::panels::inspect_jobs
