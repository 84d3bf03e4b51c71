// Loading a run's checkpoint for inspection: the checkpoints listed, the model and data
// restored as trained, and errors that name the run, the checkpoint and the sample.
#include "core/inspect/inspect_model.h"
#include "core/train/checkpoint.h"
#include "tests/qverify_ok.h"
#include "tests/tiny_run.h"

#include <QtTest>

#include <fstream>

using namespace lathe;
using namespace lathe::inspect;
using namespace lathe::testing;

class TestInspectModel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::int64_t m_runId = 0;

    std::filesystem::path runDir() const { return train::runDirectory(m_db, m_runId); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        m_runId = trainRun(m_db, tinyConfig(600, 1), "tiny-cnn");
    }

    void loadsBestWithItsData()
    {
        auto m = loadInspectModel(m_db, "tiny-cnn");
        QVERIFY_OK(m);
        QCOMPARE(m->runId, m_runId);
        QCOMPARE(m->runName, std::string("tiny-cnn"));
        QCOMPARE(m->checkpoint.name, std::string("best"));
        QCOMPARE(m->checkpoint.epoch, std::int64_t(1));
        QVERIFY(m->checkpoint.step > 0);
        QCOMPARE(m->net->arch(), std::string("cnn"));
        QVERIFY(!m->net->is_training());
        QCOMPARE(m->classNames.size(), std::size_t(10));
        QCOMPARE(m->classNames[9], std::string("Ankle boot"));
        QCOMPARE(m->inputShape, (std::vector<std::int64_t>{1, 28, 28}));
        QVERIFY(m->test);
        QCOMPARE(m->test->size(), std::int64_t(600));
        QCOMPARE(m->normalization.mean.size(), std::size_t(1));
        QVERIFY(m->normalization.std[0] > 0.2 && m->normalization.std[0] < 0.5);
    }

    void restoresTheCheckpointWeights()
    {
        auto m = loadInspectModel(m_db, std::to_string(m_runId), "last");
        QVERIFY_OK(m);
        // The same file loaded into a freshly built net of that architecture gives the same
        // logits: the weights come from the checkpoint, not from the initialisation.
        auto fresh = loadInspectModel(m_db, "tiny-cnn", "last");
        QVERIFY_OK(fresh);
        auto image = m->testImage(3);
        QVERIFY_OK(image);
        torch::NoGradGuard noGrad;
        const auto x = m->prepare(*image);
        QCOMPARE(x.sizes().vec(), (std::vector<std::int64_t>{1, 1, 28, 28}));
        const auto a = m->net->forward(x);
        QVERIFY(torch::allclose(a, fresh->net->forward(x)));
        QVERIFY(a.abs().max().item<double>() > 0.1);
    }

    void prepareNormalisesLikeTraining()
    {
        auto m = loadInspectModel(m_db, "tiny-cnn");
        QVERIFY_OK(m);
        const auto raw = m->test->images(torch::arange(0, 4));
        const auto x = m->prepare(raw);
        const double mean = m->normalization.mean[0], sd = m->normalization.std[0];
        QVERIFY(torch::allclose(x, (raw - mean) / sd, 1e-5, 1e-6));
        auto image = m->testImage(2);
        QVERIFY_OK(image);
        QVERIFY(torch::equal(*image, raw[2]));
    }

    void listsEpochCheckpointsInOrder()
    {
        const auto dir = runDir();
        for (const char *name : {"epoch-10.pt", "epoch-3.pt", "epoch-x.pt", "notes.pt"})
            std::filesystem::copy_file(dir / "last.pt", dir / name,
                                       std::filesystem::copy_options::overwrite_existing);
        const auto list = listCheckpoints(m_db, m_runId);
        std::vector<std::string> names;
        for (const auto &c : list)
            names.push_back(c.name);
        std::vector<std::string> expected{"best", "last"};
        // Training may write epoch-N.pt itself: keep those, sorted by N, with ours.
        std::vector<std::int64_t> epochs{3, 10};
        for (const auto &n : names)
            if (n.starts_with("epoch-") && n != "epoch-3" && n != "epoch-10")
                epochs.push_back(std::stoll(n.substr(6)));
        std::sort(epochs.begin(), epochs.end());
        for (auto n : epochs)
            expected.push_back("epoch-" + std::to_string(n));
        QCOMPARE(names, expected);
        QCOMPARE(list[0].path, dir / "best.pt");

        auto m = loadInspectModel(m_db, "tiny-cnn", "epoch-3");
        QVERIFY_OK(m);
        QCOMPARE(m->checkpoint.path, dir / "epoch-3.pt");
        QCOMPARE(m->checkpoint.epoch, std::int64_t(1)); // what its TrainState says
        for (const char *name : {"epoch-10.pt", "epoch-3.pt", "epoch-x.pt", "notes.pt"})
            std::filesystem::remove(dir / name);
    }

    void noRunsCheckpointsIsEmpty() { QVERIFY(listCheckpoints(m_db, 999).empty()); }

    void unknownRunIsNamed()
    {
        auto m = loadInspectModel(m_db, "no-such-run");
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::NotFound);
        QVERIFY2(m.error().toString().find("no-such-run") != std::string::npos,
                 m.error().toString().c_str());
    }

    void unknownCheckpointListsTheOthers_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::newRow("missing epoch") << "epoch-7";
        QTest::newRow("not a name") << "../../lathe";
        QTest::newRow("empty") << "";
    }

    void unknownCheckpointListsTheOthers()
    {
        QFETCH(QString, checkpoint);
        auto m = loadInspectModel(m_db, "tiny-cnn", checkpoint.toStdString());
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::NotFound);
        const auto text = m.error().toString();
        QVERIFY2(text.find("\"" + checkpoint.toStdString() + "\"") != std::string::npos,
                 text.c_str());
        QVERIFY2(text.find("available: best, last") != std::string::npos, text.c_str());
        QVERIFY2(text.find("tiny-cnn") != std::string::npos, text.c_str());
    }

    void corruptCheckpointNamesTheFile()
    {
        const auto path = runDir() / "epoch-5.pt";
        std::ofstream(path) << "not a checkpoint";
        auto m = loadInspectModel(m_db, "tiny-cnn", "epoch-5");
        std::filesystem::remove(path);
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::BadInput);
        QVERIFY2(m.error().context.find("epoch-5.pt") != std::string::npos,
                 m.error().toString().c_str());
    }

    void checkpointOfAnotherArchitectureIsRefused()
    {
        const auto mlpId = trainRun(m_db, tinyConfig(300, 1, "mlp", {32}), "tiny-mlp");
        const auto path = runDir() / "epoch-6.pt";
        std::filesystem::copy_file(train::runDirectory(m_db, mlpId) / "last.pt", path);
        auto m = loadInspectModel(m_db, "tiny-cnn", "epoch-6");
        std::filesystem::remove(path);
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::BadInput);
        QVERIFY2(m.error().context.find("epoch-6.pt") != std::string::npos,
                 m.error().toString().c_str());
    }

    void sampleOutOfRangeNamesIt()
    {
        auto m = loadInspectModel(m_db, "tiny-cnn");
        QVERIFY_OK(m);
        for (std::int64_t index : {std::int64_t(600), std::int64_t(-1)}) {
            auto image = m->testImage(index);
            QVERIFY(!image);
            QCOMPARE(image.error().code, ErrorCode::InvalidArgument);
            const auto text = image.error().toString();
            QVERIFY2(text.find("sample " + std::to_string(index)) != std::string::npos
                         && text.find("600 samples") != std::string::npos,
                     text.c_str());
        }
        m->test.reset();
        QVERIFY(!m->testImage(0));
    }
};

QTEST_GUILESS_MAIN(TestInspectModel)
#include "tst_inspect_model.moc"
