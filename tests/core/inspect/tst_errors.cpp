// The confusion matrix and per-sample predictions of a tiny trained run, checked against the
// trainer's own test evaluation of the same checkpoint.
#include "core/inspect/errors.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

#include <nlohmann/json.hpp>

using namespace lathe;
using namespace lathe::inspect;
using namespace lathe::testing;

class TestErrors : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::optional<train::OpenedRun> m_model;
    std::optional<ErrorReport> m_report;

private Q_SLOTS:
    void initTestCase()
    {
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        trainRun(m_db, tinyConfig(800, 1), "tiny");
        auto loaded = train::openRun(m_db, "tiny", "last");
        QVERIFY_OK(loaded);
        m_model = std::move(*loaded);
        auto report = errorReport(*m_model);
        QVERIFY_OK(report);
        m_report = std::move(*report);
    }

    void matrixCoversTheTestSet()
    {
        const auto &r = *m_report;
        QCOMPARE(r.confusion.size(), std::size_t(10));
        std::int64_t total = 0, diagonal = 0;
        for (std::size_t t = 0; t < 10; ++t) {
            QCOMPARE(r.confusion[t].size(), std::size_t(10));
            for (std::size_t p = 0; p < 10; ++p)
                total += r.confusion[t][p];
            diagonal += r.confusion[t][t];
        }
        QCOMPARE(total, std::int64_t(800));
        QCOMPARE(r.accuracy, double(diagonal) / 800.0);
        QVERIFY2(r.accuracy > 0.4, std::to_string(r.accuracy).c_str());
        QCOMPARE(r.predictions.size(), std::size_t(800));
        const auto labels = m_model->data.test->labels();
        for (std::size_t i = 0; i < r.predictions.size(); ++i) {
            const auto &p = r.predictions[i];
            QCOMPARE(p.index, std::int64_t(i));
            QCOMPARE(p.label, labels[std::int64_t(i)].item<std::int64_t>());
            QVERIFY(p.confidence >= 0.1F && p.confidence <= 1.0F);
            QVERIFY(p.loss >= 0.0F);
            if (p.label == p.predicted)
                QVERIFY(std::abs(p.loss + std::log(p.confidence)) < 1e-4);
        }
    }

    void agreesWithTheTrainersEvaluation()
    {
        auto data = train::loadTrainData(m_model->config.data);
        QVERIFY_OK(data);
        auto trainer = train::Trainer::create(m_model->config, *data, {});
        QVERIFY_OK(trainer);
        QVERIFY_OK((*trainer)->restore(m_model->checkpoint.path));
        auto expected = (*trainer)->evaluateTest();
        QVERIFY_OK(expected);
        QCOMPARE(expected->samples, std::int64_t(800));
        QCOMPARE(m_report->confusion, expected->confusion);
        QCOMPARE(m_report->accuracy, expected->accuracy);
        QCOMPARE(m_report->precision, expected->precision);
        QCOMPARE(m_report->recall, expected->recall);
        QCOMPARE(m_report->f1, expected->f1);
        // The run recorded the same figure when training ended (the last checkpoint's weights).
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto stored = (*store)->lastMetric(m_model->run.id, "test/accuracy");
        QVERIFY_OK(stored);
        QVERIFY(stored->has_value());
        QVERIFY(std::abs(**stored - m_report->accuracy) < 1e-9);
    }

    void cellHoldsItsSamplesHardestFirst()
    {
        const auto &r = *m_report;
        for (std::int64_t t = 0; t < 10; ++t) {
            for (std::int64_t p = 0; p < 10; ++p) {
                const auto cell = r.cell(t, p);
                QCOMPARE(std::int64_t(cell.size()), r.confusion[t][p]);
                for (std::size_t i = 0; i < cell.size(); ++i) {
                    QCOMPARE(cell[i].label, t);
                    QCOMPARE(cell[i].predicted, p);
                    if (i > 0)
                        QVERIFY(cell[i - 1].loss >= cell[i].loss);
                }
            }
        }
        QVERIFY(r.cell(42, 0).empty());
    }

    void reportsProgressAndStops()
    {
        std::vector<std::pair<std::int64_t, std::int64_t>> calls;
        auto again = errorReport(*m_model, {}, [&](std::int64_t done, std::int64_t total) {
            calls.emplace_back(done, total);
        });
        QVERIFY_OK(again);
        QCOMPARE(again->confusion, m_report->confusion);
        QVERIFY(calls.size() >= 2);
        QCOMPARE(calls.back(), (std::pair<std::int64_t, std::int64_t>(800, 800)));
        for (std::size_t i = 1; i < calls.size(); ++i)
            QVERIFY(calls[i].first > calls[i - 1].first);

        std::stop_source source;
        auto stopped = errorReport(*m_model, source.get_token(),
                                   [&](std::int64_t, std::int64_t) { source.request_stop(); });
        QVERIFY(!stopped);
        QCOMPARE(stopped.error().code, ErrorCode::Cancelled);
    }

    void withoutATestSetTheValidationSplitIsEvaluated()
    {
        QCOMPARE(m_report->split, std::string("test"));
        train::OpenedRun noTest = *m_model;
        noTest.data.test.reset();
        auto report = errorReport(noTest);
        QVERIFY_OK(report);
        QCOMPARE(report->split, std::string("val"));
        const auto &val = noTest.split.val;
        QCOMPARE(std::int64_t(report->predictions.size()), val.numel());
        // Sample i is validation sample i: training sample split.val[i], with its label.
        const auto labels = noTest.data.train->labels();
        for (std::int64_t i = 0; i < val.numel(); i += 37) {
            const auto &p = report->predictions[std::size_t(i)];
            QCOMPARE(p.index, i);
            QCOMPARE(p.label, labels[val[i].item<std::int64_t>()].item<std::int64_t>());
        }

        // With no validation split either there is nothing to evaluate.
        noTest.split.val = torch::empty({0}, torch::kLong);
        auto none = errorReport(noTest);
        QVERIFY(!none);
        QCOMPARE(none.error().code, ErrorCode::InvalidArgument);
        QVERIFY(none.error().message.find("no test set and no validation split")
                != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
