// lathe-cli robustness: a run's checkpoint under FGSM or PGD at a list of epsilons (pixel
// units), as a table or JSON, stored as the run's "robustness" event for the window.
#include "app/cli/commands.h"

#include "core/robust/robustness_evaluation.h"
#include "core/train/open_run.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <unistd.h>

namespace lathe::cli {

namespace {

constexpr const char *kRobustnessUsage
    = "usage: lathe-cli robustness RUN [--eps 0.05,0.1,0.2] [--attack pgd|fgsm] [--steps 40] "
      "[--step-size S] [--restarts R] [--no-random-start] [--limit N] "
      "[--checkpoint best|last|epoch-N] [--db PATH] [--json]\n";

/// A whole number or decimal (no trailing text), else nullopt.
std::optional<double> parseNumber(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    char *end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

Result<std::vector<double>> parseEpsilons(const std::string &list)
{
    std::vector<double> out;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto value = parseNumber(item);
        if (!value)
            return fail(ErrorCode::InvalidArgument,
                        "\"" + item
                            + "\" is not a number; expected a comma-separated list such "
                              "as 0.05,0.1,0.2",
                        "--eps");
        out.push_back(*value);
    }
    if (out.empty())
        return fail(ErrorCode::InvalidArgument, "no epsilon given; e.g. --eps 0.05,0.1,0.2",
                    "--eps");
    return out;
}

Result<std::int64_t> integerOption(const ParsedArgs &a, const std::string &name,
                                   std::int64_t fallback)
{
    const auto text = a.value(name);
    if (!text)
        return fallback;
    const auto value = parseInteger(*text);
    if (!value)
        return fail(ErrorCode::InvalidArgument, "\"" + *text + "\" is not a whole number", name);
    return *value;
}

Result<robust::RobustnessOptions> readOptions(const ParsedArgs &a)
{
    robust::RobustnessOptions options;
    auto kind = robust::parseAttackKind(a.value("--attack").value_or("pgd"));
    if (!kind)
        return fail(ErrorCode::InvalidArgument, kind.error().message, "--attack");
    options.attack.kind = *kind;
    auto epsilons = parseEpsilons(a.value("--eps").value_or("0.05,0.1,0.2"));
    if (!epsilons)
        return std::unexpected(epsilons.error());
    options.epsilons = *epsilons;
    if (std::find(options.epsilons.begin(), options.epsilons.end(), 0.0) == options.epsilons.end())
        options.epsilons.insert(options.epsilons.begin(), 0.0); // the clean accuracy
    auto steps = integerOption(a, "--steps", 40);
    auto restarts = integerOption(a, "--restarts", 1);
    auto limit = integerOption(a, "--limit", 1000);
    for (const auto *value : {&steps, &restarts, &limit})
        if (!*value)
            return std::unexpected(value->error());
    options.attack.steps = *steps;
    options.attack.restarts = *restarts;
    options.limit = *limit;
    options.attack.randomStart = !a.has("--no-random-start");
    if (const auto text = a.value("--step-size")) {
        const auto value = parseNumber(*text);
        if (!value || *value <= 0)
            return fail(ErrorCode::InvalidArgument,
                        "\"" + *text + "\" is not a step size; expected a number > 0 (pixel units)",
                        "--step-size");
        options.attack.stepSize = *value;
    }
    if (auto ok = robust::checkRobustnessOptions(options); !ok)
        return fail(ErrorCode::InvalidArgument, ok.error().message, "--" + ok.error().context);
    return options;
}

void printTable(const train::OpenedRun &run, const robust::RobustnessOptions &options,
                const std::vector<robust::RobustPoint> &points)
{
    const auto &attack = options.attack;
    std::printf("run %lld (%s), %s checkpoint; %s", (long long)run.run.id, run.run.name.c_str(),
                run.checkpoint.name.c_str(), robust::attackName(attack.kind).c_str());
    if (attack.kind == robust::AttackKind::Pgd)
        std::printf("-%lld", (long long)attack.steps);
    std::printf(", %s, %lld restart(s), %lld test samples\n\n",
                attack.randomStart ? "random start" : "no random start", (long long)attack.restarts,
                (long long)(points.empty() ? 0 : points.front().samples));
    std::printf("%8s %9s %9s\n", "epsilon", "accuracy", "correct");
    for (const auto &p : points)
        std::printf("%8.4g %9.4f %9lld%s\n", p.epsilon, p.accuracy, (long long)p.correct,
                    p.epsilon == 0.0 ? "  (clean)" : "");
}

} // namespace

int robustnessCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--checkpoint", "--eps", "--attack",
                                               "--steps", "--step-size", "--restarts", "--limit"},
                                              {"--json", "--no-random-start"},
                                              1,
                                              1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli robustness: %s\n%s", message->c_str(), kRobustnessUsage);
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    auto options = readOptions(a);
    if (!options)
        return reportError(options.error());
    const auto db = storePath(a);
    auto run = train::openRun(db, a.positionals[0], a.value("--checkpoint").value_or(""));
    if (!run)
        return reportError(run.error());
    if (!run->checkpointNote.empty())
        std::fprintf(stderr, "lathe-cli robustness: %s\n", run->checkpointNote.c_str());
    const bool terminal = ::isatty(fileno(stderr));
    auto points = robust::evaluateRobustness(
        *run, *options, [terminal](std::int64_t done, std::int64_t total) {
            std::fprintf(stderr,
                         terminal ? "\rrobustness: %lld/%lld samples attacked"
                                  : "robustness: %lld/%lld samples attacked\n",
                         (long long)done, (long long)total);
            std::fflush(stderr);
        });
    if (terminal)
        std::fprintf(stderr, "\n");
    if (!points)
        return reportError(points.error());
    auto payload = robust::robustnessJson(*options, *points);
    payload["checkpoint"] = run->checkpoint.name;
    if (auto ok = robust::storeRobustness(db, run->run.id, payload); !ok)
        return reportError(ok.error());
    if (a.has("--json")) {
        payload["run"] = run->run.id;
        std::printf("%s\n", payload.dump(2).c_str());
    } else {
        printTable(*run, *options, *points);
    }
    return kExitOk;
}

} // namespace lathe::cli
