#pragma once

#include "app/cli/cli_args.h"
#include "core/util/error.h"

#include <filesystem>
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

int trainCommand(const std::vector<std::string> &args);
int resumeCommand(const std::vector<std::string> &args);
int runsCommand(const std::vector<std::string> &args);
int showCommand(const std::vector<std::string> &args);
int compareCommand(const std::vector<std::string> &args);
int evalCommand(const std::vector<std::string> &args);
int infoCommand(const std::vector<std::string> &args);

} // namespace lathe::cli
