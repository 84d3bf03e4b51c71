// lathe-cli eval: a run's checkpoint on the test set, with per-class scores and the confusion
// matrix. Read-only: the store is not changed.
#include "app/cli/commands.h"

#include "core/track/run_store.h"
#include "core/train/run_job.h"

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
        std::fprintf(stderr, "lathe-cli eval: %s\nusage: lathe-cli eval RUN [--checkpoint "
                             "best|last] [--db PATH] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    const std::string which = a.value("--checkpoint").value_or("best");
    if (which != "best" && which != "last") {
        std::fprintf(stderr, "lathe-cli eval: --checkpoint is best or last, not \"%s\"\n",
                     which.c_str());
        return kExitUsage;
    }
    const auto db = storePath(a);
    auto store = track::RunStore::open(db);
    if (!store)
        return reportError(store.error());
    auto run = (*store)->findRun(a.positionals[0]);
    if (!run)
        return reportError(run.error());
    auto config = train::RunConfig::fromJson(nlohmann::json::parse(run->configJson, nullptr,
                                                                   false));
    if (!config)
        return reportError(config.error());
    auto data = train::loadTrainData(config->data);
    if (!data)
        return reportError(data.error());
    const auto classes = data->train->classNames();
    auto trainer = train::Trainer::create(*config, std::move(*data), {});
    if (!trainer)
        return reportError(trainer.error());
    const auto checkpoint = train::runDirectory(db, run->id) / (which + ".pt");
    if (auto ok = (*trainer)->restore(checkpoint); !ok)
        return reportError(ok.error());
    auto result = (*trainer)->evaluateTest();
    if (!result)
        return reportError(result.error());
    if (a.has("--json")) {
        auto out = result->toJson();
        out["run"] = run->id;
        out["checkpoint"] = checkpoint.string();
        out["classes"] = classes;
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("run %lld (%s), %s checkpoint %s\n", (long long)run->id, run->name.c_str(),
                    which.c_str(), checkpoint.string().c_str());
        printEval(*result, classes);
    }
    return kExitOk;
}

} // namespace lathe::cli
