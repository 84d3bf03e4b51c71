#include "core/train/run_metrics.h"

namespace lathe::train {

Result<RunMetrics> setUpMetrics(const RunConfig &config, const data::Dataset &train)
{
    RunMetrics metrics;
    for (std::size_t i = 0; i < config.metrics.size(); ++i) {
        const auto &use = config.metrics[i];
        const std::string where = "metrics[" + std::to_string(i) + "]";
        const auto entry = plugin::registry().metric(use.name);
        if (!entry)
            return std::unexpected(
                plugin::registry().unknownName(plugin::Kind::Metric, use.name, where));
        auto compute = entry->setUp({use.options, &train, train.classNames()});
        if (!compute)
            return fail(ErrorCode::InvalidArgument, compute.error().message, where);
        metrics.push_back({use.name, std::move(*compute)});
    }
    return metrics;
}

Result<std::vector<std::pair<std::string, double>>> computeMetrics(const RunMetrics &metrics,
                                                                   const sdk::MetricInput &input)
{
    std::vector<std::pair<std::string, double>> out;
    for (const auto &[name, compute] : metrics) {
        auto values = compute(input);
        if (!values)
            return std::unexpected(values.error());
        for (const auto &[key, value] : *values)
            out.emplace_back(key.empty() ? name : name + "/" + key, value);
    }
    return out;
}

} // namespace lathe::train
