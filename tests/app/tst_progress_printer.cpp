// lathe-cli's progress lines (app/cli/progress.h) fed the trainer's step events: a DP-SGD step
// whose Poisson batch drew no example has a NaN loss and accuracy (0/0); the line shows the last
// step's values that were finite, or none before the first, never "nan".
#include "app/cli/progress.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <cstdio>
#include <string>

using namespace lathe;

namespace {

// What a printer to a file (plain lines every 100 steps) writes for steps 1..`steps`, step s
// having loss loss(s) and accuracy 1 - loss(s).
template<typename Loss>
std::string printed(std::int64_t steps, Loss loss)
{
    std::FILE *file = std::tmpfile();
    {
        cli::ProgressPrinter printer(file, steps, 1);
        for (std::int64_t s = 1; s <= steps; ++s) {
            train::StepEvent e;
            e.step = s;
            e.epoch = double(s) / double(steps);
            e.loss = loss(s);
            e.accuracy = 1.0 - e.loss;
            e.lr = 0.01;
            printer.onStep(e);
        }
    }
    std::rewind(file);
    std::string out;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, file))
        out += buffer;
    std::fclose(file);
    return out;
}

} // namespace

class TestProgressPrinter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void anEmptyBatchShowsTheLastFiniteLoss()
    {
        // Steps 100 and 200 (the ones printed) are empty batches: NaN.
        const auto out = printed(
            200, [](std::int64_t s) { return s % 100 == 0 ? std::nan("") : double(s) / 1000.0; });
        QVERIFY2(out.find("nan") == std::string::npos, out.c_str());
        QVERIFY2(out.find("step 100/200 loss 0.0990 acc 0.901 lr") != std::string::npos,
                 out.c_str());
        QVERIFY2(out.find("step 200/200 loss 0.1990 acc 0.801 lr") != std::string::npos,
                 out.c_str());
    }

    void noLossBeforeTheFirstFiniteOne()
    {
        const auto out = printed(100, [](std::int64_t) { return std::nan(""); });
        QVERIFY2(out.find("nan") == std::string::npos, out.c_str());
        QVERIFY2(out.find("loss") == std::string::npos, out.c_str());
        QVERIFY2(out.find("step 100/100 lr 0.01") != std::string::npos, out.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestProgressPrinter)
#include "tst_progress_printer.moc"
