#include "core/train/evaluator.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <torch/torch.h>

using namespace lathe::train;

class TestEvaluator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // A hand-counted 3-class case: confusion, accuracy, precision, recall, F1 and loss.
    void knownAnswer()
    {
        // Predictions (arg-max of one-hot logits) vs labels:
        // label 0 -> 0, 0, 1   label 1 -> 1, 1   label 2 -> 0
        const auto labels = torch::tensor({0, 0, 0, 1, 1, 2}, torch::kLong);
        const auto predicted = torch::tensor({0, 0, 1, 1, 1, 0}, torch::kLong);
        const auto logits = torch::one_hot(predicted, 3).to(torch::kFloat) * 5.0;
        EvalAccumulator acc(3);
        acc.add(logits.narrow(0, 0, 4), labels.narrow(0, 0, 4)); // two batches
        acc.add(logits.narrow(0, 4, 2), labels.narrow(0, 4, 2));
        const auto r = acc.result();
        QCOMPARE(r.samples, std::int64_t(6));
        QCOMPARE(r.confusion,
                 (std::vector<std::vector<std::int64_t>>{{2, 1, 0}, {0, 2, 0}, {1, 0, 0}}));
        QCOMPARE(r.accuracy, 4.0 / 6.0);
        // class 0: predicted 3 times, 2 right; 3 actual, 2 found.
        QCOMPARE(r.precision[0], 2.0 / 3.0);
        QCOMPARE(r.recall[0], 2.0 / 3.0);
        QCOMPARE(r.f1[0], 2.0 / 3.0);
        // class 1: predicted 3 times, 2 right; 2 actual, both found.
        QCOMPARE(r.precision[1], 2.0 / 3.0);
        QCOMPARE(r.recall[1], 1.0);
        QVERIFY(qFuzzyCompare(r.f1[1], 0.8));
        // class 2: never predicted, never found: defined as 0.
        QCOMPARE(r.precision[2], 0.0);
        QCOMPARE(r.f1[2], 0.0);
        const double expectedLoss
            = torch::nn::functional::cross_entropy(logits, labels).item<double>();
        QVERIFY(std::abs(r.loss - expectedLoss) < 1e-6);
        QCOMPARE(r.toJson()["confusion"][2][0].get<int>(), 1);
    }
    void emptyIsZero()
    {
        const auto r = EvalAccumulator(4).result();
        QCOMPARE(r.samples, std::int64_t(0));
        QCOMPARE(r.accuracy, 0.0);
        QCOMPARE(r.f1.size(), size_t(4));
    }
};

LATHE_TEST_GUILESS_MAIN(TestEvaluator)
#include "tst_evaluator.moc"
