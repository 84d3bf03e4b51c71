// lathe-cli import and export-metrics: other trackers' runs (TensorBoard event files, MLflow's
// file store) into the store, and stored runs' metrics out as CSV with their configs as JSON.
#include "app/cli/commands.h"

#include "core/interop/metrics_export.h"
#include "core/interop/run_importer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <unistd.h>

namespace lathe::cli {

namespace {

constexpr const char *kImportUsage
    = "usage: lathe-cli import PATH [--format tensorboard|mlflow] [--db PATH] [--json]\n";
constexpr const char *kExportUsage
    = "usage: lathe-cli export-metrics RUN... --out DIR [--db PATH]\n";

void printImportReport(const interop::ImportReport &report, const std::string &path)
{
    std::printf("%s: %zu run(s) imported, %zu skipped (imported before)\n", path.c_str(),
                report.importedCount(), report.skippedCount());
    for (const auto &run : report.runs) {
        if (run.skipped)
            std::printf("  run %lld  %s  skipped: already imported (%s)\n", (long long)run.runId,
                        run.name.c_str(), run.identity.c_str());
        else
            std::printf("  run %lld  %s  %zu params, %zu series, %lld samples%s\n",
                        (long long)run.runId, run.name.c_str(), run.params, run.series,
                        (long long)run.samples,
                        run.issues.empty() ? ""
                                           : (", " + std::to_string(run.issues.size())
                                              + " damaged record(s) or line(s) left out")
                                                 .c_str());
    }
}

nlohmann::json reportJson(const interop::ImportReport &report)
{
    nlohmann::json runs = nlohmann::json::array();
    for (const auto &run : report.runs) {
        nlohmann::json issues = nlohmann::json::array();
        for (const auto &issue : run.issues)
            issues.push_back({{"file", issue.file},
                              {"offset", issue.offset},
                              {"line", issue.line},
                              {"message", issue.message}});
        runs.push_back({{"run", run.runId},
                        {"name", run.name},
                        {"identity", run.identity},
                        {"skipped", run.skipped},
                        {"params", run.params},
                        {"series", run.series},
                        {"samples", run.samples},
                        {"issues", issues}});
    }
    return {{"format", interop::toString(report.format)},
            {"imported", report.importedCount()},
            {"skipped", report.skippedCount()},
            {"runs", runs}};
}

void printProgress(std::size_t done, std::size_t total, const std::string &current)
{
    static const bool terminal = ::isatty(fileno(stderr));
    if (current.empty()) {
        if (terminal)
            std::fprintf(stderr, "\n");
        return;
    }
    std::fprintf(stderr, terminal ? "\rimport: run %zu/%zu %s\033[K" : "import: run %zu/%zu %s\n",
                 done + 1, total, current.c_str());
    std::fflush(stderr);
}

} // namespace

int importCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--format"}, {"--json"}, 1, 1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli import: %s\n%s", message->c_str(), kImportUsage);
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    interop::ImportOptions options;
    if (const auto text = a.value("--format")) {
        options.format = interop::parseSourceFormat(*text);
        if (!options.format)
            return reportError({ErrorCode::InvalidArgument,
                                "\"" + *text + "\" is not a format; expected tensorboard or mlflow",
                                "--format"});
    }
    options.progress = printProgress;
    const std::string path = a.positionals[0];
    auto report = interop::importRuns(storePath(a), path, options);
    if (!report)
        return reportError(report.error());
    // Damaged records are warnings: the rest of each file was imported.
    for (const auto &run : report->runs)
        for (const auto &issue : run.issues)
            std::fprintf(stderr, "lathe-cli import: warning: %s (run %s)\n",
                         issue.toString().c_str(), run.name.c_str());
    if (a.has("--json"))
        std::printf("%s\n", reportJson(*report).dump(2).c_str());
    else
        printImportReport(*report, path);
    return kExitOk;
}

int exportMetricsCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--out"}, {}, 1, 10000});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli export-metrics: %s\n%s", message->c_str(), kExportUsage);
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    const auto out = a.value("--out");
    if (!out) {
        std::fprintf(stderr, "lathe-cli export-metrics: --out DIR is required\n%s", kExportUsage);
        return kExitUsage;
    }
    auto written = interop::exportMetrics(storePath(a), a.positionals, *out);
    if (!written)
        return reportError(written.error());
    for (const auto &run : *written)
        std::printf("run %lld (%s): %lld rows -> %s, config -> %s\n", (long long)run.runId,
                    run.name.c_str(), (long long)run.rows, run.csv.string().c_str(),
                    run.config.string().c_str());
    return kExitOk;
}

} // namespace lathe::cli
