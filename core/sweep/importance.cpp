#include "core/sweep/importance.h"

#include "core/sweep/parzen.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lathe::sweep {

namespace {

using State = TrialRecord::State;

/// How many trials fall in each cell of the dimension's grid (each value of a choice).
std::vector<double> countCells(const Dimension &dim, const std::vector<const TrialRecord *> &trials,
                               std::size_t cells)
{
    std::vector<double> counts(cells, 0.0);
    const bool log = dim.kind == Kind::LogUniform;
    const double low = log ? std::log(dim.low) : dim.low;
    const double high = log ? std::log(dim.high) : dim.high;
    const double width = (high - low) / double(cells - 1);
    for (const TrialRecord *trial : trials) {
        const auto found = trial->params.find(dim.key);
        if (found == trial->params.end())
            continue;
        if (dim.kind == Kind::Choice) {
            for (std::size_t i = 0; i < dim.values.size(); ++i)
                if (sameValue(dim.values[i], found->second))
                    counts[i] += 1;
            continue;
        }
        if (!found->second.is_number())
            continue;
        double x = found->second.get<double>();
        if (log)
            x = x > 0 ? std::log(x) : low;
        // The nearest grid point (the lower one on a tie), as numpy's searchsorted does it.
        const double cell = std::ceil((x - low) / width - 0.5);
        counts[std::size_t(std::clamp(cell, 0.0, double(cells - 1)))] += 1;
    }
    return counts;
}

/// PED-ANOVA's density over the grid cells: Scott-rule kernels at the occupied cells, weighted
/// by their counts, and a prior; returned as the probability of each cell (+1e-12).
std::vector<double> numericDensity(const std::vector<double> &counts)
{
    constexpr double kPriorWeight = 1.0;
    const std::size_t cells = counts.size();
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    detail::NumericMixture mixture;
    mixture.low = 0;
    mixture.high = double(cells - 1);
    mixture.step = 1;
    if (total > 0) {
        std::vector<double> mus, weights;
        for (std::size_t i = 0; i < cells; ++i)
            if (counts[i] > 0) {
                mus.push_back(double(i));
                weights.push_back(counts[i]);
            }
        double mean = 0;
        for (std::size_t k = 0; k < mus.size(); ++k)
            mean += mus[k] * weights[k] / total;
        double squares = 0;
        for (std::size_t k = 0; k < mus.size(); ++k)
            squares += (mus[k] - mean) * (mus[k] - mean) * weights[k];
        const double sd = std::sqrt(squares / std::max(1.0, total - 1));
        // Quartiles from the cumulative counts.
        std::vector<double> cumulative(weights.size());
        std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
        const double q25 = std::floor(total / 4), q75 = std::floor(total * 3 / 4);
        const auto i25
            = std::size_t(std::ranges::lower_bound(cumulative, q25) - cumulative.begin());
        const auto i75
            = std::size_t(std::ranges::upper_bound(cumulative, q75) - cumulative.begin());
        const double iqr = mus[std::min(mus.size() - 1, i75)] - mus[std::min(mus.size() - 1, i25)];
        const double sigma
            = std::max(1.059 * std::min(iqr / 1.34, sd) * std::pow(total, -0.2), 0.5 / 1.64);
        mixture.mus = mus;
        mixture.sigmas.assign(mus.size(), sigma);
        mixture.weights = weights;
    }
    mixture.mus.push_back(0.5 * mixture.high);
    mixture.sigmas.push_back(double(cells));
    mixture.weights.push_back(kPriorWeight);
    const double sum = std::accumulate(mixture.weights.begin(), mixture.weights.end(), 0.0);
    for (double &w : mixture.weights)
        w /= sum;
    std::vector<double> density(cells);
    for (std::size_t i = 0; i < cells; ++i)
        density[i] = std::exp(mixture.logPdf(double(i))) + 1e-12;
    return density;
}

std::vector<double> categoricalDensity(const std::vector<double> &counts)
{
    constexpr double kPriorWeight = 1.0;
    std::vector<std::size_t> observed;
    std::vector<double> weights;
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] > 0) {
            observed.push_back(i);
            weights.push_back(counts[i]);
        }
    const auto mixture = detail::tpeCategorical(observed, weights, counts.size(), kPriorWeight);
    std::vector<double> density(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
        density[i] = std::exp(mixture.logPdf(i)) + 1e-12;
    return density;
}

double pearsonDivergence(const Dimension &dim, const std::vector<const TrialRecord *> &top,
                         const std::vector<const TrialRecord *> &all, int gridSteps)
{
    std::size_t cells = dim.values.size();
    if (dim.kind != Kind::Choice)
        cells = dim.kind == Kind::Int
                    ? std::size_t(std::min<std::int64_t>(dim.gridCount(), gridSteps))
                    : std::size_t(gridSteps);
    const auto topCounts = countCells(dim, top, cells), allCounts = countCells(dim, all, cells);
    const auto density = dim.kind == Kind::Choice ? categoricalDensity : numericDensity;
    const auto pTop = density(topCounts), pAll = density(allCounts);
    double divergence = 0;
    for (std::size_t i = 0; i < cells; ++i)
        divergence += pAll[i] * (pTop[i] / pAll[i] - 1) * (pTop[i] / pAll[i] - 1);
    return divergence;
}

} // namespace

std::vector<ParameterImportance> parameterImportance(const SearchSpace &space, Direction direction,
                                                     std::span<const TrialRecord> trials,
                                                     const ImportanceOptions &options)
{
    try {
        std::vector<const TrialRecord *> completed;
        for (const auto &trial : trials)
            if (trial.state == State::Completed && trial.value && std::isfinite(*trial.value))
                completed.push_back(&trial);
        const std::size_t minTop = std::size_t(std::max(options.minTopTrials, 1));
        if (completed.size() <= minTop || space.dimensions.empty())
            return {};

        // The top trials: loss <= the larger of the minTop-th loss and the quantile's.
        const double sign = direction == Direction::Minimize ? 1.0 : -1.0;
        std::vector<double> losses;
        for (const TrialRecord *trial : completed)
            losses.push_back(sign * *trial->value);
        std::vector<double> sorted = losses;
        std::ranges::sort(sorted);
        const auto quantileIndex
            = std::ptrdiff_t(std::ceil(options.baselineQuantile * double(sorted.size()))) - 1;
        const double cutoff = std::max(sorted[minTop - 1],
                                       sorted[std::size_t(std::clamp<std::ptrdiff_t>(
                                           quantileIndex, 0, std::ptrdiff_t(sorted.size()) - 1))]);

        std::vector<ParameterImportance> out;
        double sum = 0;
        std::size_t varied = 0;
        for (const auto &dim : space.dimensions) {
            ParameterImportance entry{dim.key, 0.0};
            if (dim.kind == Kind::Choice && dim.values.size() < 2) {
                out.push_back(entry);
                continue;
            }
            ++varied;
            std::vector<const TrialRecord *> active, top;
            for (std::size_t i = 0; i < completed.size(); ++i)
                if (completed[i]->params.contains(dim.key)) {
                    active.push_back(completed[i]);
                    if (losses[i] <= cutoff)
                        top.push_back(completed[i]);
                }
            if (!top.empty())
                entry.importance
                    = pearsonDivergence(dim, top, active, std::max(options.gridSteps, 2));
            sum += entry.importance;
            out.push_back(entry);
        }
        for (auto &entry : out) {
            const bool single = space.find(entry.key)->kind == Kind::Choice
                                && space.find(entry.key)->values.size() < 2;
            if (sum > 0)
                entry.importance /= sum;
            else if (!single)
                entry.importance = 1.0 / double(varied);
        }
        std::ranges::stable_sort(out, [](const auto &a, const auto &b) {
            return a.importance != b.importance ? a.importance > b.importance : a.key < b.key;
        });
        return out;
    } catch (const std::exception &) {
        return {};
    }
}

} // namespace lathe::sweep
