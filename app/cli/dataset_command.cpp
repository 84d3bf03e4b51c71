// lathe-cli dataset: the quality of a config's data. `issues` finds likely label errors by
// confident learning (K-fold out-of-sample probabilities, or a stored run's held-out test set);
// `duplicates` finds exact and near copies within and across the train and test splits.
#include "app/cli/commands.h"
#include "app/cli/stop_signals.h"

#include "core/data/label_issues.h"
#include "core/data/near_duplicates.h"
#include "core/train/cross_val_probabilities.h"
#include "core/train/open_run.h"
#include "core/train/run_setup.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace lathe::cli {

namespace {

constexpr const char *kDatasetUsage
    = "usage: lathe-cli dataset issues [--config CONFIG | --run RUN] [--folds K] "
      "[--checkpoint C] [--db PATH] [--no-store] [--csv OUT] [--json]\n"
      "       lathe-cli dataset duplicates [--config CONFIG] [--max-hamming H] [--max-rms R] "
      "[--csv OUT] [--json]\n";

void progressLine(const char *what, std::int64_t done, std::int64_t total)
{
    static const bool terminal = ::isatty(fileno(stderr));
    // Not a terminal (a log): a line at each tenth of the work, and at the end.
    static std::int64_t lastTenth = -1;
    const std::int64_t tenth = total > 0 ? 10 * done / total : 10;
    if (!terminal && tenth == lastTenth && done != total)
        return;
    lastTenth = tenth;
    std::fprintf(stderr, terminal ? "\rdataset: %s %lld/%lld" : "dataset: %s %lld/%lld\n", what,
                 (long long)done, (long long)total);
    if (terminal && done == total)
        std::fprintf(stderr, "\n");
    std::fflush(stderr);
}

Result<train::RunConfig> configOf(const ParsedArgs &a)
{
    if (const auto file = a.value("--config"))
        return train::loadRunConfig(*file);
    return train::RunConfig{};
}

Result<void> writeText(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        return fail(ErrorCode::Io, "cannot write the CSV file", path);
    return {};
}

std::string csvField(const std::string &text)
{
    if (text.find_first_of(",\"\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// ---- issues ---------------------------------------------------------------------------------

struct IssueInput
{
    torch::Tensor probs;
    torch::Tensor labels;
    std::vector<std::string> classNames;
    std::string split;
    std::string source;  ///< "5-fold cross-validation of CONFIG" or "run N (checkpoint)"
    std::string group{}; ///< the stored fold runs' repeat group (empty: none stored)
    std::vector<std::int64_t> runIds{};
};

Result<IssueInput> fromFolds(const ParsedArgs &a, std::int64_t folds)
{
    auto config = configOf(a);
    if (!config)
        return std::unexpected(config.error());
    auto data = train::loadTrainData(config->data);
    if (!data)
        return std::unexpected(data.error());
    const auto &dataset = data->train;
    if (auto ok = data::checkLabelIssueInput(dataset->labels(), dataset->classNames(), folds); !ok)
        return fail(ok.error().code, ok.error().message, dataset->description());
    // Each fold is stored as a run (one repeat group) unless --no-store; Ctrl-C stops the fold
    // in training and deletes the group's runs.
    train::FoldRunOptions runs;
    if (!a.has("--no-store"))
        runs.db = storePath(a);
    std::stop_source stop;
    const auto watcher = watchStopSignals(stop, "\nstopping: the K-fold runs are deleted\n");
    auto cv = train::crossValidate(*config, dataset, folds, runs, stop.get_token(),
                                   [](std::int64_t fold, std::int64_t total) {
                                       progressLine("training fold", fold + 1, total);
                                   });
    if (!cv)
        return std::unexpected(cv.error());
    return IssueInput{cv->probs,
                      dataset->labels(),
                      dataset->classNames(),
                      "train",
                      std::to_string(folds) + "-fold cross-validation",
                      cv->group,
                      cv->runIds};
}

Result<IssueInput> fromRun(const ParsedArgs &a, const std::string &ref)
{
    auto run = train::openRun(storePath(a), ref, a.value("--checkpoint").value_or(""));
    if (!run)
        return std::unexpected(run.error());
    if (!run->data.test)
        return fail(ErrorCode::BadInput,
                    "the run has no test set: its checkpoint saw every other sample, so it gives "
                    "no held-out probabilities; use --config with --folds",
                    ref);
    const auto &test = *run->data.test;
    if (auto ok = data::checkLabelIssueInput(test.labels(), test.classNames(), 0); !ok)
        return fail(ok.error().code, ok.error().message, test.description());
    progressLine("predicting test samples", 0, test.size());
    auto probs = train::predictProbabilities(run->net, run->normalization, test);
    if (!probs)
        return std::unexpected(probs.error());
    progressLine("predicting test samples", test.size(), test.size());
    return IssueInput{*probs,
                      test.labels(),
                      test.classNames(),
                      "test",
                      "run " + std::to_string(run->run.id) + " (" + run->checkpoint.name
                          + " checkpoint) on its held-out test set",
                      {},
                      {}};
}

std::string issuesCsv(const IssueInput &in, const data::LabelIssueReport &report)
{
    std::string text = "index,split,given_label,given_name,suggested_label,suggested_name,"
                       "self_confidence\n";
    for (const auto &i : report.issues)
        text += std::to_string(i.index) + "," + in.split + "," + std::to_string(i.given) + ","
                + csvField(in.classNames[std::size_t(i.given)]) + "," + std::to_string(i.suggested)
                + "," + csvField(in.classNames[std::size_t(i.suggested)]) + ","
                + std::to_string(i.selfConfidence) + "\n";
    return text;
}

nlohmann::json issuesJson(const IssueInput &in, const data::LabelIssueReport &report)
{
    nlohmann::json issues = nlohmann::json::array();
    for (const auto &i : report.issues)
        issues.push_back({{"index", i.index},
                          {"split", in.split},
                          {"given", i.given},
                          {"suggested", i.suggested},
                          {"self_confidence", i.selfConfidence},
                          {"suggested_probability", i.suggestedProb}});
    return {{"source", in.source},
            {"group", in.group},
            {"runs", in.runIds},
            {"samples", report.samples},
            {"classes", in.classNames},
            {"thresholds", report.thresholds},
            {"confident_joint", report.confidentJoint},
            {"issues", issues}};
}

void printIssues(const IssueInput &in, const data::LabelIssueReport &report)
{
    std::printf("%zu suspected label issues in %lld %s samples (%s)\n", report.issues.size(),
                (long long)report.samples, in.split.c_str(), in.source.c_str());
    std::printf("%8s %-14s %-14s %10s\n", "index", "given", "suggested", "self-conf");
    const std::size_t shown = std::min<std::size_t>(report.issues.size(), 20);
    for (std::size_t r = 0; r < shown; ++r) {
        const auto &i = report.issues[r];
        std::printf("%8lld %-14s %-14s %10.4f\n", (long long)i.index,
                    in.classNames[std::size_t(i.given)].c_str(),
                    in.classNames[std::size_t(i.suggested)].c_str(), i.selfConfidence);
    }
    if (shown < report.issues.size())
        std::printf("... %zu more (--csv OUT writes them all)\n", report.issues.size() - shown);
    if (!in.group.empty())
        std::printf("the %zu fold trainings are runs %lld to %lld, repeat group %s: `lathe-cli "
                    "compare --group-by repeat` shows them\n",
                    in.runIds.size(), (long long)in.runIds.front(), (long long)in.runIds.back(),
                    in.group.c_str());
}

int issues(const ParsedArgs &a)
{
    blockStopSignals(); // before any LibTorch thread starts (stop_signals.h)
    if (a.value("--config") && a.value("--run"))
        return reportError(fail(ErrorCode::InvalidArgument,
                                "give --config (K-fold training) or --run (a held-out "
                                "checkpoint), not both",
                                "dataset issues")
                               .error());
    const auto folds = parseInteger(a.value("--folds").value_or("5"));
    if (!folds || *folds < 2)
        return reportError(
            fail(ErrorCode::InvalidArgument,
                 "\"" + a.value("--folds").value_or("") + "\": --folds needs a whole number >= 2",
                 "--folds")
                .error());
    const auto run = a.value("--run");
    auto input = run ? fromRun(a, *run) : fromFolds(a, *folds);
    if (!input)
        return reportError(input.error());
    auto report = data::findLabelIssues(input->probs, input->labels);
    if (!report)
        return reportError(report.error());
    if (const auto csv = a.value("--csv"))
        if (auto ok = writeText(*csv, issuesCsv(*input, *report)); !ok)
            return reportError(ok.error());
    if (a.has("--json"))
        std::printf("%s\n", issuesJson(*input, *report).dump(2).c_str());
    else
        printIssues(*input, *report);
    return kExitOk;
}

// ---- duplicates -----------------------------------------------------------------------------

Result<data::NearDuplicateOptions> duplicateOptions(const ParsedArgs &a)
{
    data::NearDuplicateOptions options;
    if (const auto text = a.value("--max-hamming")) {
        const auto value = parseInteger(*text);
        if (!value)
            return fail(ErrorCode::InvalidArgument, "\"" + *text + "\" is not a whole number",
                        "--max-hamming");
        options.maxHamming = int(std::clamp<std::int64_t>(*value, -1, 65));
    }
    if (const auto text = a.value("--max-rms")) {
        char *end = nullptr;
        options.maxRms = std::strtod(text->c_str(), &end);
        if (text->empty() || end != text->c_str() + text->size())
            return fail(ErrorCode::InvalidArgument, "\"" + *text + "\" is not a number",
                        "--max-rms");
    }
    if (auto ok = data::checkNearDuplicateOptions(options); !ok)
        return fail(ErrorCode::InvalidArgument, ok.error().message,
                    ok.error().context == "max_hamming" ? "--max-hamming" : "--max-rms");
    return options;
}

std::string duplicatesCsv(const data::DuplicateReport &report)
{
    std::string text = "group,split,index,label,exact\n";
    for (std::size_t g = 0; g < report.clusters.size(); ++g)
        for (const auto &m : report.clusters[g].members)
            text += std::to_string(g + 1) + "," + report.splitNames[std::size_t(m.split)] + ","
                    + std::to_string(m.index) + "," + std::to_string(m.label) + ","
                    + (report.clusters[g].exact ? "1" : "0") + "\n";
    return text;
}

nlohmann::json duplicatesJson(const data::DuplicateReport &report,
                              const data::NearDuplicateOptions &options)
{
    nlohmann::json counts = nlohmann::json::array();
    for (std::size_t i = 0; i < report.splitNames.size(); ++i)
        for (std::size_t j = i; j < report.splitNames.size(); ++j)
            counts.push_back({{"splits", {report.splitNames[i], report.splitNames[j]}},
                              {"pairs", report.pairs[i][j]},
                              {"exact_pairs", report.exactPairs[i][j]}});
    nlohmann::json groups = nlohmann::json::array();
    for (const auto &c : report.clusters) {
        nlohmann::json members = nlohmann::json::array();
        for (const auto &m : c.members)
            members.push_back({{"split", report.splitNames[std::size_t(m.split)]},
                               {"index", m.index},
                               {"label", m.label}});
        groups.push_back({{"exact", c.exact},
                          {"mixed_labels", c.mixedLabels},
                          {"max_rms", c.maxRms},
                          {"members", members}});
    }
    return {{"max_hamming", options.maxHamming},
            {"max_rms", options.maxRms},
            {"counts", counts},
            {"groups", groups}};
}

void printDuplicates(const data::DuplicateReport &report, const data::NearDuplicateOptions &options)
{
    std::printf("duplicates (perceptual hash within %d bits, RMS pixel difference <= %.3g)\n",
                options.maxHamming, options.maxRms);
    std::printf("%-20s %10s %12s\n", "splits", "exact pairs", "near pairs");
    for (std::size_t i = 0; i < report.splitNames.size(); ++i)
        for (std::size_t j = i; j < report.splitNames.size(); ++j) {
            const std::string name = i == j ? "within " + report.splitNames[i]
                                            : report.splitNames[i] + " - " + report.splitNames[j];
            std::printf("%-20s %10lld %12lld\n", name.c_str(), (long long)report.exactPairs[i][j],
                        (long long)(report.pairs[i][j] - report.exactPairs[i][j]));
        }
    std::printf("%zu groups\n", report.clusters.size());
    for (std::size_t g = 0; g < std::min<std::size_t>(report.clusters.size(), 20); ++g) {
        const auto &c = report.clusters[g];
        std::printf("  %s%s:", c.exact ? "exact" : "near", c.mixedLabels ? ", labels differ" : "");
        for (const auto &m : c.members)
            std::printf(" %s[%lld]", report.splitNames[std::size_t(m.split)].c_str(),
                        (long long)m.index);
        std::printf("\n");
    }
}

int duplicates(const ParsedArgs &a)
{
    auto options = duplicateOptions(a);
    if (!options)
        return reportError(options.error());
    auto config = configOf(a);
    if (!config)
        return reportError(config.error());
    auto data = train::loadTrainData(config->data);
    if (!data)
        return reportError(data.error());
    std::vector<data::NamedSplit> splits{{"train", data->train}};
    if (data->test)
        splits.push_back({"test", data->test});
    auto report
        = data::findNearDuplicates(splits, *options, {}, [](std::int64_t done, std::int64_t total) {
              progressLine("samples hashed and compared", done, total);
          });
    if (!report)
        return reportError(report.error());
    if (const auto csv = a.value("--csv"))
        if (auto ok = writeText(*csv, duplicatesCsv(*report)); !ok)
            return reportError(ok.error());
    if (a.has("--json"))
        std::printf("%s\n", duplicatesJson(*report, *options).dump(2).c_str());
    else
        printDuplicates(*report, *options);
    return kExitOk;
}

} // namespace

int datasetCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--config", "--run", "--folds", "--checkpoint",
                                               "--db", "--csv", "--max-hamming", "--max-rms"},
                                              {"--json", "--no-store"},
                                              1,
                                              1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli dataset: %s\n%s", message->c_str(), kDatasetUsage);
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    if (a.positionals[0] == "issues")
        return issues(a);
    if (a.positionals[0] == "duplicates")
        return duplicates(a);
    std::fprintf(stderr, "lathe-cli dataset: unknown subcommand \"%s\"\n%s",
                 a.positionals[0].c_str(), kDatasetUsage);
    return kExitUsage;
}

} // namespace lathe::cli
