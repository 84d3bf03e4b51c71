// FGSM and PGD on real checkpoints of a tiny CNN trained on Fashion-MNIST: every example stays in
// its epsilon ball and in [0, 1], PGD is at least as strong as FGSM on each checkpoint, the input
// gradient matches central finite differences, and accuracy falls as epsilon grows.
#include "core/robust/attack.h"
#include "core/robust/robustness_evaluation.h"
#include "core/train/open_run.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>

using namespace lathe;
using namespace lathe::robust;

namespace {

struct Batch
{
    torch::Tensor pixels, labels;
};

Batch testBatch(const train::OpenedRun &run, std::int64_t n)
{
    const auto indices = torch::arange(n, torch::kLong);
    return {run.data.test->images(indices).to(torch::kFloat),
            run.data.test->labels().index_select(0, indices)};
}

std::int64_t correct(const Classifier &classifier, const torch::Tensor &x, const torch::Tensor &y)
{
    torch::NoGradGuard noGrad;
    return classifier(x).argmax(1).eq(y).sum().item<std::int64_t>();
}

} // namespace

class TestAttack : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;

    train::OpenedRun open(const std::string &checkpoint)
    {
        auto run = train::openRun(m_db, "tiny", checkpoint);
        if (!run)
            qFatal("%s", run.error().toString().c_str());
        return std::move(*run);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        testing::trainRun(m_db, testing::tinyConfig(1500, 2), "tiny");
    }

    void staysInTheBallAndThePixelRange_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<double>("epsilon");
        QTest::addColumn<bool>("randomStart");
        QTest::addColumn<qlonglong>("restarts");
        QTest::newRow("fgsm 0.1") << "fgsm" << 0.1 << false << 1LL;
        QTest::newRow("fgsm random start 0.2") << "fgsm" << 0.2 << true << 1LL;
        QTest::newRow("pgd 0.05") << "pgd" << 0.05 << true << 1LL;
        QTest::newRow("pgd 0.3 restarts") << "pgd" << 0.3 << true << 3LL;
        QTest::newRow("pgd big step") << "pgd" << 0.1 << false << 1LL;
    }
    void staysInTheBallAndThePixelRange()
    {
        QFETCH(QString, kind);
        QFETCH(double, epsilon);
        QFETCH(bool, randomStart);
        QFETCH(qlonglong, restarts);
        auto run = open("best");
        const auto batch = testBatch(run, 64);
        AttackOptions options;
        options.kind = *parseAttackKind(kind.toStdString());
        options.epsilon = epsilon;
        options.steps = 10;
        options.randomStart = randomStart;
        options.restarts = restarts;
        if (QTest::currentDataTag() == QByteArray("pgd big step"))
            options.stepSize = 0.5; // far past epsilon: only the projection keeps it inside
        auto adversarial
            = attack(classifierOf(run.net, run.normalization), batch.pixels, batch.labels, options);
        QVERIFY_OK(adversarial);
        QCOMPARE(adversarial->sizes(), batch.pixels.sizes());
        const double distance = (*adversarial - batch.pixels).abs().max().item<double>();
        QVERIFY2(distance <= epsilon + 1e-6, qPrintable(QString::number(distance)));
        QVERIFY(distance > 0.5 * epsilon); // it moved
        QVERIFY(adversarial->min().item<double>() >= 0.0);
        QVERIFY(adversarial->max().item<double>() <= 1.0);
    }

    void pgdIsAtLeastAsStrongAsFgsmOnEveryCheckpoint_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::newRow("epoch-1") << "epoch-1";
        QTest::newRow("epoch-2") << "epoch-2";
        QTest::newRow("best") << "best";
    }
    void pgdIsAtLeastAsStrongAsFgsmOnEveryCheckpoint()
    {
        QFETCH(QString, checkpoint);
        auto run = open(checkpoint.toStdString());
        run.net->eval();
        const auto batch = testBatch(run, 300);
        const auto classifier = classifierOf(run.net, run.normalization);
        for (const double epsilon : {0.02, 0.05, 0.1}) {
            AttackOptions fgsm;
            fgsm.kind = AttackKind::Fgsm;
            fgsm.epsilon = epsilon;
            fgsm.randomStart = false;
            AttackOptions pgd;
            pgd.epsilon = epsilon;
            pgd.steps = 20;
            auto a = attack(classifier, batch.pixels, batch.labels, fgsm);
            auto b = attack(classifier, batch.pixels, batch.labels, pgd);
            QVERIFY_OK(a);
            QVERIFY_OK(b);
            const auto clean = correct(classifier, batch.pixels, batch.labels);
            const auto underFgsm = correct(classifier, *a, batch.labels);
            const auto underPgd = correct(classifier, *b, batch.labels);
            QVERIFY2(underPgd <= underFgsm, qPrintable(QString("eps %1: clean %2, fgsm %3, pgd %4")
                                                           .arg(epsilon)
                                                           .arg(clean)
                                                           .arg(underFgsm)
                                                           .arg(underPgd)));
            QVERIFY(underFgsm < clean);
        }
    }

    void inputGradientMatchesFiniteDifferences()
    {
        auto run = open("best");
        run.net->eval();
        run.net->to(torch::kDouble);
        const auto batch = testBatch(run, 2);
        // A little noise breaks the exact ties of flat backgrounds (equal values in a max-pool
        // window), where the loss has a kink and the two one-sided derivatives differ.
        auto generator = at::detail::createCPUGenerator(7);
        const auto x = (batch.pixels.to(torch::kDouble)
                        + 0.01 * torch::rand(batch.pixels.sizes(), generator, torch::kDouble))
                           .clamp(0.0, 1.0);
        const auto classifier = classifierOf(run.net, run.normalization);
        auto gradient = inputGradient(classifier, x, batch.labels);
        QVERIFY_OK(gradient);
        const auto loss = [&](const torch::Tensor &input) {
            torch::NoGradGuard noGrad;
            return torch::nn::functional::cross_entropy(
                       classifier(input), batch.labels,
                       torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
        };
        // The pixels where the gradient is largest, and a few others.
        const auto flat = gradient->abs().view(-1);
        auto picks = std::get<1>(flat.topk(8));
        picks = torch::cat({picks, torch::tensor({0L, 100L, 400L, 784L + 300L})});
        const double h = 1e-6;
        double largest = 0.0;
        for (std::int64_t i = 0; i < picks.size(0); ++i) {
            const auto at = picks[i].item<std::int64_t>();
            auto plus = x.clone(), minus = x.clone();
            plus.view(-1)[at] += h;
            minus.view(-1)[at] -= h;
            const double numeric = (loss(plus) - loss(minus)) / (2 * h);
            const double analytic = gradient->view(-1)[at].item<double>();
            largest = std::max(largest, std::abs(analytic));
            QVERIFY2(std::abs(numeric - analytic) <= 1e-6 + 1e-4 * std::abs(analytic),
                     qPrintable(QString("pixel %1: numeric %2, analytic %3")
                                    .arg(at)
                                    .arg(numeric, 0, 'g', 10)
                                    .arg(analytic, 0, 'g', 10)));
        }
        QVERIFY(largest > 1e-3); // not a vacuous zero gradient
    }

    void touchesNoParameterGradient()
    {
        auto run = open("best");
        run.net->eval();
        const auto batch = testBatch(run, 32);
        AttackOptions options;
        options.steps = 3;
        QVERIFY_OK(
            attack(classifierOf(run.net, run.normalization), batch.pixels, batch.labels, options));
        for (const auto &p : run.net->parameters())
            QVERIFY(!p.grad().defined() || p.grad().abs().sum().item<double>() == 0.0);
    }

    void accuracyFallsWithEpsilon()
    {
        auto run = open("best");
        run.net->train(); // the evaluation sets eval mode itself and restores this
        RobustnessOptions options;
        options.epsilons = {0.2, 0.0, 0.05, 0.1};
        options.attack.steps = 10;
        options.limit = 300;
        std::int64_t calls = 0, last = 0;
        auto points = evaluateRobustness(run, options, [&](std::int64_t done, std::int64_t total) {
            ++calls;
            last = done;
            QCOMPARE(total, 4 * 300LL);
        });
        QVERIFY_OK(points);
        QVERIFY(run.net->is_training());
        QCOMPARE(last, 4 * 300LL);
        QCOMPARE(calls, 2LL); // batches of 250
        QCOMPARE(points->size(), std::size_t(4));
        QCOMPARE((*points)[0].epsilon, 0.0);
        QVERIFY2((*points)[0].accuracy > 0.6, qPrintable(QString::number((*points)[0].accuracy)));
        for (std::size_t i = 1; i < points->size(); ++i)
            QVERIFY2((*points)[i].accuracy < (*points)[i - 1].accuracy,
                     qPrintable(QString("eps %1: %2 after %3")
                                    .arg((*points)[i].epsilon)
                                    .arg((*points)[i].accuracy)
                                    .arg((*points)[i - 1].accuracy)));
        QVERIFY((*points)[3].accuracy < 0.2); // a standard model is not robust at 0.2
        // The stored form reads back.
        auto back = robustPointsFromJson(robustnessJson(options, *points));
        QVERIFY_OK(back);
        QCOMPARE(back->size(), points->size());
        QCOMPARE((*back)[2].accuracy, (*points)[2].accuracy);
    }

    void badOptionsAreRefused_data()
    {
        QTest::addColumn<double>("epsilon");
        QTest::addColumn<qlonglong>("steps");
        QTest::addColumn<qlonglong>("restarts");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("message");
        QTest::newRow("negative epsilon") << -0.1 << 10LL << 1LL << "epsilon"
                                          << ">= 0";
        QTest::newRow("NaN epsilon") << std::nan("") << 10LL << 1LL << "epsilon"
                                     << ">= 0";
        QTest::newRow("pgd 0 steps") << 0.1 << 0LL << 1LL << "steps"
                                     << "at least 1 step";
        QTest::newRow("0 restarts") << 0.1 << 10LL << 0LL << "restarts"
                                    << "at least 1";
    }
    void badOptionsAreRefused()
    {
        QFETCH(double, epsilon);
        QFETCH(qlonglong, steps);
        QFETCH(qlonglong, restarts);
        QFETCH(QString, context);
        QFETCH(QString, message);
        auto run = open("best");
        const auto batch = testBatch(run, 4);
        AttackOptions options;
        options.epsilon = epsilon;
        options.steps = steps;
        options.restarts = restarts;
        auto result
            = attack(classifierOf(run.net, run.normalization), batch.pixels, batch.labels, options);
        QVERIFY(!result);
        QCOMPARE(result.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(result.error().context), context);
        QVERIFY2(QString::fromStdString(result.error().message).contains(message),
                 result.error().message.c_str());
        QVERIFY(!parseAttackKind("cw"));
        QVERIFY(
            QString::fromStdString(parseAttackKind("cw").error().message).contains("fgsm, pgd"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestAttack)
#include "tst_attack.moc"
