#include "core/train/lr_finder.h"

#include "core/train/trainer.h"
#include "core/util/torch_error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::train {

namespace {

Result<void> checkOptions(const LrFinderOptions &o)
{
    const auto bad = [](const std::string &message, const std::string &key) {
        return fail(ErrorCode::InvalidArgument, message, "lr finder " + key);
    };
    if (!(o.startLr > 0.0) || !std::isfinite(o.startLr))
        return bad("expected a start rate > 0", "start_lr");
    if (!(o.endLr > o.startLr) || !std::isfinite(o.endLr))
        return bad("expected an end rate above the start rate", "end_lr");
    if (o.steps < 2)
        return bad("expected at least 2 steps", "steps");
    if (!(o.smoothing >= 0.0 && o.smoothing < 1.0))
        return bad("expected a smoothing factor in [0, 1)", "smoothing");
    if (!(o.divergeFactor > 1.0))
        return bad("expected a divergence factor > 1", "diverge_factor");
    if (o.maxSamples < 0 || o.skipStart < 0)
        return bad("expected a count >= 0", o.maxSamples < 0 ? "max_samples" : "skip_start");
    return {};
}

/// The run the sweep trains: the user's config without what would disturb a short sweep.
RunConfig sweepConfig(RunConfig config, const LrFinderOptions &options)
{
    if (options.maxSamples > 0
        && (config.data.subset == 0 || config.data.subset > options.maxSamples))
        config.data.subset = options.maxSamples;
    config.data.valFraction = 0.0;  // no per-epoch validation passes
    config.training.epochs = 10000; // the step limit ends the sweep, not the epochs
    config.training.earlyStoppingPatience = 0;
    config.schedule.type = "constant"; // the sweep sets every rate itself
    config.steering.clear();
    config.histograms.every = 0; // a sweep's weights are thrown away
    return config;
}

/// Records the sweep's points on the training thread and stops it once the loss explodes.
class SweepObserver : public TrainObserver
{
public:
    SweepObserver(const LrFinderOptions &options, const LrFinderProgress &progress,
                  std::stop_source &stop)
        : m_options(options)
        , m_progress(progress)
        , m_stop(stop)
    {
    }

    void onStep(const StepEvent &event) override
    {
        // fastai's bias-corrected exponential moving average.
        const double beta = m_options.smoothing;
        m_average = beta * m_average + (1.0 - beta) * event.loss;
        const double n = double(points.size() + 1);
        const LrFinderPoint point{event.lr, event.loss, m_average / (1.0 - std::pow(beta, n))};
        points.push_back(point);
        if (m_progress)
            m_progress(point, event.step, m_options.steps);
        m_best = std::min(m_best, point.smoothedLoss);
        if (points.size() > 1 && point.smoothedLoss > m_options.divergeFactor * m_best) {
            diverged = true;
            m_stop.request_stop();
        }
    }

    std::vector<LrFinderPoint> points;
    bool diverged = false;

private:
    const LrFinderOptions &m_options;
    const LrFinderProgress &m_progress;
    std::stop_source &m_stop;
    double m_average = 0.0;
    double m_best = std::numeric_limits<double>::infinity();
};

Result<LrFinderResult> sweep(const RunConfig &userConfig, const LrFinderOptions &options,
                             std::stop_token stop, const LrFinderProgress &progress)
{
    const RunConfig config = sweepConfig(userConfig, options);
    auto data = loadTrainData(config.data);
    if (!data)
        return std::unexpected(data.error());
    TrainerOptions trainerOptions;
    trainerOptions.maxSteps = options.steps;
    trainerOptions.evaluateTest = false;
    trainerOptions.lrOverride = [options](std::int64_t step) { return sweepLr(options, step); };
    auto trainer = Trainer::create(config, std::move(*data), trainerOptions);
    if (!trainer)
        return std::unexpected(trainer.error());
    if (stop.stop_requested())
        return fail(ErrorCode::Cancelled, "the learning-rate sweep was cancelled");

    std::stop_source sweepStop;
    std::stop_callback forward(stop, [&sweepStop] { sweepStop.request_stop(); });
    SweepObserver observer(options, progress, sweepStop);
    (*trainer)->setObserver(&observer);
    auto outcome = (*trainer)->run(sweepStop.get_token());
    if (stop.stop_requested())
        return fail(ErrorCode::Cancelled, "the learning-rate sweep was cancelled");
    LrFinderResult result;
    result.diverged = observer.diverged;
    if (!outcome) {
        // A non-finite loss past the first points is the end of the sweep, not a failure.
        if (outcome.error().code != ErrorCode::Training || observer.points.size() < 2)
            return std::unexpected(outcome.error());
        result.diverged = true;
    }
    result.points = std::move(observer.points);
    suggestLearningRate(result, options.skipStart);
    return result;
}

} // namespace

double sweepLr(const LrFinderOptions &options, std::int64_t index)
{
    const double fraction = double(index) / double(std::max<std::int64_t>(1, options.steps - 1));
    return options.startLr * std::pow(options.endLr / options.startLr, fraction);
}

void suggestLearningRate(LrFinderResult &result, std::int64_t skipStart)
{
    const auto &p = result.points;
    if (p.empty())
        return;
    const auto n = std::int64_t(p.size());
    const auto lowest = std::min_element(p.begin(), p.end(), [](const auto &a, const auto &b) {
        return a.smoothedLoss < b.smoothedLoss;
    });
    const std::int64_t minIndex = lowest - p.begin();
    // Central differences need a neighbour on each side.
    const std::int64_t lo = std::max<std::int64_t>(skipStart, 1);
    const std::int64_t hi = std::min(minIndex, n - 2);
    if (hi - lo >= 1) {
        double steepest = std::numeric_limits<double>::infinity();
        for (std::int64_t i = lo; i <= hi; ++i) {
            const double dx = std::log(p[i + 1].lr) - std::log(p[i - 1].lr);
            const double slope = (p[i + 1].smoothedLoss - p[i - 1].smoothedLoss) / dx;
            if (slope < steepest) {
                steepest = slope;
                result.suggestedIndex = i;
            }
        }
        result.rule = "steepest descent of the smoothed loss";
    } else {
        const double target = lowest->lr / 10.0;
        std::int64_t index = 0;
        while (index + 1 < n && p[index + 1].lr <= target)
            ++index;
        result.suggestedIndex = index;
        result.rule = "minimum of the smoothed loss / 10";
    }
    result.suggestedLr = p[result.suggestedIndex].lr;
}

Result<LrFinderResult> findLearningRate(const RunConfig &config, const LrFinderOptions &options,
                                        std::stop_token stop, const LrFinderProgress &progress)
{
    if (auto ok = checkOptions(options); !ok)
        return std::unexpected(ok.error());
    try {
        return sweep(config, options, stop, progress);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training, "the learning-rate sweep failed: " + util::describe(e));
    }
}

} // namespace lathe::train
