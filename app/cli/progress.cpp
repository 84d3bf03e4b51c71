#include "app/cli/progress.h"

#include "core/track/metric_keys.h"
#include "core/util/clock.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace lathe::cli {

namespace {
std::string clockText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "--:--";
    const auto s = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
    return text;
}

// "<sep>loss 0.1234<sep>acc 0.567", each only when finite: nothing before the first step that
// had them (a DP-SGD run's empty Poisson batches have none).
std::string lossText(double loss, double accuracy, const char *sep)
{
    char text[64] = "";
    if (std::isfinite(loss) && std::isfinite(accuracy))
        std::snprintf(text, sizeof text, "%sloss %.4f%sacc %.3f", sep, loss, sep, accuracy);
    else if (std::isfinite(loss))
        std::snprintf(text, sizeof text, "%sloss %.4f", sep, loss);
    return text;
}
} // namespace

ProgressPrinter::ProgressPrinter(std::FILE *out, std::int64_t totalSteps, std::int64_t epochs)
    : m_out(out)
    , m_terminal(isatty(fileno(out)) != 0)
    , m_totalSteps(totalSteps)
    , m_epochs(epochs)
{
}

void ProgressPrinter::onStep(const train::StepEvent &e)
{
    const double now = util::monotonicNow();
    if (m_startStep < 0) {
        m_startStep = e.step - 1;
        m_startTime = now;
    }
    if (e.samplesPerSecond > 0)
        m_samplesPerSecond = e.samplesPerSecond;
    if (std::isfinite(e.loss))
        m_loss = e.loss;
    if (std::isfinite(e.accuracy))
        m_accuracy = e.accuracy;
    const double rate = double(e.step - m_startStep) / std::max(now - m_startTime, 1e-9);
    const double eta = double(m_totalSteps - e.step) / rate;
    const int epoch = std::min<int>(int(e.epoch) + 1, int(m_epochs));
    if (m_terminal) {
        if (now - m_lastDraw < 0.1 && e.step != m_totalSteps)
            return;
        m_lastDraw = now;
        constexpr int kWidth = 24;
        const double within = e.epoch - std::floor(e.epoch);
        const int filled = int(std::lround(within * kWidth));
        std::string bar(filled, '#');
        bar.resize(kWidth, '.');
        std::fprintf(m_out, "\r\033[Kepoch %d/%lld [%s] step %lld/%lld%s  %.0f samples/s  ETA %s",
                     epoch, (long long)m_epochs, bar.c_str(), (long long)e.step,
                     (long long)m_totalSteps, lossText(m_loss, m_accuracy, "  ").c_str(),
                     m_samplesPerSecond, clockText(eta).c_str());
        m_lineOpen = true;
    } else if (e.step % kPlainEvery == 0) {
        std::fprintf(m_out, "epoch %d/%lld step %lld/%lld%s lr %.3g samples/s %.0f eta %s\n", epoch,
                     (long long)m_epochs, (long long)e.step, (long long)m_totalSteps,
                     lossText(m_loss, m_accuracy, " ").c_str(), e.lr, m_samplesPerSecond,
                     clockText(eta).c_str());
    }
    std::fflush(m_out);
}

void ProgressPrinter::endLine()
{
    if (m_lineOpen) {
        std::fputc('\n', m_out);
        m_lineOpen = false;
    }
}

void ProgressPrinter::onEval(const train::EvalEvent &e)
{
    endLine();
    std::fprintf(m_out, "%s after epoch %lld: loss %.4f  accuracy %.4f  (%lld samples)\n",
                 e.split.c_str(),
                 (long long)(e.split == track::keys::kValSplit ? e.epoch + 1 : e.epoch),
                 e.result.loss, e.result.accuracy, (long long)e.result.samples);
    std::fflush(m_out);
}

void ProgressPrinter::onNote(const train::NoteEvent &e)
{
    endLine();
    std::fprintf(m_out, "%s at step %lld %s\n", e.kind.c_str(), (long long)e.step,
                 e.payloadJson == "{}" ? "" : e.payloadJson.c_str());
}

void ProgressPrinter::onFinished(train::TrainOutcome outcome, std::int64_t step)
{
    endLine();
    const char *how = outcome == train::TrainOutcome::StepLimit ? "stopped at the step limit"
                      : outcome == train::TrainOutcome::EarlyStopped
                          ? "stopped early (no improvement)"
                          : train::toString(outcome);
    std::fprintf(m_out, "training %s after %lld steps\n", how, (long long)step);
}

void ProgressPrinter::onFailed(const Error &error, std::int64_t step)
{
    endLine();
    std::fprintf(m_out, "training failed at step %lld: %s\n", (long long)step,
                 error.toString().c_str());
}

} // namespace lathe::cli
