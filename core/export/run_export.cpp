#include "core/export/run_export.h"

#include "core/export/onnx_parity.h"
#include "core/formats/atomic_file.h"
#include "core/formats/onnx_export.h"
#include "core/formats/safetensors.h"
#include "core/formats/state_dict.h"
#include "core/formats/torchscript_export.h"
#include "core/formats/weight_compression.h"
#include "core/model/lora.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/train/open_run.h"
#include "core/train/run_environment.h"
#include "core/util/clock.h"
#include "core/util/sha256.h"
#include "core/util/torch_error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace lathe::exporting {

namespace {

constexpr std::int64_t kParityImages = 100;
constexpr double kReloadTolerance = 1e-5;

struct Exporting
{
    train::OpenedRun model;
    torch::Tensor parityInput; // [<=100, C, H, W], normalised like training
};

Result<void> checkOptions(const ExportOptions &o)
{
    const auto &formats = exportFormats();
    if (std::find(formats.begin(), formats.end(), o.format) == formats.end())
        return fail(ErrorCode::InvalidArgument,
                    "unknown format \"" + o.format + "\"; use torchscript, onnx or safetensors",
                    "--format");
    if (!std::isfinite(o.prune) || o.prune < 0.0 || o.prune >= 1.0)
        return fail(ErrorCode::InvalidArgument, "prune must be a share in [0, 1)", "--prune");
    if (o.outDir.empty())
        return fail(ErrorCode::InvalidArgument, "no output folder given", "--out");
    return {};
}

// Test accuracy of `net` (the model's own preprocessing), in batches.
double accuracy(model::Net &net, const train::OpenedRun &m)
{
    if (!m.data.test || m.data.test->size() == 0)
        return 0.0;
    torch::NoGradGuard noGrad;
    net->eval();
    const auto n = m.data.test->size();
    const torch::Tensor labels = m.data.test->labels();
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < n; start += 500) {
        const auto count = std::min<std::int64_t>(500, n - start);
        const torch::Tensor x = m.prepare(m.data.test->images(torch::arange(start, start + count)));
        correct += net->forward(x)
                       .argmax(1)
                       .eq(labels.narrow(0, start, count))
                       .sum()
                       .item<std::int64_t>();
    }
    return double(correct) / double(n);
}

// Merges LoRA, then prunes and quantises as asked; the weights as they will be written.
Result<std::optional<CompressionReport>> compress(Exporting &e, const ExportOptions &o)
{
    model::mergeLora(e.model.net);
    if (!o.quantizeInt8 && o.prune == 0.0)
        return std::optional<CompressionReport>();
    CompressionReport report;
    report.accuracyBefore = accuracy(e.model.net, e.model);
    report.bytesBefore = formats::float32Bytes(formats::stateDict(e.model.net));
    if (o.prune > 0.0) {
        auto pruned = formats::prune(e.model.net, o.prune);
        if (!pruned)
            return std::unexpected(pruned.error());
        report.weightsPruned = *pruned;
    }
    if (o.quantizeInt8)
        if (auto ok = formats::applyInt8RoundTrip(e.model.net); !ok)
            return std::unexpected(ok.error());
    report.accuracyAfter = accuracy(e.model.net, e.model);
    const auto tensors = formats::stateDict(e.model.net);
    report.bytesAfter = o.quantizeInt8 && o.format == "safetensors"
                            ? formats::int8Bytes(tensors)
                            : formats::float32Bytes(tensors);
    return std::optional<CompressionReport>(report);
}

Result<std::filesystem::path> writeModel(Exporting &e, const ExportOptions &o)
{
    auto &net = e.model.net;
    const auto &shape = e.model.inputShape;
    if (o.format == "torchscript") {
        const auto file = o.outDir / "model.pt";
        auto ok = formats::writeTorchScript(net, shape, file);
        return ok ? Result<std::filesystem::path>(file) : std::unexpected(ok.error());
    }
    if (o.format == "onnx") {
        const auto file = o.outDir / "model.onnx";
        auto ok = formats::writeOnnx(net, shape, file);
        return ok ? Result<std::filesystem::path>(file) : std::unexpected(ok.error());
    }
    const auto file = o.outDir / "model.safetensors";
    auto tensors = formats::stateDict(net);
    if (o.quantizeInt8) {
        auto quantized = formats::quantizeWeightsInt8(tensors);
        if (!quantized)
            return std::unexpected(quantized.error());
        tensors = std::move(*quantized);
    }
    const std::map<std::string, std::string> metadata{
        {"format", "pt"},
        {"lathe_arch", e.model.config.model.arch},
        {"lathe_run", std::to_string(e.model.run.id)}};
    auto ok = formats::writeSafetensors(tensors, metadata, file);
    return ok ? Result<std::filesystem::path>(file) : std::unexpected(ok.error());
}

// What a program needs to use the model: its input, classes and preprocessing.
Result<std::filesystem::path> writeConfig(const Exporting &e, const ExportOptions &o,
                                          const std::filesystem::path &model)
{
    const nlohmann::json json{
        {"format", o.format},
        {"file", model.filename().string()},
        {"model", e.model.config.model.toJson()},
        {"input", {{"name", "input"}, {"shape", nlohmann::json::array({"batch"})}}},
        {"input_shape", e.model.inputShape},
        {"output", "logits"},
        {"classes", e.model.classNames},
        {"normalization",
         {{"mean", e.model.normalization.mean}, {"std", e.model.normalization.std}}},
        {"run", {{"id", e.model.run.id}, {"name", e.model.run.name}}},
        {"checkpoint", e.model.checkpoint.name},
        {"int8_weights", o.quantizeInt8},
        {"prune", o.prune}};
    const auto file = o.outDir / "config.json";
    auto ok = formats::writeFileAtomically(file, json.dump(2) + "\n");
    return ok ? Result<std::filesystem::path>(file) : std::unexpected(ok.error());
}

ParityResult parity(Exporting &e, const ExportOptions &o, const std::filesystem::path &file)
{
    ParityResult result;
    result.tolerance = kReloadTolerance;
    try {
        torch::NoGradGuard noGrad;
        auto &net = e.model.net;
        net->eval();
        const torch::Tensor expected = net->forward(e.parityInput);
        torch::Tensor actual;
        if (o.format == "onnx")
            return onnxRuntimeParity(file, e.parityInput, expected, o.onnxRuntimeDir);
        if (o.format == "torchscript") {
            auto loaded = formats::loadTorchScript(file);
            if (!loaded) {
                result.checked = true;
                result.detail = "the file does not load: " + loaded.error().toString();
                return result;
            }
            actual = loaded->forward({e.parityInput}).toTensor();
        } else {
            // Read the file back into the same network and run it again.
            if (auto ok = formats::loadSafetensorsInto(net, file); !ok) {
                result.checked = true;
                result.detail = "the file does not load: " + ok.error().toString();
                return result;
            }
            actual = net->forward(e.parityInput);
        }
        result.checked = true;
        result.maxAbsDiff = (actual - expected).abs().max().item<double>();
        result.passed = result.maxAbsDiff <= kReloadTolerance;
        result.detail = "reloaded " + file.filename().string() + " on "
                        + std::to_string(e.parityInput.size(0)) + " test images";
    } catch (const std::exception &ex) {
        result.checked = true;
        result.detail = "the exported model fails: " + util::describe(ex);
    }
    return result;
}

ModelCard cardFor(const Exporting &e, const ExportOptions &o, const ParityResult &p,
                  track::RunStore &store)
{
    ModelCard card;
    card.runId = e.model.run.id;
    card.runName = e.model.run.name;
    card.config = nlohmann::json::parse(e.model.run.configJson, nullptr, false);
    namespace keys = track::keys;
    for (const auto key : {keys::kTestAccuracy, keys::kTestLoss, keys::kValAccuracy, keys::kValLoss,
                           keys::kPrivacyEpsilon, keys::kPrivacyDelta})
        if (auto value = store.lastMetric(e.model.run.id, key); value && *value)
            card.metrics[std::string(key)] = **value;
    if (e.model.run.parentId) {
        card.parentRunId = *e.model.run.parentId;
        if (auto parent = store.run(*e.model.run.parentId))
            card.parentRunName = parent->name;
    }
    card.exportOptions = {o.format, o.quantizeInt8 ? "int8" : "none", o.prune};
    card.parity = p;
    card.createdAt = util::isoLocalTime(util::unixNow());
    if (auto env = train::latestEnvironment(store, e.model.run.id); env && *env)
        card.trainedOn = **env;
    return card;
}

void record(track::RunStore &store, const ExportReport &report, const ExportOptions &o)
{
    for (const auto &file : report.files) {
        std::error_code ec;
        const auto bytes = std::int64_t(std::filesystem::file_size(file, ec));
        auto digest = util::sha256File(file);
        (void)store.addArtifact({0, report.runId, "export/" + o.format, file.string(),
                                 ec ? 0 : bytes, digest ? *digest : "", 0});
    }
    const nlohmann::json payload{{"format", o.format},
                                 {"folder", o.outDir.string()},
                                 {"parity_checked", report.parity.checked},
                                 {"parity_passed", report.parity.passed},
                                 {"max_abs_diff", report.parity.maxAbsDiff},
                                 {"detail", report.parity.detail}};
    (void)store.addEvent({0, report.runId, "exported", 0, 0, payload.dump()});
}

void removeAll(const std::vector<std::filesystem::path> &files)
{
    std::error_code ec;
    for (const auto &f : files)
        std::filesystem::remove(f, ec);
}

} // namespace

const std::vector<std::string> &exportFormats()
{
    static const std::vector<std::string> formats{"torchscript", "onnx", "safetensors"};
    return formats;
}

Result<ExportReport> exportRun(const std::filesystem::path &db, const std::string &runRef,
                               const ExportOptions &options, const ExportProgress &progress)
{
    const auto say = [&](const char *phase, double done) {
        if (progress)
            progress(phase, done);
    };
    if (auto ok = checkOptions(options); !ok)
        return std::unexpected(ok.error());
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    say("loading the checkpoint", 0.0);
    auto opened = train::openRun(db, runRef, options.checkpoint);
    if (!opened)
        return std::unexpected(opened.error());
    Exporting e{std::move(*opened), {}};
    ExportReport report;
    report.runId = e.model.run.id;
    report.checkpoint = e.model.checkpoint.name;
    report.checkpointNote = e.model.checkpointNote;
    try {
        const auto &test = e.model.data.test;
        if (test && test->size() > 0) {
            const auto n = std::min(kParityImages, test->size());
            e.parityInput = e.model.prepare(test->images(torch::arange(n)));
        } else {
            // A private generator: an export must not move the global one a training run uses.
            std::vector<std::int64_t> shape{kParityImages};
            shape.insert(shape.end(), e.model.inputShape.begin(), e.model.inputShape.end());
            e.parityInput = torch::rand(
                shape, at::make_generator<at::CPUGeneratorImpl>(e.model.config.training.seed));
        }
        say(options.quantizeInt8 || options.prune > 0 ? "compressing the weights" : "preparing",
            0.2);
        auto compression = compress(e, options);
        if (!compression)
            return std::unexpected(compression.error());
        report.compression = *compression;
        std::error_code ec;
        std::filesystem::create_directories(options.outDir, ec);
        if (ec)
            return fail(ErrorCode::Io, "cannot create the output folder: " + ec.message(),
                        options.outDir.string());
        say("writing", 0.5);
        auto model = writeModel(e, options);
        if (!model)
            return std::unexpected(model.error());
        report.files.push_back(*model);
        auto config = writeConfig(e, options, *model);
        if (!config) {
            removeAll(report.files);
            return std::unexpected(config.error());
        }
        report.files.push_back(*config);
        say("checking parity", 0.7);
        report.parity = parity(e, options, *model);
        say("writing the model card", 0.9);
        auto card = writeModelCard(cardFor(e, options, report.parity, **store), options.outDir);
        if (!card) {
            removeAll(report.files);
            return std::unexpected(card.error());
        }
        report.files.push_back(options.outDir / kModelCardMarkdownName);
        report.files.push_back(options.outDir / kModelCardJsonName);
    } catch (const std::exception &ex) {
        removeAll(report.files);
        return fail(ErrorCode::Internal, "export failed: " + util::describe(ex),
                    "run " + std::to_string(e.model.run.id));
    }
    record(**store, report, options);
    say("done", 1.0);
    return report;
}

} // namespace lathe::exporting
