// Opening a stored run: the checkpoints the store records (best, else last, by default), the
// model and data restored as trained, errors that name the run, the checkpoint and the sample,
// and no effect at all on a run training at the same time.
#include "core/track/metric_keys.h"
#include "core/train/checkpoint.h"
#include "core/train/open_run.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

#include <atomic>
#include <fstream>
#include <thread>

using namespace lathe;
using namespace lathe::train;
using namespace lathe::testing;

namespace {

std::vector<std::string> checkpointNames(const std::vector<CheckpointInfo> &checkpoints)
{
    std::vector<std::string> out;
    for (const auto &c : checkpoints)
        out.push_back(c.name);
    return out;
}

// Every stored value of every metric of a run that does not measure time.
std::map<std::string, std::vector<std::pair<std::int64_t, double>>>
storedMetrics(const std::filesystem::path &db, std::int64_t runId)
{
    std::map<std::string, std::vector<std::pair<std::int64_t, double>>> out;
    auto store = track::RunStore::open(db);
    if (!store)
        qFatal("%s", store.error().toString().c_str());
    const auto keys = (*store)->metricKeys(runId);
    if (!keys)
        qFatal("%s", keys.error().toString().c_str());
    for (const auto &key : *keys) {
        if (key == track::keys::kSamplesPerSecond || key == track::keys::kEpochSeconds)
            continue;
        const auto rows = (*store)->metricSeries(runId, key);
        if (!rows)
            qFatal("%s", rows.error().toString().c_str());
        for (const auto &row : *rows)
            out[key].emplace_back(row.step, row.value);
    }
    return out;
}

} // namespace

class TestOpenRun : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::int64_t m_runId = 0;

    std::filesystem::path runDir() const { return runDirectory(m_db, m_runId); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        m_runId = trainRun(m_db, tinyConfig(600, 1), "tiny-cnn");
    }

    void opensBestWithItsData()
    {
        auto m = openRun(m_db, "tiny-cnn");
        QVERIFY_OK(m);
        QCOMPARE(m->run.id, m_runId);
        QCOMPARE(m->run.name, std::string("tiny-cnn"));
        QCOMPARE(m->checkpoint.name, std::string("best"));
        QVERIFY2(m->checkpointNote.find("\"best\"") != std::string::npos,
                 m->checkpointNote.c_str());
        QCOMPARE(m->checkpoint.epoch, std::int64_t(1));
        QVERIFY(m->checkpoint.step > 0);
        // fashion-cnn.json keeps epoch checkpoints.
        QCOMPARE(checkpointNames(m->checkpoints),
                 (std::vector<std::string>{"best", "last", "epoch-1"}));
        QCOMPARE(m->net->arch(), std::string("cnn"));
        QVERIFY(!m->net->is_training());
        QCOMPARE(m->classNames.size(), std::size_t(10));
        QCOMPARE(m->classNames[9], std::string("Ankle boot"));
        QCOMPARE(m->inputShape, (std::vector<std::int64_t>{1, 28, 28}));
        QVERIFY(m->data.test);
        QCOMPARE(m->data.test->size(), std::int64_t(600));
        QCOMPARE(m->normalization.mean.size(), std::size_t(1));
        QVERIFY(m->normalization.std[0] > 0.2 && m->normalization.std[0] < 0.5);
        QCOMPARE(m->config.model.arch, std::string("cnn"));
    }

    void anExplicitChoiceHasNoNote()
    {
        auto m = openRun(m_db, "tiny-cnn", "best");
        QVERIFY_OK(m);
        QVERIFY(m->checkpointNote.empty());
    }

    void restoresTheCheckpointWeights()
    {
        auto m = openRun(m_db, std::to_string(m_runId), "last");
        QVERIFY_OK(m);
        // The same file loaded into a freshly built net of that architecture gives the same
        // logits: the weights come from the checkpoint, not from the initialisation.
        auto fresh = openRun(m_db, "tiny-cnn", "last");
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
        auto m = openRun(m_db, "tiny-cnn");
        QVERIFY_OK(m);
        const auto raw = m->data.test->images(torch::arange(0, 4));
        const auto x = m->prepare(raw);
        const double mean = m->normalization.mean[0], sd = m->normalization.std[0];
        QVERIFY(torch::allclose(x, (raw - mean) / sd, 1e-5, 1e-6));
        auto image = m->testImage(2);
        QVERIFY_OK(image);
        QVERIFY(torch::equal(*image, raw[2]));
    }

    void theStoreIsTheListNotTheFolder()
    {
        const auto dir = runDir();
        // Files in the folder that the store does not record are not checkpoints.
        for (const char *name : {"epoch-10.pt", "epoch-3.pt", "epoch-x.pt", "notes.pt"})
            std::filesystem::copy_file(dir / "last.pt", dir / name,
                                       std::filesystem::copy_options::overwrite_existing);
        auto list = listCheckpoints(m_db, m_runId);
        QVERIFY_OK(list);
        QCOMPARE(checkpointNames(*list), (std::vector<std::string>{"best", "last", "epoch-1"}));
        QCOMPARE(list->front().path, dir / "best.pt");
        QCOMPARE(list->front().sha256.size(), std::size_t(64));

        // Recorded ones are listed, epoch-N by N, with the position their file says.
        recordCheckpoint(m_db, m_runId, "epoch-10", dir / "epoch-10.pt");
        recordCheckpoint(m_db, m_runId, "epoch-3", dir / "epoch-3.pt");
        list = listCheckpoints(m_db, m_runId);
        QVERIFY_OK(list);
        QCOMPARE(checkpointNames(*list),
                 (std::vector<std::string>{"best", "last", "epoch-1", "epoch-3", "epoch-10"}));
        auto m = openRun(m_db, "tiny-cnn", "epoch-3");
        QVERIFY_OK(m);
        QCOMPARE(m->checkpoint.path, dir / "epoch-3.pt");
        QCOMPARE(m->checkpoint.epoch, std::int64_t(1)); // what its TrainState says
    }

    void noRunsCheckpointsIsEmpty()
    {
        auto list = listCheckpoints(m_db, 999);
        QVERIFY_OK(list);
        QVERIFY(list->empty());
    }

    void unknownRunIsNamed()
    {
        auto m = openRun(m_db, "no-such-run");
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::NotFound);
        QVERIFY2(m.error().toString().find("no-such-run") != std::string::npos,
                 m.error().toString().c_str());
    }

    void unknownCheckpointListsTheOthers_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::addColumn<int>("code");
        QTest::newRow("missing epoch") << "epoch-7" << int(ErrorCode::NotFound);
        QTest::newRow("not a name") << "../../lathe" << int(ErrorCode::InvalidArgument);
    }

    void unknownCheckpointListsTheOthers()
    {
        QFETCH(QString, checkpoint);
        QFETCH(int, code);
        auto m = openRun(m_db, "tiny-cnn", checkpoint.toStdString());
        QVERIFY(!m);
        QCOMPARE(int(m.error().code), code);
        const auto text = m.error().toString();
        QVERIFY2(text.find("\"" + checkpoint.toStdString() + "\"") != std::string::npos,
                 text.c_str());
        QVERIFY2(text.find("best, last") != std::string::npos, text.c_str());
        QVERIFY2(text.find("tiny-cnn") != std::string::npos, text.c_str());
    }

    void corruptCheckpointNamesTheFile()
    {
        const auto path = runDir() / "epoch-5.pt";
        std::ofstream(path) << "not a checkpoint";
        recordCheckpoint(m_db, m_runId, "epoch-5", path);
        auto m = openRun(m_db, "tiny-cnn", "epoch-5");
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::BadInput);
        QVERIFY2(m.error().context.find("epoch-5.pt") != std::string::npos,
                 m.error().toString().c_str());
    }

    void aChangedOrMissingFileIsNamed()
    {
        const auto path = runDir() / "epoch-8.pt";
        std::filesystem::copy_file(runDir() / "last.pt", path);
        recordCheckpoint(m_db, m_runId, "epoch-8", path);
        QVERIFY_OK(openRun(m_db, "tiny-cnn", "epoch-8"));

        std::ofstream(path, std::ios::app) << "tampered";
        auto changed = openRun(m_db, "tiny-cnn", "epoch-8");
        QVERIFY(!changed);
        QCOMPARE(changed.error().code, ErrorCode::BadInput);
        QVERIFY2(changed.error().message.find("SHA-256") != std::string::npos,
                 changed.error().toString().c_str());
        QCOMPARE(changed.error().context, path.string());

        std::filesystem::remove(path);
        auto missing = openRun(m_db, "tiny-cnn", "epoch-8");
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::BadInput);
        QVERIFY2(missing.error().message.find("missing") != std::string::npos,
                 missing.error().toString().c_str());
        auto list = listCheckpoints(m_db, m_runId);
        QVERIFY_OK(list);
        const auto it = std::find_if(list->begin(), list->end(),
                                     [](const auto &c) { return c.name == "epoch-8"; });
        QVERIFY(it != list->end() && it->missing);
    }

    void checkpointOfAnotherArchitectureIsRefused()
    {
        const auto mlpId = trainRun(m_db, tinyConfig(300, 1, "mlp", {32}), "tiny-mlp");
        const auto path = runDir() / "epoch-6.pt";
        std::filesystem::copy_file(runDirectory(m_db, mlpId) / "last.pt", path);
        recordCheckpoint(m_db, m_runId, "epoch-6", path);
        auto m = openRun(m_db, "tiny-cnn", "epoch-6");
        QVERIFY(!m);
        QCOMPARE(m.error().code, ErrorCode::BadInput);
        QVERIFY2(m.error().context.find("epoch-6.pt") != std::string::npos,
                 m.error().toString().c_str());
    }

    void withoutBestTheDefaultIsLast()
    {
        // Stopped by the step limit before its first epoch ended: only "last" was written.
        auto job = RunJob::createNew(tinyConfig(600, 1), {m_db, "stopped-early", 2});
        QVERIFY_OK(job);
        QVERIFY_OK((*job)->run());
        auto m = openRun(m_db, "stopped-early");
        QVERIFY_OK(m);
        QCOMPARE(m->checkpoint.name, std::string("last"));
        QVERIFY2(m->checkpointNote.find("no \"best\"") != std::string::npos,
                 m->checkpointNote.c_str());
        auto best = openRun(m_db, "stopped-early", "best");
        QVERIFY(!best);
        QVERIFY2(best.error().message.find("available: last") != std::string::npos,
                 best.error().toString().c_str());
    }

    void sampleOutOfRangeNamesIt()
    {
        auto m = openRun(m_db, "tiny-cnn");
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
        m->data.test.reset();
        QVERIFY(!m->testImage(0));
    }

    void openingLeavesTheGlobalGeneratorAlone()
    {
        torch::manual_seed(99);
        const auto before = at::detail::getDefaultCPUGenerator().get_state();
        QVERIFY_OK(openRun(m_db, "tiny-cnn"));
        QVERIFY(torch::equal(before, at::detail::getDefaultCPUGenerator().get_state()));
    }

    // A run trained while another thread keeps opening a run and running it is bit-identical
    // to the same run trained alone: every stored metric value and the final weights. Dropout
    // makes training draw from LibTorch's global generator every step, so one draw taken from
    // it by the inspections would change the run.
    void inspectionsDoNotChangeATrainingRun()
    {
        auto config = tinyConfig(600, 2);
        config.model.dropout = 0.3;
        const auto root = std::filesystem::path(m_dir.path().toStdString());
        const auto alone = trainRun(root / "alone" / "lathe.db", config, "seeded");

        std::atomic<bool> training{true};
        std::atomic<int> inspections{0};
        std::thread inspector([&] {
            while (training) {
                auto m = openRun(m_db, "tiny-cnn");
                if (!m)
                    qFatal("%s", m.error().toString().c_str());
                torch::NoGradGuard noGrad;
                (void)m->net->forward(m->prepare(m->data.test->images(torch::arange(0, 8))));
                ++inspections;
            }
        });
        const auto watchedDb = root / "watched" / "lathe.db";
        const auto watched = trainRun(watchedDb, config, "seeded");
        training = false;
        inspector.join();
        QVERIFY2(inspections >= 1, "the inspections did not overlap the training");

        const auto expected = storedMetrics(root / "alone" / "lathe.db", alone);
        QVERIFY(expected.contains(std::string(track::keys::kTrainLoss)));
        QVERIFY(storedMetrics(watchedDb, watched) == expected);
        auto a = openRun(root / "alone" / "lathe.db", "seeded", "last");
        auto b = openRun(watchedDb, "seeded", "last");
        QVERIFY_OK(a);
        QVERIFY_OK(b);
        const auto pa = a->net->named_parameters(), pb = b->net->named_parameters();
        QCOMPARE(pa.size(), pb.size());
        for (const auto &p : pa)
            QVERIFY2(torch::equal(p.value(), pb[p.key()]), p.key().c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestOpenRun)
#include "tst_open_run.moc"
