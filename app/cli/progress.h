#pragma once

#include "core/train/train_events.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace lathe::cli {

/// Shows training progress: on a terminal, one line redrawn at most 10 times a second
/// (epoch, bar, step, loss, accuracy, samples/s, ETA); otherwise plain lines every
/// `plainEvery` steps and at each epoch and evaluation. Runs on the training thread.
class ProgressPrinter : public train::TrainObserver
{
public:
    ProgressPrinter(std::FILE *out, std::int64_t totalSteps, std::int64_t epochs);

    void onStep(const train::StepEvent &event) override;
    void onEval(const train::EvalEvent &event) override;
    void onNote(const train::NoteEvent &event) override;
    void onFinished(train::TrainOutcome outcome, std::int64_t step) override;
    void onFailed(const Error &error, std::int64_t step) override;

private:
    static constexpr std::int64_t kPlainEvery = 100; ///< steps between plain lines
    void endLine();

    std::FILE *m_out;
    bool m_terminal;
    std::int64_t m_totalSteps, m_epochs;
    double m_lastDraw = 0.0;
    double m_samplesPerSecond = 0.0;
    double m_loss = std::nan("");     ///< the last finite step loss (NaN until one)
    double m_accuracy = std::nan(""); ///< ... and accuracy
    double m_startTime = 0.0;
    std::int64_t m_startStep = -1;
    bool m_lineOpen = false;
};

} // namespace lathe::cli
