#include "core/data/label_issues.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace lathe::data {

namespace {

struct Table
{
    const double *p; // [N, K]
    const std::int64_t *label;
    std::int64_t n, k;
    double at(std::int64_t i, std::int64_t j) const { return p[i * k + j]; }
    std::int64_t argmax(std::int64_t i) const
    {
        return std::int64_t(std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k));
    }
};

std::vector<double> perClassThresholds(const Table &t, const std::vector<std::int64_t> &counts)
{
    std::vector<double> sum(std::size_t(t.k), 0.0);
    for (std::int64_t i = 0; i < t.n; ++i)
        sum[std::size_t(t.label[i])] += t.at(i, t.label[i]);
    for (std::size_t j = 0; j < sum.size(); ++j)
        sum[j] = counts[j] > 0 ? sum[j] / double(counts[j]) : 1.0;
    return sum;
}

std::vector<std::vector<std::int64_t>> confidentJoint(const Table &t,
                                                      const std::vector<double> &threshold)
{
    std::vector<std::vector<std::int64_t>> c(std::size_t(t.k),
                                             std::vector<std::int64_t>(std::size_t(t.k), 0));
    for (std::int64_t i = 0; i < t.n; ++i) {
        std::int64_t best = -1;
        for (std::int64_t j = 0; j < t.k; ++j)
            if (t.at(i, j) >= threshold[std::size_t(j)] && (best < 0 || t.at(i, j) > t.at(i, best)))
                best = j;
        if (best >= 0)
            ++c[std::size_t(t.label[i])][std::size_t(best)];
    }
    return c;
}

/// The samples to flag: for each off-diagonal (i, j), the calibrated count of samples
/// labelled i with the largest margin p_j - p_i.
std::vector<bool> pruneByNoiseRate(const Table &t, const std::vector<std::vector<std::int64_t>> &c,
                                   const std::vector<std::int64_t> &counts)
{
    std::vector<std::vector<std::int64_t>> byLabel(std::size_t(t.k));
    for (std::int64_t s = 0; s < t.n; ++s)
        byLabel[std::size_t(t.label[s])].push_back(s);
    std::vector<bool> flagged(std::size_t(t.n), false);
    for (std::int64_t i = 0; i < t.k; ++i) {
        const auto &row = c[std::size_t(i)];
        std::int64_t rowSum = 0;
        for (std::int64_t v : row)
            rowSum += v;
        if (rowSum == 0)
            continue;
        auto members = byLabel[std::size_t(i)];
        for (std::int64_t j = 0; j < t.k; ++j) {
            const double calibrated
                = double(row[std::size_t(j)]) / double(rowSum) * double(counts[std::size_t(i)]);
            const auto take
                = std::min(std::int64_t(std::lround(calibrated)), std::int64_t(members.size()));
            if (j == i || take <= 0)
                continue;
            std::partial_sort(members.begin(), members.begin() + take, members.end(),
                              [&](std::int64_t a, std::int64_t b) {
                                  return t.at(a, j) - t.at(a, i) > t.at(b, j) - t.at(b, i);
                              });
            for (std::int64_t m = 0; m < take; ++m)
                flagged[std::size_t(members[std::size_t(m)])] = true;
        }
    }
    return flagged;
}

} // namespace

Result<void> checkLabelIssueInput(const at::Tensor &labels,
                                  const std::vector<std::string> &classNames, std::int64_t folds)
{
    if (folds == 1 || folds < 0)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} folds: cross-validation needs at least 2 (5 is usual)", folds),
                    "folds");
    if (classNames.size() < 2)
        return fail(ErrorCode::BadInput,
                    fmt::format("the dataset has {} class; finding label issues needs at least 2",
                                classNames.size()));
    const torch::Tensor counts
        = torch::bincount(labels.to(torch::kLong).reshape(-1), {}, std::int64_t(classNames.size()));
    for (std::size_t j = 0; j < classNames.size(); ++j) {
        const auto count = counts[std::int64_t(j)].item<std::int64_t>();
        if (count == 0)
            return fail(ErrorCode::BadInput,
                        fmt::format("class {} (\"{}\") has no samples; drop it (data.classes) or "
                                    "add samples",
                                    j, classNames[j]));
        if (count < folds)
            return fail(ErrorCode::BadInput,
                        fmt::format("class {} (\"{}\") has {} samples, fewer than the {} folds; "
                                    "use fewer folds or more data",
                                    j, classNames[j], count, folds));
    }
    return {};
}

Result<LabelIssueReport> findLabelIssues(const at::Tensor &probs, const at::Tensor &labels)
{
    if (probs.dim() != 2 || labels.dim() != 1 || probs.size(0) != labels.size(0)
        || probs.size(1) < 2)
        return fail(ErrorCode::InvalidArgument,
                    "expected probabilities [N,K] (K >= 2) and labels [N] for the same N");
    const torch::Tensor p = probs.to(torch::kCPU, torch::kDouble).contiguous();
    const torch::Tensor l = labels.to(torch::kCPU, torch::kLong).contiguous();
    const Table t{p.data_ptr<double>(), l.data_ptr<std::int64_t>(), p.size(0), p.size(1)};
    if (t.n > 0 && (l.min().item<std::int64_t>() < 0 || l.max().item<std::int64_t>() >= t.k))
        return fail(ErrorCode::InvalidArgument, "a label is outside [0, K)");
    std::vector<std::int64_t> counts(std::size_t(t.k), 0);
    for (std::int64_t i = 0; i < t.n; ++i)
        ++counts[std::size_t(t.label[i])];
    LabelIssueReport report;
    report.samples = t.n;
    report.thresholds = perClassThresholds(t, counts);
    report.confidentJoint = confidentJoint(t, report.thresholds);
    const std::vector<bool> flagged = pruneByNoiseRate(t, report.confidentJoint, counts);
    for (std::int64_t i = 0; i < t.n; ++i) {
        const std::int64_t predicted = t.argmax(i);
        if (!flagged[std::size_t(i)] || predicted == t.label[i])
            continue;
        report.issues.push_back(
            {i, t.label[i], predicted, t.at(i, t.label[i]), t.at(i, predicted)});
    }
    std::stable_sort(report.issues.begin(), report.issues.end(),
                     [](const LabelIssue &a, const LabelIssue &b) {
                         return a.selfConfidence < b.selfConfidence;
                     });
    return report;
}

} // namespace lathe::data
