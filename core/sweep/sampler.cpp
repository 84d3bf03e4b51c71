#include "core/sweep/sampler.h"

#include "core/sweep/parzen.h"
#include "core/sweep/random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace lathe::sweep {

namespace {

using nlohmann::json;
using State = TrialRecord::State;

/// A value drawn uniformly from the dimension (log-uniformly for LogUniform).
json randomValue(const Dimension &dim, detail::Random &random)
{
    switch (dim.kind) {
    case Kind::Uniform:
        return std::clamp(dim.low + random.uniform() * (dim.high - dim.low), dim.low, dim.high);
    case Kind::LogUniform: {
        const double lo = std::log(dim.low), hi = std::log(dim.high);
        return std::clamp(std::exp(lo + random.uniform() * (hi - lo)), dim.low, dim.high);
    }
    case Kind::Int:
    case Kind::Choice:
        return dim.gridValue(std::int64_t(random.below(std::uint64_t(dim.gridCount()))));
    }
    return {};
}

Params sampleRandom(const SweepSpec &spec, int number)
{
    Params params;
    for (const auto &dim : spec.space.dimensions)
        if (isActive(dim, params)) {
            detail::Random random(spec.sampler.seed, number, dim.key);
            params[dim.key] = randomValue(dim, random);
        }
    return params;
}

bool sameParams(const Params &a, const Params &b)
{
    return a.size() == b.size() && std::ranges::all_of(a, [&](const auto &entry) {
               const auto other = b.find(entry.first);
               return other != b.end() && sameValue(entry.second, other->second);
           });
}

Result<Params> sampleGrid(const SweepSpec &spec, std::span<const TrialRecord> history)
{
    auto points = gridPoints(spec.space);
    if (!points)
        return std::unexpected(points.error());
    for (auto &point : *points)
        if (std::ranges::none_of(history,
                                 [&](const TrialRecord &t) { return sameParams(t.params, point); }))
            return std::move(point);
    return fail(ErrorCode::NotFound, "the grid is exhausted: all " + std::to_string(points->size())
                                         + " points have a trial");
}

/// Optuna's rank of a pruned trial for the good set: more steps first, then the better last
/// intermediate value; NaN after the numbers, no values at all last.
std::pair<double, double> prunedRank(const TrialRecord &trial, Direction direction)
{
    if (trial.intermediate.empty())
        return {1, 0};
    const auto &[step, value] = *trial.intermediate.rbegin();
    if (std::isnan(value))
        return {-double(step), std::numeric_limits<double>::infinity()};
    return {-double(step), direction == Direction::Minimize ? value : -value};
}

struct Split
{
    std::vector<const TrialRecord *> good, bad; ///< each by trial number
};

Split splitTrials(std::span<const TrialRecord> history, Direction direction)
{
    std::vector<const TrialRecord *> completed, pruned;
    for (const auto &trial : history) {
        if (trial.state == State::Completed && trial.value && !std::isnan(*trial.value))
            completed.push_back(&trial);
        else if (trial.state == State::Pruned)
            pruned.push_back(&trial);
    }
    const auto byNumber = [](const TrialRecord *t) { return t->number; };
    std::ranges::stable_sort(completed, {}, byNumber);
    std::ranges::stable_sort(pruned, {}, byNumber);
    const std::size_t n = completed.size() + pruned.size();
    std::size_t wanted = std::min<std::size_t>((n + 9) / 10, 25); // min(ceil(0.1 n), 25)

    const double sign = direction == Direction::Minimize ? 1.0 : -1.0;
    std::ranges::stable_sort(completed, {}, [&](const TrialRecord *t) { return sign * *t->value; });
    std::ranges::stable_sort(pruned, {},
                             [&](const TrialRecord *t) { return prunedRank(*t, direction); });
    Split split;
    const std::size_t fromCompleted = std::min(wanted, completed.size());
    split.good.assign(completed.begin(), completed.begin() + std::ptrdiff_t(fromCompleted));
    split.bad.assign(completed.begin() + std::ptrdiff_t(fromCompleted), completed.end());
    wanted -= fromCompleted;
    const std::size_t fromPruned = std::min(wanted, pruned.size());
    split.good.insert(split.good.end(), pruned.begin(),
                      pruned.begin() + std::ptrdiff_t(fromPruned));
    split.bad.insert(split.bad.end(), pruned.begin() + std::ptrdiff_t(fromPruned), pruned.end());
    std::ranges::stable_sort(split.good, {}, byNumber);
    std::ranges::stable_sort(split.bad, {}, byNumber);
    return split;
}

/// A trial's value of `dim` in the estimator's coordinates (log for LogUniform, the index for
/// Choice); nullopt when inactive there or outside the space (the spec changed since).
std::optional<double> internalValue(const Dimension &dim, const TrialRecord &trial)
{
    const auto found = trial.params.find(dim.key);
    if (found == trial.params.end())
        return std::nullopt;
    const json &value = found->second;
    if (dim.kind == Kind::Choice) {
        for (std::size_t i = 0; i < dim.values.size(); ++i)
            if (sameValue(dim.values[i], value))
                return double(i);
        return std::nullopt;
    }
    if (!value.is_number())
        return std::nullopt;
    const double x = value.get<double>();
    const double slack = 1e-9 * std::max(std::abs(dim.low), std::abs(dim.high));
    if (!(x >= dim.low - slack && x <= dim.high + slack))
        return std::nullopt;
    if (dim.kind == Kind::LogUniform)
        return std::log(std::clamp(x, dim.low, dim.high));
    if (dim.kind == Kind::Int)
        return dim.low + std::round((x - dim.low) / double(dim.step)) * double(dim.step);
    return std::clamp(x, dim.low, dim.high);
}

struct Observations
{
    std::vector<double> values;
    std::vector<double> weights;
};

Observations observe(const Dimension &dim, const std::vector<const TrialRecord *> &trials)
{
    Observations out;
    for (const TrialRecord *trial : trials)
        if (const auto x = internalValue(dim, *trial))
            out.values.push_back(*x);
    out.weights = detail::tpeWeights(out.values.size());
    return out;
}

json sampleTpeDimension(const Dimension &dim, const Split &split, const SamplerSpec &sampler,
                        int number)
{
    constexpr double kPriorWeight = 1.0;
    detail::Random random(sampler.seed, number, dim.key);
    const Observations good = observe(dim, split.good), bad = observe(dim, split.bad);

    if (dim.kind == Kind::Choice) {
        const auto indices = [](const std::vector<double> &values) {
            std::vector<std::size_t> out;
            for (const double v : values)
                out.push_back(std::size_t(v));
            return out;
        };
        const auto goodIdx = indices(good.values), badIdx = indices(bad.values);
        const auto l
            = detail::tpeCategorical(goodIdx, good.weights, dim.values.size(), kPriorWeight);
        const auto g = detail::tpeCategorical(badIdx, bad.weights, dim.values.size(), kPriorWeight);
        std::size_t best = 0;
        double bestScore = -std::numeric_limits<double>::infinity();
        for (int i = 0; i < sampler.candidates; ++i) {
            const std::size_t x = l.sample(random);
            const double score = l.logPdf(x) - g.logPdf(x);
            if (i == 0 || score > bestScore) {
                best = x;
                bestScore = score;
            }
        }
        return dim.values[best];
    }

    const bool log = dim.kind == Kind::LogUniform;
    const double low = log ? std::log(dim.low) : dim.low;
    const double high = log ? std::log(dim.high) : dim.high;
    const double step = dim.kind == Kind::Int ? double(dim.step) : 0.0;
    const auto l = detail::tpeNumeric(good.values, good.weights, low, high, step, kPriorWeight);
    const auto g = detail::tpeNumeric(bad.values, bad.weights, low, high, step, kPriorWeight);
    double best = low;
    double bestScore = -std::numeric_limits<double>::infinity();
    for (int i = 0; i < sampler.candidates; ++i) {
        const double x = l.sample(random);
        const double score = l.logPdf(x) - g.logPdf(x);
        if (i == 0 || score > bestScore) {
            best = x;
            bestScore = score;
        }
    }
    if (dim.kind == Kind::Int)
        return std::int64_t(std::llround(best));
    if (log)
        return std::clamp(std::exp(best), dim.low, dim.high);
    return best;
}

Params sampleTpe(const SweepSpec &spec, std::span<const TrialRecord> history, int number)
{
    const auto finished = std::ranges::count_if(history, [](const TrialRecord &t) {
        return (t.state == State::Completed && t.value && !std::isnan(*t.value))
               || t.state == State::Pruned;
    });
    if (finished < spec.sampler.startupTrials)
        return sampleRandom(spec, number);
    const Split split = splitTrials(history, spec.objective.direction);
    Params params;
    for (const auto &dim : spec.space.dimensions)
        if (isActive(dim, params))
            params[dim.key] = sampleTpeDimension(dim, split, spec.sampler, number);
    return params;
}

} // namespace

Result<Params> sampleTrial(const SweepSpec &spec, std::span<const TrialRecord> history, int number)
{
    try {
        switch (spec.sampler.name) {
        case SamplerSpec::Name::Random: return sampleRandom(spec, number);
        case SamplerSpec::Name::Grid: return sampleGrid(spec, history);
        case SamplerSpec::Name::Tpe: return sampleTpe(spec, history, number);
        }
        return fail(ErrorCode::Internal, "unknown sampler");
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, std::string("unexpected error while sampling trial ")
                                             + std::to_string(number) + ": " + e.what());
    }
}

} // namespace lathe::sweep
