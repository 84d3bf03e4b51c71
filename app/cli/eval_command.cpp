// lathe-cli eval: a run's checkpoint on the test set, with per-class scores and the confusion
// matrix. Read-only: the store is not changed.
#include "app/cli/commands.h"

#include "core/train/open_run.h"
#include "core/train/run_evaluation.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace lathe::cli {

void printClassScores(const ClassScores &scores, const std::vector<std::string> &classes)
{
    std::printf("%-14s %9s %9s %9s\n", "class", "precision", "recall", "f1");
    for (std::size_t k = 0; k < classes.size(); ++k)
        std::printf("%-14.14s %9.4f %9.4f %9.4f\n", classes[k].c_str(), scores.precision[k],
                    scores.recall[k], scores.f1[k]);
    std::printf("\nconfusion matrix (rows: true class, columns: predicted)\n%14s", "");
    for (std::size_t k = 0; k < classes.size(); ++k)
        std::printf(" %5zu", k);
    std::printf("\n");
    for (std::size_t t = 0; t < classes.size(); ++t) {
        std::printf("%2zu %-11.11s", t, classes[t].c_str());
        for (auto count : scores.confusion[t])
            std::printf(" %5lld", (long long)count);
        std::printf("\n");
    }
}

namespace {

void printEval(const train::EvalResult &r, const std::vector<std::string> &classes)
{
    std::printf("test loss %.4f  accuracy %.4f  (%lld samples)\n\n", r.loss, r.accuracy,
                (long long)r.samples);
    printClassScores({r.confusion, r.precision, r.recall, r.f1}, classes);
}

} // namespace

int evalCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--checkpoint"}, {"--json"}, 1, 1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli eval: %s\nusage: lathe-cli eval RUN [--checkpoint "
                     "best|last|epoch-N] [--db PATH] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    auto run = train::openRun(storePath(a), a.positionals[0], a.value("--checkpoint").value_or(""));
    if (!run)
        return reportError(run.error());
    if (!run->checkpointNote.empty())
        std::fprintf(stderr, "lathe-cli eval: %s\n", run->checkpointNote.c_str());
    auto result = train::evaluateRun(*run);
    if (!result)
        return reportError(result.error());
    const auto &checkpoint = run->checkpoint;
    if (a.has("--json")) {
        auto out = result->toJson();
        out["run"] = run->run.id;
        out["checkpoint"] = checkpoint.path.string();
        out["classes"] = run->classNames;
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("run %lld (%s), %s checkpoint %s\n", (long long)run->run.id,
                    run->run.name.c_str(), checkpoint.name.c_str(),
                    checkpoint.path.string().c_str());
        printEval(*result, run->classNames);
    }
    return kExitOk;
}

} // namespace lathe::cli
