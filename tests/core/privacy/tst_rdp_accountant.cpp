#include "core/privacy/rdp_accountant.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace lathe::privacy;

class TestRdpAccountant : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // TensorFlow Privacy's published rows (its rdp_accountant tests and compute_dp_sgd_privacy):
    // epsilon and the order that gives it, to 1e-6 with the same orders.
    void matchesTensorFlowPrivacy_data()
    {
        QTest::addColumn<double>("examples");
        QTest::addColumn<double>("batch");
        QTest::addColumn<double>("noise");
        QTest::addColumn<int>("epochs");
        QTest::addColumn<double>("delta");
        QTest::addColumn<double>("epsilon");
        QTest::addColumn<double>("order");
        QTest::newRow("mnist") << 60000.0 << 150.0 << 1.3 << 15 << 1e-5 << 0.7242234026 << 19.0;
        QTest::newRow("100k") << 100000.0 << 100.0 << 1.0 << 30 << 1e-7 << 1.4154988495 << 13.0;
    }
    void matchesTensorFlowPrivacy()
    {
        QFETCH(double, examples);
        QFETCH(double, batch);
        QFETCH(double, noise);
        QFETCH(int, epochs);
        QFETCH(double, delta);
        QFETCH(double, epsilon);
        QFETCH(double, order);
        RdpAccountant accountant;
        const auto steps = std::int64_t(epochs * examples / batch);
        accountant.addSteps(batch / examples, noise, steps);
        const auto spent = accountant.spent(delta);
        QVERIFY(spent);
        QCOMPARE(spent->order, order);
        QVERIFY2(std::abs(spent->epsilon - epsilon) < 1e-6,
                 qPrintable(QString::number(spent->epsilon, 'g', 12)));
        QCOMPARE(spent->delta, delta);

        // Steps added in pieces compose to the same RDP.
        RdpAccountant pieces;
        pieces.addSteps(batch / examples, noise, steps / 2);
        pieces.addSteps(batch / examples, noise, steps - steps / 2);
        QVERIFY(std::abs(pieces.spent(delta)->epsilon - epsilon) < 1e-6);
    }

    // Fractional orders (the series of section 3.3) against A_alpha integrated numerically
    // (SciPy's quad to a relative 1e-13 over the mixture's likelihood ratio), and integer orders
    // (the binomial sum) the same way.
    void rdpMatchesNumericalIntegration_data()
    {
        QTest::addColumn<double>("q");
        QTest::addColumn<double>("noise");
        QTest::addColumn<double>("order");
        QTest::addColumn<double>("rdp");
        QTest::newRow("1.5") << 0.01 << 1.1 << 1.5 << 9.554528571894278e-05;
        QTest::newRow("2.5") << 0.01 << 1.1 << 2.5 << 0.0001620774093699859;
        QTest::newRow("7.3") << 0.01 << 1.1 << 7.3 << 0.0005231749305823153;
        QTest::newRow("10.5") << 0.0025 << 1.3 << 10.5 << 2.707710121583289e-05;
        QTest::newRow("3.7, q 0.2") << 0.2 << 2.0 << 3.7 << 0.02273191948676392;
        QTest::newRow("3, integer") << 0.01 << 1.1 << 3.0 << 0.00019627788991501068;
    }
    void rdpMatchesNumericalIntegration()
    {
        QFETCH(double, q);
        QFETCH(double, noise);
        QFETCH(double, order);
        QFETCH(double, rdp);
        const double got = sampledGaussianRdp(q, noise, order);
        QVERIFY2(std::abs(got - rdp) < 1e-8 * rdp, qPrintable(QString::number(got, 'g', 17) + " vs "
                                                              + QString::number(rdp, 'g', 17)));
    }

    // The fractional series and the integer sum agree where they meet, and RDP grows with the
    // order; q = 1 is the Gaussian mechanism, q = 0 spends nothing, no noise spends everything.
    void edgesAndContinuity()
    {
        for (const double order : {2.0, 3.0, 8.0, 20.0}) {
            const double at = sampledGaussianRdp(0.02, 0.9, order);
            const double near = sampledGaussianRdp(0.02, 0.9, order + 1e-9);
            QVERIFY2(std::abs(at - near) < 1e-6 * at, qPrintable(QString::number(order)));
        }
        double previous = 0;
        for (const double order : defaultOrders()) {
            const double rdp = sampledGaussianRdp(0.004, 1.1, order);
            QVERIFY(rdp >= previous);
            previous = rdp;
        }
        QCOMPARE(sampledGaussianRdp(1.0, 2.0, 5.0), 5.0 / 8.0);
        QCOMPARE(sampledGaussianRdp(0.0, 2.0, 5.0), 0.0);
        QVERIFY(std::isinf(sampledGaussianRdp(0.1, 0.0, 5.0)));
        RdpAccountant none;
        QCOMPARE(none.spent(1e-5)->epsilon, 0.0);
        RdpAccountant noNoise;
        noNoise.addSteps(0.01, 0.0, 10);
        QVERIFY(std::isinf(noNoise.spent(1e-5)->epsilon));
    }

    void defaultOrdersAreTensorFlowPrivacys()
    {
        const auto orders = defaultOrders();
        QCOMPARE(orders.size(), std::size_t(99 + 52));
        QCOMPARE(orders.front(), 1.1);
        QCOMPARE(orders[98], 10.9);
        QCOMPARE(orders[99], 12.0);
        QCOMPARE(orders.back(), 63.0);
    }

    // The noise solved for a target spends at most the target, and a hair less noise spends
    // more: the smallest such noise.
    void noiseForATargetEpsilon()
    {
        const double q = 256.0 / 60000;
        const std::int64_t steps = 30 * 60000 / 256;
        for (const double target : {1.0, 3.0, 8.0}) {
            const auto noise = noiseForEpsilon(target, 1e-5, q, steps);
            QVERIFY2(noise, noise ? "" : noise.error().toString().c_str());
            RdpAccountant at;
            at.addSteps(q, *noise, steps);
            QVERIFY(at.spent(1e-5)->epsilon <= target);
            RdpAccountant below;
            below.addSteps(q, *noise * (1 - 1e-4), steps);
            QVERIFY(below.spent(1e-5)->epsilon > target);
        }
        // A larger target needs less noise.
        QVERIFY(*noiseForEpsilon(8, 1e-5, q, steps) < *noiseForEpsilon(3, 1e-5, q, steps));
    }

    void badSettingsAreRefused_data()
    {
        QTest::addColumn<double>("target");
        QTest::addColumn<double>("delta");
        QTest::addColumn<double>("q");
        QTest::addColumn<int>("steps");
        QTest::addColumn<QString>("message");
        QTest::newRow("zero target")
            << 0.0 << 1e-5 << 0.01 << 100
            << "privacy.target_epsilon: target epsilon 0 is not a number > 0";
        QTest::newRow("negative target")
            << -1.0 << 1e-5 << 0.01 << 100 << "target epsilon -1 is not a number > 0";
        QTest::newRow("delta 0") << 3.0 << 0.0 << 0.01 << 100
                                 << "privacy.delta: delta 0 is not in (0, 1)";
        QTest::newRow("delta 1") << 3.0 << 1.0 << 0.01 << 100 << "delta 1 is not in (0, 1)";
        QTest::newRow("rate 0") << 3.0 << 1e-5 << 0.0 << 100 << "sampling rate 0 is not in (0, 1]";
        QTest::newRow("rate above 1")
            << 3.0 << 1e-5 << 1.5 << 100 << "sampling rate 1.5 is not in (0, 1]";
        QTest::newRow("no steps") << 3.0 << 1e-5 << 0.01 << 0 << "the run has 0 steps";
        QTest::newRow("unreachable")
            << 1e-9 << 1e-5 << 1.0 << 100000 << "no noise multiplier up to 1000 keeps 100000 steps";
    }
    void badSettingsAreRefused()
    {
        QFETCH(double, target);
        QFETCH(double, delta);
        QFETCH(double, q);
        QFETCH(int, steps);
        QFETCH(QString, message);
        const auto noise = noiseForEpsilon(target, delta, q, steps);
        QVERIFY(!noise);
        const QString text = QString::fromStdString(noise.error().toString());
        QVERIFY2(text.contains(message), qPrintable(text));
    }

    void badRdpInputIsRefused()
    {
        const std::vector<double> orders{2, 3}, rdp{0.1};
        QVERIFY(!epsilonFromRdp(orders, rdp, 1e-5));
        const std::vector<double> low{1.0}, one{0.1};
        QVERIFY(!epsilonFromRdp(low, one, 1e-5));
        const std::vector<double> two{2.0}, negative{-0.1};
        QVERIFY(!epsilonFromRdp(two, negative, 1e-5));
        QVERIFY(!epsilonFromRdp({}, {}, 1e-5));
    }
};

LATHE_TEST_APPLESS_MAIN(TestRdpAccountant)
#include "tst_rdp_accountant.moc"
