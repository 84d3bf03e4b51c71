// lathe-cli export: a run's checkpoint as TorchScript, ONNX or safetensors (with int8 weights
// and pruning), checked against the checkpoint and described by a model card.
#include "app/cli/commands.h"

#include "core/export/run_export.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace lathe::cli {

namespace {

void printExportReport(const exporting::ExportReport &report)
{
    if (!report.checkpointNote.empty())
        std::printf("%s\n", report.checkpointNote.c_str());
    for (const auto &file : report.files)
        std::printf("wrote %s\n", file.c_str());
    const auto &p = report.parity;
    if (!p.checked)
        std::printf("parity: %s\n", p.detail.c_str());
    else
        std::printf("parity: %s, max abs diff %.3g (tolerance %.0e), %s\n",
                    p.passed ? "passed" : "FAILED", p.maxAbsDiff, p.tolerance, p.detail.c_str());
    if (const auto &c = report.compression)
        std::printf("weights: %lld -> %lld bytes, %lld pruned; test accuracy %.4f -> %.4f\n",
                    (long long)c->bytesBefore, (long long)c->bytesAfter,
                    (long long)c->weightsPruned, c->accuracyBefore, c->accuracyAfter);
}

} // namespace

int exportCommand(const std::vector<std::string> &args)
{
    const CommandSpec spec{
        {"--db", "--format", "--quantize", "--prune", "--out", "--checkpoint"}, {}, 1, 1};
    auto parsed = parseArgs(args, spec);
    const char *usage = "usage: lathe-cli export RUN --format torchscript|onnx|safetensors "
                        "--out DIR [--quantize int8] [--prune 0.5] [--checkpoint best|last|"
                        "epoch-N] [--db PATH]\n";
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli export: %s\n%s", message->c_str(), usage);
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    exporting::ExportOptions options;
    options.format = a.value("--format").value_or("");
    options.outDir = a.value("--out").value_or("");
    options.checkpoint = a.value("--checkpoint").value_or("");
    const auto quantize = a.value("--quantize").value_or("none");
    if (quantize != "none" && quantize != "int8") {
        std::fprintf(stderr, "lathe-cli export: --quantize is int8 (or none)\n%s", usage);
        return kExitUsage;
    }
    options.quantizeInt8 = quantize == "int8";
    if (auto prune = a.value("--prune")) {
        char *end = nullptr;
        options.prune = std::strtod(prune->c_str(), &end);
        if (end == prune->c_str() || *end) {
            std::fprintf(stderr, "lathe-cli export: --prune needs a number in [0, 1)\n%s", usage);
            return kExitUsage;
        }
    }
    if (options.format.empty() || options.outDir.empty()) {
        std::fprintf(stderr, "lathe-cli export: --format and --out are required\n%s", usage);
        return kExitUsage;
    }
    auto report = exporting::exportRun(storePath(a), a.positionals[0], options);
    if (!report)
        return reportError(report.error());
    printExportReport(*report);
    return report->parity.checked && !report->parity.passed ? kExitBadInput : kExitOk;
}

} // namespace lathe::cli
