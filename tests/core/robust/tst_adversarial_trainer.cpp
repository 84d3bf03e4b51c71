// Adversarial training through the trainer's seam: the batches it hands the trainer (in the
// epsilon ball in pixel space, normalised back, the clean share left as it was), a real tiny run
// that records val/robust_accuracy, and the config section's bad rows, which leave no run.
#include "core/robust/adversarial_trainer.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/train/open_run.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::robust;

class TestAdversarialTrainer : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;

    train::RunConfig adversarialConfig() const
    {
        auto config = testing::tinyConfig(900, 2);
        config.adversarial.enabled = true;
        config.adversarial.epsilon = 0.1;
        config.adversarial.steps = 3;
        config.adversarial.evalSamples = 60;
        config.adversarial.evalSteps = 5;
        return config;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        installAdversarialTraining();
    }

    void batchesStayInTheBallAndKeepTheCleanShare()
    {
        testing::trainRun(m_db, testing::tinyConfig(600, 1), "plain");
        auto run = train::openRun(m_db, "plain");
        QVERIFY_OK(run);
        auto config = adversarialConfig().adversarial;
        config.mixRatio = 0.5;
        auto trainer = AdversarialTrainer::create(config, run->normalization);
        QVERIFY_OK(trainer);
        const auto indices = torch::arange(32, torch::kLong);
        const auto pixels = run->data.test->images(indices).to(torch::kFloat);
        const auto labels = run->data.test->labels().index_select(0, indices);
        const auto x = run->normalization.apply(pixels);
        run->net->train();
        auto batch = (*trainer)->trainingBatch(run->net, x, labels);
        QVERIFY_OK(batch);
        QVERIFY(run->net->is_training()); // its mode is given back
        QCOMPARE(batch->sizes(), x.sizes());
        // The second half is the clean batch, untouched.
        QVERIFY(torch::equal(batch->narrow(0, 16, 16), x.narrow(0, 16, 16)));
        // The first half, in pixels, is within epsilon of the images and inside [0, 1].
        const double mean = run->normalization.mean.at(0), sd = run->normalization.std.at(0);
        const auto back = batch->narrow(0, 0, 16) * sd + mean;
        const double distance = (back - pixels.narrow(0, 0, 16)).abs().max().item<double>();
        QVERIFY2(distance <= 0.1 + 1e-5, qPrintable(QString::number(distance)));
        QVERIFY(distance > 0.05);
        QVERIFY(back.min().item<double>() >= -1e-5);
        QVERIFY(back.max().item<double>() <= 1.0 + 1e-5);
        for (const auto &p : run->net->parameters())
            QVERIFY(!p.grad().defined() || p.grad().abs().sum().item<double>() == 0.0);
        // Robust accuracy never exceeds the clean one on the same samples.
        auto robust = (*trainer)->robustCorrect(run->net, x, labels);
        QVERIFY_OK(robust);
        run->net->eval();
        torch::NoGradGuard noGrad;
        const auto clean = run->net->forward(x).argmax(1).eq(labels).sum().item<std::int64_t>();
        QVERIFY(*robust <= clean);
    }

    void aRunRecordsRobustAccuracy()
    {
        const auto id = testing::trainRun(m_db, adversarialConfig(), "adversarial");
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto series = (*store)->metricSeries(id, std::string(track::keys::kValRobustAccuracy));
        QVERIFY_OK(series);
        QCOMPARE(series->size(), std::size_t(2)); // one per epoch
        auto accuracy = (*store)->metricSeries(id, std::string(track::keys::kValAccuracy));
        QVERIFY_OK(accuracy);
        for (std::size_t i = 0; i < series->size(); ++i) {
            const double robust = (*series)[i].value;
            QVERIFY(robust >= 0.0 && robust <= 1.0);
            QVERIFY(std::isfinite(robust));
        }
        // The stored config keeps the section and reads back the same.
        auto run = train::openRun(m_db, "adversarial");
        QVERIFY_OK(run);
        QVERIFY(run->config.adversarial == adversarialConfig().adversarial);
    }

    void badRows_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("message");
        QTest::newRow("pgd steps 0") << "steps"
                                     << "0"
                                     << "adversarial.steps"
                                     << "[1, 1000]";
        QTest::newRow("negative epsilon") << "epsilon"
                                          << "-0.1"
                                          << "adversarial.epsilon"
                                          << "(0, 1]";
        QTest::newRow("epsilon 0") << "epsilon"
                                   << "0"
                                   << "adversarial.epsilon"
                                   << "(0, 1]";
        QTest::newRow("epsilon above 1") << "epsilon"
                                         << "2"
                                         << "adversarial.epsilon"
                                         << "(0, 1]";
        QTest::newRow("ratio above 1") << "mix_ratio"
                                       << "1.5"
                                       << "adversarial.mix_ratio"
                                       << "[0, 1]";
        QTest::newRow("ratio negative") << "mix_ratio"
                                        << "-0.5"
                                        << "adversarial.mix_ratio"
                                        << "[0, 1]";
        QTest::newRow("ratio 0 when on") << "mix_ratio"
                                         << "0"
                                         << "adversarial.mix_ratio"
                                         << "no adversarial sample";
        QTest::newRow("unknown attack") << "attack"
                                        << "\"cw\""
                                        << "adversarial.attack"
                                        << "pgd";
        QTest::newRow("negative step") << "step_size"
                                       << "-0.01"
                                       << "adversarial.step_size"
                                       << "[0, 1]";
        QTest::newRow("eval steps 0") << "eval_steps"
                                      << "0"
                                      << "adversarial.eval_steps"
                                      << "[1, 1000]";
        QTest::newRow("unknown key") << "epsilom"
                                     << "0.1"
                                     << "adversarial"
                                     << "epsilon";
    }
    void badRows()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, context);
        QFETCH(QString, message);
        auto json = adversarialConfig().toJson();
        json["adversarial"][key.toStdString()] = nlohmann::json::parse(value.toStdString());
        auto config = train::RunConfig::fromJson(json);
        QVERIFY(!config);
        QCOMPARE(config.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(config.error().context).startsWith(context),
                 config.error().toString().c_str());
        QVERIFY2(QString::fromStdString(config.error().message).contains(message),
                 config.error().toString().c_str());
    }

    void offIsNotWrittenAndRoundTrips()
    {
        const auto plain = testing::tinyConfig();
        QVERIFY(!plain.toJson().contains("adversarial"));
        const auto on = adversarialConfig();
        auto back = train::RunConfig::fromJson(on.toJson());
        QVERIFY_OK(back);
        QVERIFY(*back == on);
    }

    void withoutTheFactoryNoRunIsCreated()
    {
        train::setAdversarialTrainingFactory({});
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "none.db";
        auto job = train::RunJob::createNew(adversarialConfig(), {db, "orphan", 0});
        installAdversarialTraining();
        QVERIFY(!job);
        QVERIFY2(QString::fromStdString(job.error().message).contains("not available"),
                 job.error().toString().c_str());
        if (std::filesystem::exists(db)) {
            auto store = track::RunStore::open(db);
            QVERIFY_OK(store);
            auto runs = (*store)->listRuns({});
            QVERIFY_OK(runs);
            QVERIFY(runs->empty());
        }
    }
};

LATHE_TEST_GUILESS_MAIN(TestAdversarialTrainer)
#include "tst_adversarial_trainer.moc"
