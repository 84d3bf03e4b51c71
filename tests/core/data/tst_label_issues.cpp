#include "core/data/label_issues.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

using lathe::ErrorCode;
using lathe::data::checkLabelIssueInput;
using lathe::data::findLabelIssues;

class TestLabelIssues : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Three classes, 30 samples each, predicted confidently as their label except samples 5
    // and 40, which the model puts firmly in another class: those two, and only they, are
    // flagged, the lower self-confidence first.
    void flagsConfidentDisagreements()
    {
        const std::int64_t n = 90;
        torch::Tensor labels = torch::arange(n, torch::kLong).floor_divide(30);
        torch::Tensor probs = torch::full({n, 3}, 0.05);
        for (std::int64_t i = 0; i < n; ++i)
            probs[i][labels[i].item<std::int64_t>()] = 0.9;
        probs[5] = torch::tensor({0.02, 0.95, 0.03}, torch::kDouble).to(torch::kFloat);
        probs[40] = torch::tensor({0.02, 0.03, 0.95}, torch::kDouble).to(torch::kFloat);
        probs[70] = torch::tensor({0.30, 0.30, 0.40}, torch::kDouble).to(torch::kFloat); // unsure
        auto report = findLabelIssues(probs, labels);
        QVERIFY2(report.has_value(), report ? "" : report.error().toString().c_str());
        QCOMPARE(report->samples, n);
        QCOMPARE(report->issues.size(), std::size_t(2));
        QCOMPARE(report->issues[0].index, std::int64_t(5));
        QCOMPARE(report->issues[0].given, std::int64_t(0));
        QCOMPARE(report->issues[0].suggested, std::int64_t(1));
        QVERIFY(std::abs(report->issues[0].selfConfidence - 0.02) < 1e-6);
        QCOMPARE(report->issues[1].index, std::int64_t(40));
        QCOMPARE(report->issues[1].suggested, std::int64_t(2));
        // t_0 = (29 * 0.9 + 0.02) / 30; the joint counts sample 5 as labelled 0, truly 1.
        QVERIFY(std::abs(report->thresholds[0] - (29 * 0.9 + 0.02) / 30) < 1e-6);
        QCOMPARE(report->confidentJoint[0][1], std::int64_t(1));
        QCOMPARE(report->confidentJoint[1][2], std::int64_t(1));
        // Sample 70 (0.4 for its class 2) reaches no class's threshold: it counts nowhere.
        QCOMPARE(report->confidentJoint[2][2], std::int64_t(29));
    }

    void cleanPredictionsGiveNoIssues()
    {
        torch::Tensor labels = torch::arange(40, torch::kLong).remainder(4);
        torch::Tensor probs = torch::one_hot(labels, 4).to(torch::kFloat) * 0.7 + 0.075;
        auto report = findLabelIssues(probs, labels);
        QVERIFY(report.has_value());
        QVERIFY(report->issues.empty());
    }

    void badShapes()
    {
        auto report = findLabelIssues(torch::ones({4, 2}), torch::zeros({3}, torch::kLong));
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, ErrorCode::InvalidArgument);
        auto outside = findLabelIssues(torch::ones({2, 2}), torch::tensor({0, 2}));
        QVERIFY(!outside.has_value());
    }

    void badInput_data()
    {
        QTest::addColumn<QList<qint64>>("labels");
        QTest::addColumn<QStringList>("classes");
        QTest::addColumn<qint64>("folds");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("says");
        const QStringList two{"shirt", "boot"};
        QTest::newRow("one class") << QList<qint64>{0, 0, 0} << QStringList{"shirt"} << qint64(2)
                                   << int(ErrorCode::BadInput) << "needs at least 2";
        QTest::newRow("empty class") << QList<qint64>{0, 0, 0} << two << qint64(2)
                                     << int(ErrorCode::BadInput) << "class 1 (\"boot\") has no";
        QTest::newRow("fewer than folds") << QList<qint64>{0, 0, 0, 1, 1} << two << qint64(3)
                                          << int(ErrorCode::BadInput) << "fewer than the 3 folds";
        QTest::newRow("one fold") << QList<qint64>{0, 1} << two << qint64(1)
                                  << int(ErrorCode::InvalidArgument) << "at least 2";
        QTest::newRow("negative folds") << QList<qint64>{0, 1} << two << qint64(-2)
                                        << int(ErrorCode::InvalidArgument) << "at least 2";
    }
    void badInput()
    {
        QFETCH(QList<qint64>, labels);
        QFETCH(QStringList, classes);
        QFETCH(qint64, folds);
        QFETCH(int, code);
        QFETCH(QString, says);
        std::vector<std::int64_t> l(labels.begin(), labels.end());
        std::vector<std::string> names;
        for (const QString &c : classes)
            names.push_back(c.toStdString());
        auto ok = checkLabelIssueInput(torch::tensor(l), names, folds);
        QVERIFY(!ok.has_value());
        QCOMPARE(int(ok.error().code), code);
        QVERIFY2(QString::fromStdString(ok.error().message).contains(says),
                 ok.error().message.c_str());
    }

    void heldOutNeedsNoFolds()
    {
        QVERIFY(checkLabelIssueInput(torch::tensor({0, 1}), {"a", "b"}, 0).has_value());
    }
};

LATHE_TEST_GUILESS_MAIN(TestLabelIssues)
#include "tst_label_issues.moc"
