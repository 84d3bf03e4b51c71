// lathe-cli inspect and confusion: what a run's checkpoint sees in one test sample (feature
// maps, attributions written as PNGs) and its confusion matrix on the test set. Read-only.
#include "app/cli/commands.h"

#include "core/formats/atomic_file.h"
#include "core/inspect/attention.h"
#include "core/inspect/attribution.h"
#include "core/inspect/colormap.h"
#include "core/inspect/errors.h"
#include "core/train/open_run.h"
#include "core/inspect/layers.h"
#include "core/inspect/stage_lookup.h"
#include "core/util/file_name.h"
#include "core/util/join.h"
#include "kernels/feature_map_grid/feature_map_grid.h"

#include <nlohmann/json.hpp>
#include <stb/stb_image_write.h>

#include <cstdio>
#include <sstream>
#include <limits>
#include <ranges>
#include <set>

namespace lathe::cli {

namespace {

constexpr const char *kInspectUsage
    = "usage: lathe-cli inspect RUN --sample I --what "
      "featuremaps|gradcam|ig|saliency|occlusion|attention --out DIR\n"
      "           [--checkpoint best|last|epoch-N] [--layer NAME] [--steps 32] [--db PATH]\n";
const std::set<std::string> kWhat{"featuremaps", "gradcam",   "ig",
                                  "saliency",    "occlusion", "attention"};
constexpr std::int64_t kMinPixels = 224; // small images are enlarged to at least this

int usage(const std::string &message)
{
    std::fprintf(stderr, "lathe-cli inspect: %s\n%s", message.c_str(), kInspectUsage);
    return kExitUsage;
}

// Nearest-neighbour enlargement of an RGBA8 [H,W,4] image so its longer side is >= kMinPixels.
torch::Tensor enlarge(const torch::Tensor &rgba)
{
    const std::int64_t side = std::max(rgba.size(0), rgba.size(1));
    const std::int64_t factor = std::clamp<std::int64_t>((kMinPixels + side - 1) / side, 1, 8);
    return rgba.repeat_interleave(factor, 0).repeat_interleave(factor, 1).contiguous();
}

// The PNG and CSV files are encoded in memory and written through an AtomicFile, so a full disk
// leaves no half-written file.
Result<void> writePng(const std::filesystem::path &path, const torch::Tensor &rgba)
{
    const auto image = enlarge(rgba);
    const int h = int(image.size(0)), w = int(image.size(1));
    std::string bytes;
    const auto append = [](void *context, void *data, int size) {
        static_cast<std::string *>(context)->append(static_cast<const char *>(data),
                                                    std::size_t(size));
    };
    if (!stbi_write_png_to_func(append, &bytes, w, h, 4, image.data_ptr<std::uint8_t>(), w * 4))
        return fail(ErrorCode::Io, "cannot encode the PNG", path.string());
    return formats::writeFileAtomically(path, bytes);
}

Result<void> writeCsv(const std::filesystem::path &path, const torch::Tensor &map)
{
    std::ostringstream out;
    out.precision(std::numeric_limits<float>::max_digits10); // reads back as the same floats
    const auto values = map.to(torch::kDouble).contiguous();
    const auto a = values.accessor<double, 2>();
    for (std::int64_t y = 0; y < values.size(0); ++y)
        for (std::int64_t x = 0; x < values.size(1); ++x)
            out << a[y][x] << (x + 1 < values.size(1) ? "," : "\n");
    return formats::writeFileAtomically(path, out.str());
}

// The input in grey with `heat` coloured over it as the Visualise panel draws it by default:
// the same colouring (inspect::heatmapRgba) at its default opacity. RGBA8 [H,W,4].
Result<torch::Tensor> overlay(const torch::Tensor &image, const torch::Tensor &heat,
                              kernels::Colormap colormap)
{
    auto coloured = inspect::heatmapRgba(heat, colormap);
    if (!coloured)
        return std::unexpected(coloured.error());
    return inspect::overlayRgba(image, *coloured, inspect::kHeatmapOpacity);
}

struct Request
{
    std::string what, layer;
    std::int64_t sample = 0, steps = 32;
    std::filesystem::path out;
};

std::string classLabel(const train::OpenedRun &m, std::int64_t k)
{
    const auto name = std::size_t(k) < m.classNames.size() ? m.classNames[std::size_t(k)] : "?";
    return std::to_string(k) + " \"" + name + "\"";
}

// Resolves --layer (default: the last spatial stage) and checks it is spatial.
Result<std::string> spatialLayer(train::OpenedRun &m, const std::string &requested)
{
    const auto layers = inspect::listLayers(m.net, m.inputShape);
    const std::string spatial = util::join(
        layers | std::views::filter(&inspect::LayerInfo::spatial), ", ", &inspect::LayerInfo::name);
    const std::string layer = requested.empty() ? inspect::lastSpatialLayer(layers) : requested;
    auto it = std::find_if(layers.begin(), layers.end(),
                           [&](const inspect::LayerInfo &l) { return l.name == layer; });
    if (!layer.empty() && it == layers.end()) {
        auto unknown = inspect::requireStage(m.net, layer);
        return std::unexpected(unknown.error());
    }
    if (layer.empty() || !it->spatial)
        return fail(ErrorCode::InvalidArgument,
                    (layer.empty() ? "this " + m.net->arch() + " has no spatial layer"
                                   : "layer \"" + layer + "\" is not a spatial layer of this "
                                         + m.net->arch())
                        + "; spatial layers: " + (spatial.empty() ? "none" : spatial),
                    "--layer");
    return layer;
}

Result<void> writeFeatureMaps(train::OpenedRun &m, const Request &r, const torch::Tensor &x)
{
    auto layer = spatialLayer(m, r.layer);
    if (!layer)
        return std::unexpected(layer.error());
    auto maps = inspect::featureMaps(m.net, x, *layer);
    if (!maps)
        return std::unexpected(maps.error());
    auto grid = kernels::featureMapGrid(*maps);
    if (!grid)
        return std::unexpected(grid.error());
    // An imported model's layer names are PyTorch's, which may hold a '/'.
    const auto path = r.out
                      / ("featuremaps-" + util::safeFileName(*layer, "layer") + "-sample"
                         + std::to_string(r.sample) + ".png");
    if (auto ok = writePng(path, grid->rgba); !ok)
        return ok;
    std::printf("wrote %s (%lld channels of layer %s, %lldx%lld each)\n", path.c_str(),
                (long long)maps->size(0), layer->c_str(), (long long)maps->size(1),
                (long long)maps->size(2));
    return {};
}

Result<inspect::Attribution> attribute(train::OpenedRun &m, const Request &r,
                                       const torch::Tensor &x, std::string &note)
{
    if (r.what == "saliency")
        return inspect::saliency(m.net, x);
    if (r.what == "occlusion")
        return inspect::occlusion(m.net, x);
    if (r.what == "gradcam") {
        auto layer = spatialLayer(m, r.layer);
        if (!layer)
            return std::unexpected(layer.error());
        note = ", layer " + *layer;
        return inspect::gradCam(m.net, x, *layer);
    }
    inspect::IntegratedGradientsOptions options;
    options.steps = r.steps;
    options.baselineImage = m.prepare(torch::zeros(m.inputShape)); // a black image
    auto ig = inspect::integratedGradients(m.net, x, options);
    if (!ig)
        return std::unexpected(ig.error());
    char text[200];
    std::snprintf(text, sizeof text,
                  ", %lld steps from a black image; completeness error %.3f%% (attributions "
                  "sum %.4f, logit change %.4f)",
                  (long long)r.steps, ig->completenessError * 100, ig->attributionSum,
                  ig->scoreDelta);
    note = text;
    return ig->attribution;
}

Result<void> writeAttribution(train::OpenedRun &m, const Request &r, const torch::Tensor &x,
                              const torch::Tensor &image)
{
    std::string note;
    auto a = attribute(m, r, x, note);
    if (!a)
        return std::unexpected(a.error());
    const auto stem = r.out / (r.what + "-sample" + std::to_string(r.sample));
    const auto png = std::filesystem::path(stem.string() + ".png");
    const auto csv = std::filesystem::path(stem.string() + ".csv");
    // Signed integrated gradients in the diverging map, the rest in magma, as the panel does.
    auto picture = overlay(
        image, a->map, r.what == "ig" ? kernels::Colormap::Diverging : kernels::Colormap::Magma);
    if (!picture)
        return std::unexpected(picture.error());
    if (auto ok = writePng(png, *picture); !ok)
        return ok;
    if (auto ok = writeCsv(csv, a->map); !ok)
        return ok;
    std::printf("wrote %s and %s (%s of class %s, logit %.4f%s)\n", png.c_str(), csv.c_str(),
                r.what.c_str(), classLabel(m, a->target).c_str(), a->score, note.c_str());
    if (a->map.abs().max().item<double>() == 0.0)
        std::printf("the map is zero everywhere (no evidence for this class here): try another "
                    "--layer or checkpoint\n");
    return {};
}

// The class token's attention (rollout, then each layer averaged over heads) over the input,
// one PNG each; the patch grid is enlarged to the input's size without smoothing, and coloured
// from its minimum to its maximum (attention is never far from uniform).
Result<void> writeAttention(train::OpenedRun &m, const Request &r, const torch::Tensor &x,
                            const torch::Tensor &image)
{
    auto maps = inspect::attentionMaps(m.net, x);
    if (!maps)
        return std::unexpected(maps.error());
    std::vector<std::pair<std::string, torch::Tensor>> outputs{{"rollout", maps->rolloutMap()}};
    for (std::size_t l = 0; l < maps->layers.size(); ++l)
        outputs.emplace_back("layer" + std::to_string(l + 1), maps->classMap(l));
    namespace F = torch::nn::functional;
    const auto size = std::vector<std::int64_t>{image.size(1), image.size(2)};
    for (const auto &[name, grid] : outputs) {
        const auto heat
            = F::interpolate(grid.to(torch::kFloat).unsqueeze(0).unsqueeze(0),
                             F::InterpolateFuncOptions().size(size).mode(torch::kNearest))[0][0];
        const auto path
            = r.out / ("attention-" + name + "-sample" + std::to_string(r.sample) + ".png");
        auto picture = overlay(image, heat, kernels::Colormap::Magma);
        if (!picture)
            return std::unexpected(picture.error());
        if (auto ok = writePng(path, *picture); !ok)
            return ok;
        std::printf("wrote %s (class-token attention, %s, %lldx%lld patches)\n", path.c_str(),
                    name.c_str(), (long long)maps->gridHeight, (long long)maps->gridWidth);
    }
    return {};
}

std::variant<Request, int> parseInspect(const ParsedArgs &a)
{
    Request r;
    r.what = a.value("--what").value_or("");
    if (!kWhat.contains(r.what))
        return usage("--what is one of featuremaps, gradcam, ig, saliency, occlusion, "
                     "attention; got \""
                     + r.what + "\"");
    auto sample = parseInteger(a.value("--sample").value_or(""));
    if (!sample)
        return usage("--sample takes a test-set index (an integer)");
    r.sample = *sample;
    auto steps = parseInteger(a.value("--steps").value_or("32"));
    if (!steps || *steps < 1)
        return usage("--steps takes a positive integer");
    r.steps = *steps;
    if (!a.value("--out"))
        return usage("--out DIR is required");
    r.out = *a.value("--out");
    r.layer = a.value("--layer").value_or("");
    return r;
}

} // namespace

int inspectCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--checkpoint", "--sample", "--what",
                                               "--layer", "--steps", "--out"},
                                              {},
                                              1,
                                              1});
    if (auto *message = std::get_if<std::string>(&parsed))
        return usage(*message);
    const auto &a = std::get<ParsedArgs>(parsed);
    auto request = parseInspect(a);
    if (auto *code = std::get_if<int>(&request))
        return *code;
    const auto &r = std::get<Request>(request);
    auto m = train::openRun(storePath(a), a.positionals[0], a.value("--checkpoint").value_or(""));
    if (!m)
        return reportError(m.error());
    if (!m->checkpointNote.empty())
        std::fprintf(stderr, "lathe-cli inspect: %s\n", m->checkpointNote.c_str());
    auto image = m->testImage(r.sample);
    if (!image)
        return reportError(image.error());
    std::error_code ec;
    std::filesystem::create_directories(r.out, ec);
    if (ec)
        return reportError(
            {ErrorCode::Io, "cannot create the folder: " + ec.message(), r.out.string()});
    const auto x = m->prepare(*image);
    auto ok = r.what == "featuremaps" ? writeFeatureMaps(*m, r, x)
              : r.what == "attention" ? writeAttention(*m, r, x, *image)
                                      : writeAttribution(*m, r, x, *image);
    return ok ? kExitOk : reportError(ok.error());
}

int confusionCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--checkpoint"}, {"--json"}, 1, 1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli confusion: %s\nusage: lathe-cli confusion RUN "
                     "[--checkpoint best|last|epoch-N] [--db PATH] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    auto m = train::openRun(storePath(a), a.positionals[0], a.value("--checkpoint").value_or(""));
    if (!m)
        return reportError(m.error());
    if (!m->checkpointNote.empty())
        std::fprintf(stderr, "lathe-cli confusion: %s\n", m->checkpointNote.c_str());
    auto r = inspect::errorReport(*m);
    if (!r)
        return reportError(r.error());
    if (a.has("--json")) {
        const nlohmann::json out{{"run", m->run.id},
                                 {"name", m->run.name},
                                 {"checkpoint", m->checkpoint.name},
                                 {"path", m->checkpoint.path.string()},
                                 {"classes", m->classNames},
                                 {"samples", r->predictions.size()},
                                 {"accuracy", r->accuracy},
                                 {"confusion", r->confusion},
                                 {"precision", r->precision},
                                 {"recall", r->recall},
                                 {"f1", r->f1}};
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    std::printf("run %lld (%s), %s checkpoint %s\naccuracy %.4f  (%zu samples)\n\n",
                (long long)m->run.id, m->run.name.c_str(), m->checkpoint.name.c_str(),
                m->checkpoint.path.c_str(), r->accuracy, r->predictions.size());
    printClassScores({r->confusion, r->precision, r->recall, r->f1}, m->classNames);
    return kExitOk;
}

} // namespace lathe::cli
