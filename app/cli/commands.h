#pragma once

#include "app/cli/cli_args.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lathe::cli {

/// lathe-cli's exit codes.
enum ExitCode { kExitOk = 0, kExitUsage = 2, kExitBadInput = 3, kExitTrainingFailed = 4 };

/// Prints `error` to stderr as "lathe-cli: <context>: <message>" and returns its exit code
/// (training failures 4, everything else the user can fix 3).
int reportError(const Error &error);

/// The store path: --db, else $LATHE_DB, else the data directory's lathe.db.
std::filesystem::path storePath(const ParsedArgs &args);

/// `text` as a whole base-10 integer (nothing else in it), else nullopt.
std::optional<std::int64_t> parseInteger(const std::string &text);

/// Per-class scores and the confusion matrix ([true][predicted]) of one evaluation.
struct ClassScores
{
    const std::vector<std::vector<std::int64_t>> &confusion;
    const std::vector<double> &precision, &recall, &f1;
};

/// Prints the per-class precision/recall/F1 table and the confusion matrix to stdout.
void printClassScores(const ClassScores &scores, const std::vector<std::string> &classes);

int trainCommand(const std::vector<std::string> &args);
int finetuneCommand(const std::vector<std::string> &args);
int resumeCommand(const std::vector<std::string> &args);
int runsCommand(const std::vector<std::string> &args);
int showCommand(const std::vector<std::string> &args);
int compareCommand(const std::vector<std::string> &args);
int evalCommand(const std::vector<std::string> &args);
int infoCommand(const std::vector<std::string> &args);
int inspectCommand(const std::vector<std::string> &args);
int confusionCommand(const std::vector<std::string> &args);
int pluginsCommand(const std::vector<std::string> &args);
int exportCommand(const std::vector<std::string> &args);
int sweepCommand(const std::vector<std::string> &args);
int sweepsCommand(const std::vector<std::string> &args);
int robustnessCommand(const std::vector<std::string> &args);
int datasetCommand(const std::vector<std::string> &args);
int importCommand(const std::vector<std::string> &args);
int exportMetricsCommand(const std::vector<std::string> &args);

} // namespace lathe::cli
