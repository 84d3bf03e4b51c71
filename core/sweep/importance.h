// Which parameters mattered: a variance-based importance of each key of the space over the
// completed trials.
//
// Method: PED-ANOVA (Watanabe et al., "PED-ANOVA: Efficiently Quantifying Hyperparameter
// Importance in Arbitrary Subspaces", IJCAI 2023), as Optuna's PedAnovaImportanceEvaluator
// computes it with its defaults (baseline quantile 0.1, local evaluation). For each key, a
// Parzen estimator p_top of the top trials (the best 10%, at least 2) and p_all of all completed
// trials, both on a grid of the key's domain (50 points, fewer for an int key with fewer values,
// in log space for log_uniform; one cell per value of a choice); the importance is the Pearson
// divergence sum_x p_all(x) (p_top(x) / p_all(x) - 1)^2, which the paper shows to be
// proportional to the local fANOVA variance of the indicator "the trial is in the top 10%";
// the importances are then normalised to sum to 1.
//
// Why PED-ANOVA rather than fANOVA: it needs no random forest (fANOVA fits one and its
// importances vary with the forest's randomness and size), is closed-form and O(trials x grid)
// per key, is meaningful with a few dozen trials, and treats categorical and log dimensions
// natively; it also measures what a sweep cares about, which keys separate the best trials
// from the rest. It is univariate: an interaction shows only through each key's marginal.
//
// Kernels: numeric keys use Scott's rule (1.059 min(IQR / 1.34, sd) n^-1/5, in grid cells, at
// least 0.5 / 1.64 cells) with discrete truncated normals on the grid, plus a prior kernel of
// weight 1 at the centre with bandwidth the grid's width; choice keys use the TPE categorical
// kernel with a uniform prior. A conditional key is measured over the trials where it was
// active (top trials among them against all of them); with no top trial among those it is 0.
#pragma once

#include "core/sweep/sampler.h"
#include "core/sweep/search_space.h"
#include "core/sweep/sweep_spec.h"

#include <span>
#include <string>
#include <vector>

namespace lathe::sweep {

struct ParameterImportance
{
    std::string key;
    double importance = 0; ///< in [0, 1]; the importances of a space sum to 1
};

struct ImportanceOptions
{
    double baselineQuantile = 0.1; ///< the top trials: this fraction of the completed ones
    int minTopTrials = 2;          ///< ... and at least this many
    int gridSteps = 50;            ///< grid points of a numeric key
};

/// The importance of each key of `space`, most important first (ties by key), from the
/// Completed trials with a finite value. Empty when there are minTopTrials or fewer of them:
/// nothing can be told apart yet. A choice key with one value gets 0; when every divergence is
/// 0 (top and all trials spread alike) the importances are equal. Never throws.
std::vector<ParameterImportance> parameterImportance(const SearchSpace &space, Direction direction,
                                                     std::span<const TrialRecord> trials,
                                                     const ImportanceOptions &options = {});

} // namespace lathe::sweep
