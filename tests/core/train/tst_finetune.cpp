// Fine-tuning from a stored run: weights copied by name and shape, the parent recorded, frozen
// stages left as they were, a new head when the classes change, gradual unfreezing, per-stage
// learning rates, LoRA (adapters only, merged exactly) and distillation; bad settings refused
// with the key named. The transfer task itself (frozen backbone vs scratch on 500 images)
// has its figures in bench/bench_finetune.sh.
#include "core/formats/safetensors.h"
#include "core/formats/state_dict.h"
#include "core/model/lora.h"
#include "core/model/zoo.h"
#include "core/track/run_store.h"
#include "core/train/finetune.h"
#include "core/train/run_job.h"
#include "core/train/weight_transfer.h"
#include "core/util/sha256.h"
#include "tests/python_models.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace lathe;
namespace fs = std::filesystem;

namespace {

// A small cnn on `classes`, 1 epoch of the first 1,200 training images.
train::RunConfig configForClasses(std::vector<std::int64_t> classes)
{
    auto config = testing::tinyConfig(0, 1, "cnn", {8, 16});
    config.data.classes = std::move(classes);
    config.data.trainLimit = 1200;
    config.data.subset = 0;
    config.histograms.every = 0;
    config.augment.enabled = false;
    return config;
}

std::map<std::string, torch::Tensor> weights(const fs::path &checkpoint, train::RunConfig config,
                                             std::int64_t classes)
{
    auto net = model::buildNet(config.model, {1, 28, 28}, classes);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    auto report = train::transferFromCheckpoint(checkpoint, *net, {});
    if (!report)
        qFatal("%s", report.error().toString().c_str());
    std::map<std::string, torch::Tensor> out;
    for (const auto &p : (*net)->named_parameters())
        out[p.key()] = p.value().clone();
    return out;
}

Result<std::unique_ptr<train::RunJob>> fineTune(const fs::path &db, train::RunConfig config,
                                                const std::string &name)
{
    return train::RunJob::createNew(config, {db, name, 0});
}

} // namespace

class TestFineTune : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_db;
    std::int64_t m_parent = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = fs::path(m_dir.path().toStdString()) / "finetune.db";
        m_parent = testing::trainRun(m_db, configForClasses({0, 1, 2, 3, 4}), "parent");
    }

    void aFrozenBackboneKeepsItsParentsWeights()
    {
        auto config = configForClasses({5, 6, 7, 8, 9});
        config.model.widths = {4}; // overridden: a fine-tune uses its parent's model
        config.finetune.run = "parent";
        config.finetune.freeze = {"backbone"};
        auto job = fineTune(m_db, config, "frozen");
        QVERIFY_OK(job);
        QVERIFY_OK((*job)->run());
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto child = (*store)->run((*job)->runId());
        QVERIFY_OK(child);
        QCOMPARE(child->parentId, std::optional<std::int64_t>(m_parent));
        auto stored = train::RunConfig::fromJson(nlohmann::json::parse(child->configJson));
        QVERIFY_OK(stored);
        QCOMPARE(stored->model.widths, (std::vector<std::int64_t>{8, 16}));
        // The "finetune" note says what was copied and frozen.
        auto events = (*store)->events(child->id);
        QVERIFY_OK(events);
        const auto note
            = std::ranges::find_if(*events, [](const auto &e) { return e.kind == "finetune"; });
        QVERIFY(note != events->end());
        const auto summary = nlohmann::json::parse(note->payloadJson);
        QCOMPARE(summary.at("copied").get<int>(), 14); // every tensor: same shapes, 5 classes
        QVERIFY(summary.at("trainable_parameters").get<int>()
                < summary.at("parameters").get<int>());
        // Training changed only the head.
        const auto dir = train::runDirectory(m_db, m_parent);
        const auto before = weights(dir / "best.pt", *stored, 5);
        const auto after = weights(train::runDirectory(m_db, child->id) / "last.pt", *stored, 5);
        for (const auto &[name, tensor] : before) {
            const bool same = torch::equal(tensor, after.at(name));
            QVERIFY2(same == (name.rfind("head.", 0) != 0), name.c_str());
        }
    }

    // The issue's transfer task, cut to seconds: pretrain on classes 0-4, then 500 labelled
    // images of classes 5-9 and one short budget (1 epoch, 15 steps). Figures at every budget
    // on the full-size task: bench/bench_finetune.sh.
    void aFrozenBackboneBeatsScratchOnFewImages()
    {
        auto pretrain = configForClasses({0, 1, 2, 3, 4});
        pretrain.model.widths = {16, 32};
        pretrain.data.trainLimit = 6000;
        testing::trainRun(m_db, pretrain, "pretrained");
        auto task = configForClasses({5, 6, 7, 8, 9});
        task.model.widths = {16, 32};
        task.data.trainLimit = 500;
        task.training.batchSize = 32;
        task.optimizer.lr = 0.01;
        auto accuracy = [&](train::RunConfig config, const std::string &name) {
            auto job = fineTune(m_db, config, name);
            if (!job || !(*job)->run())
                qFatal("%s did not train", name.c_str());
            auto eval = (*job)->trainer().evaluateTest();
            return eval ? eval->accuracy : 0.0;
        };
        const double scratch = accuracy(task, "scratch");
        task.finetune.run = "pretrained";
        task.finetune.freeze = {"backbone"};
        const double frozen = accuracy(task, "frozen-backbone");
        qInfo("500 images of classes 5-9, 1 epoch: scratch %.4f, frozen backbone %.4f", scratch,
              frozen);
        QVERIFY2(frozen > scratch + 0.01, qPrintable(QString("%1 vs %2").arg(frozen).arg(scratch)));
    }

    void aNewHeadWhenTheClassesChange()
    {
        auto config = configForClasses({});
        config.finetune.run = std::to_string(m_parent);
        auto data = train::loadTrainData(config.data);
        QVERIFY_OK(data);
        train::FineTuneSources sources;
        sources.checkpoint = train::runDirectory(m_db, m_parent) / "best.pt";
        auto prepared = train::prepareModel(config, sources, {1, 28, 28}, 10);
        QVERIFY_OK(prepared);
        QCOMPARE(prepared->summary.at("fresh"),
                 (nlohmann::json{"head.weight", "head.bias"})); // 5 -> 10 classes
    }

    void gradualUnfreezingAndStageLearningRates()
    {
        auto config = configForClasses({5, 6, 7, 8, 9});
        config.training.epochs = 2;
        config.finetune.run = "parent";
        config.finetune.freeze = {"backbone"};
        config.finetune.unfreezeAfter = 1;
        config.finetune.lrMultipliers = {{"conv1", 0.1}, {"head", 2.0}};
        auto job = fineTune(m_db, config, "unfreeze");
        QVERIFY_OK(job);
        QVERIFY_OK((*job)->run());
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto events = (*store)->events((*job)->runId());
        QVERIFY_OK(events);
        const auto unfrozen
            = std::ranges::find_if(*events, [](const auto &e) { return e.kind == "unfrozen"; });
        QVERIFY(unfrozen != events->end());
        const auto steps = (*job)->trainer().stepsPerEpoch();
        QCOMPARE(unfrozen->step, steps); // at the start of the second epoch
        // After unfreezing the backbone trained too.
        const auto before = weights(train::runDirectory(m_db, m_parent) / "best.pt", config, 5);
        const auto after
            = weights(train::runDirectory(m_db, (*job)->runId()) / "last.pt", config, 5);
        QVERIFY(!torch::equal(before.at("conv2.weight"), after.at("conv2.weight")));
    }

    void parameterGroupsFollowTheMultipliers()
    {
        auto net = model::buildNet({"mlp", {8}, 0.0}, {1, 4, 4}, 3);
        QVERIFY_OK(net);
        auto groups = train::parameterGroups(*net, {{"head", 3.0}});
        QVERIFY_OK(groups);
        QCOMPARE(groups->scales, (std::vector<double>{1.0, 3.0}));
        QCOMPARE(groups->params[1].size(), std::size_t(2)); // head.weight, head.bias
        QVERIFY(!train::parameterGroups(*net, {{"nope", 2.0}}));
    }

    void loraTrainsItsAdaptersAndMergesExactly()
    {
        torch::manual_seed(1);
        auto net = model::buildNet({"mlp", {32, 16}, 0.0}, {1, 8, 8}, 4);
        QVERIFY_OK(net);
        const auto total = (*net)->parameterCount();
        auto wrapped = model::applyLora(*net, 2, 4.0, 0.0, {});
        QVERIFY_OK(wrapped);
        QCOMPARE(*wrapped, (std::vector<std::string>{"fc1", "fc2", "head"}));
        for (const auto &p : (*net)->named_parameters())
            QCOMPARE(p.value().requires_grad(), p.key().find("lora_") != std::string::npos);
        // A trained adapter changes the output; the merged Linear computes exactly the same.
        torch::optim::SGD sgd((*net)->parameters(), 0.5);
        const torch::Tensor x = torch::randn({6, 1, 8, 8});
        for (int i = 0; i < 3; ++i) {
            sgd.zero_grad();
            torch::nn::functional::cross_entropy((*net)->forward(x),
                                                 torch::tensor({0, 1, 2, 3, 0, 1}))
                .backward();
            sgd.step();
        }
        (*net)->eval();
        const torch::Tensor adapted = (*net)->forward(x).detach();
        QCOMPARE(model::mergeLora(*net), std::int64_t(3));
        QCOMPARE((*net)->parameterCount(), total);
        QVERIFY(torch::allclose((*net)->forward(x), adapted, 1e-5, 1e-6));
        QVERIFY(!model::applyLora(*net, 2, 4.0, 0.0, {"relu1"}));
    }

    void distillationFollowsItsFormula()
    {
        auto teacherCheckpoint = train::runDirectory(m_db, m_parent) / "best.pt";
        auto parentConfig = configForClasses({0, 1, 2, 3, 4});
        auto distiller = train::Distiller::create(parentConfig.model, teacherCheckpoint,
                                                  {1, 28, 28}, 5, 2.0, 0.7);
        QVERIFY_OK(distiller);
        torch::manual_seed(2);
        const torch::Tensor x = torch::randn({4, 1, 28, 28});
        const torch::Tensor student = torch::randn({4, 5});
        const torch::Tensor y = torch::tensor({0, 1, 2, 3});
        auto teacher = model::buildNet(parentConfig.model, {1, 28, 28}, 5);
        QVERIFY_OK(teacher);
        QVERIFY_OK(train::transferFromCheckpoint(teacherCheckpoint, *teacher, {}));
        (*teacher)->eval();
        const torch::Tensor t = (*teacher)->forward(x).detach();
        // (1 - w) CE + w T^2 sum_j p_t log(p_t / p_s) / batch
        const torch::Tensor pt = torch::softmax(t / 2.0, 1);
        const torch::Tensor kl
            = (pt * (pt.log() - torch::log_softmax(student / 2.0, 1))).sum() / 4.0;
        const torch::Tensor expected
            = torch::nn::functional::cross_entropy(student, y) * 0.3 + kl * 4.0 * 0.7;
        QVERIFY(torch::allclose(distiller->loss(x, student, y, 0.0), expected, 1e-5, 1e-6));
        // A teacher of another class count does not fit.
        QVERIFY(!train::Distiller::create(parentConfig.model, teacherCheckpoint, {1, 28, 28}, 10,
                                          2.0, 0.7));
    }

    void aDistilledRunTrains()
    {
        auto config = configForClasses({0, 1, 2, 3, 4});
        config.model.widths = {4, 8}; // a smaller student
        config.finetune.distillRun = "parent";
        auto job = fineTune(m_db, config, "student");
        QVERIFY_OK(job);
        auto outcome = (*job)->run();
        QVERIFY_OK(outcome);
        auto eval = (*job)->trainer().evaluateTest();
        QVERIFY_OK(eval);
        QVERIFY(eval->accuracy > 0.5);
    }

    // A safetensors file of the parent's weights starts a run exactly where the parent ended;
    // a damaged one is refused before any run row exists.
    void aSafetensorsFileGivesTheInitialWeights()
    {
        auto parentConfig = configForClasses({0, 1, 2, 3, 4});
        const auto parentWeights
            = weights(train::runDirectory(m_db, m_parent) / "best.pt", parentConfig, 5);
        auto net = model::buildNet(parentConfig.model, {1, 28, 28}, 5);
        QVERIFY_OK(net);
        QVERIFY_OK(train::transferFromCheckpoint(train::runDirectory(m_db, m_parent) / "best.pt",
                                                 *net, {}));
        const fs::path file = fs::path(m_dir.path().toStdString()) / "parent.safetensors";
        QVERIFY_OK(formats::writeSafetensors(formats::stateDict(*net), {}, file));
        auto config = configForClasses({0, 1, 2, 3, 4});
        config.finetune.safetensors = file.string();
        train::FineTuneSources none;
        auto prepared = train::prepareModel(config, none, {1, 28, 28}, 5);
        QVERIFY_OK(prepared);
        for (const auto &p : prepared->net->named_parameters())
            QVERIFY2(torch::equal(p.value(), parentWeights.at(p.key())), p.key().c_str());
        // Cut the body short: the run is refused, naming the file.
        const auto size = fs::file_size(file);
        fs::resize_file(file, size - 100);
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        const auto before = (*store)->listRuns({})->size();
        auto job = fineTune(m_db, config, "from-broken-file");
        QVERIFY(!job);
        QVERIFY2(QString::fromStdString(job.error().toString()).contains("parent.safetensors"),
                 job.error().toString().c_str());
        QCOMPARE((*store)->listRuns({})->size(), before);
    }

    // A model scripted and saved by PyTorch (python3-torch) trains further in LibTorch: its own
    // weights move, its last Linear (7 outputs) is replaced by a new one for the 5 classes,
    // and one epoch learns more than chance.
    void aTorchScriptFileFromPyTorchTrainsFurther()
    {
        const auto file = m_dir.filePath("from_pytorch.pt");
        const testing::PythonModel small{
            "small",
            "m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),\n"
            "                  nn.Flatten(), nn.Linear(8 * 7 * 7, 7))"};
        const auto problem = testing::savePythonModel(small, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        auto config = configForClasses({0, 1, 2, 3, 4});
        config.finetune.torchscript = file.toStdString();
        auto job = fineTune(m_db, config, "from-pytorch");
        QVERIFY_OK(job);
        auto &net = (*job)->trainer().net();
        QCOMPARE(net->stageNames(), (std::vector<std::string>{"backbone"}));
        QCOMPARE(net->layerNames(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
        const torch::Tensor before = net->named_parameters()["backbone.0_weight"].clone();
        QVERIFY_OK((*job)->run());
        QVERIFY(!torch::equal(before, net->named_parameters()["backbone.0_weight"]));
        auto eval = (*job)->trainer().evaluateTest();
        QVERIFY_OK(eval);
        QVERIFY2(eval->accuracy > 0.3, qPrintable(QString::number(eval->accuracy))); // chance: 0.2
    }

    // torchvision's ResNet-18 fine-tuned by its own layer names: "layer1" freezes all of
    // layer1 and nothing else, "layer4" takes its own learning rate, LoRA adapts the layers
    // named and trains nothing else (a whole epoch), and the run is listed as the imported
    // model with its file's SHA-256 recorded.
    void importedModelsFineTuneByLayer()
    {
        const auto file = m_dir.filePath("resnet18.pt");
        const auto problem = testing::savePythonModel(testing::kResnet18, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        auto config = configForClasses({0, 1, 2, 3, 4});
        config.finetune.torchscript = file.toStdString();
        config.finetune.freeze = {"conv1", "bn1", "layer1"};
        config.finetune.lrMultipliers = {{"layer4", 0.1}, {"layer4.1", 0.5}};
        auto job = train::RunJob::createNew(config, {m_db, "resnet-by-layer", 4});
        QVERIFY_OK(job);
        auto &net = (*job)->trainer().net();
        for (const auto &[name, tensor] : net->layerParameters()) {
            const bool frozen = name.starts_with("conv1.") || name.starts_with("bn1.")
                                || name.starts_with("layer1.");
            QVERIFY2(tensor.requires_grad() == !frozen, name.c_str());
        }
        auto groups = train::parameterGroups(net, config.finetune.lrMultipliers);
        QVERIFY_OK(groups);
        std::map<double, std::size_t> counts;
        for (std::size_t i = 0; i < groups->scales.size(); ++i)
            counts[groups->scales[i]] = groups->params[i].size();
        QCOMPARE(counts[0.5], std::size_t(6)); // layer4.1: two convolutions, two batch norms
        QCOMPARE(counts[0.1], std::size_t(9)); // the rest of layer4, downsample included
        QVERIFY_OK((*job)->run());
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto summaries = (*store)->runSummaries();
        QVERIFY_OK(summaries);
        const auto row = std::find_if(summaries->begin(), summaries->end(), [](const auto &s) {
            return s.run.name == "resnet-by-layer";
        });
        QVERIFY(row != summaries->end());
        QCOMPARE(row->modelArch, std::string("ResNet (resnet18.pt)"));
        auto events = (*store)->events(row->run.id);
        QVERIFY_OK(events);
        const auto note = std::find_if(events->begin(), events->end(),
                                       [](const auto &e) { return e.kind == "finetune"; });
        QVERIFY(note != events->end());
        const auto imported = nlohmann::json::parse(note->payloadJson)["imported"];
        QCOMPARE(imported["sha256"].get<std::string>(), *util::sha256File(file.toStdString()));
        QCOMPARE(imported["class"].get<std::string>(), std::string("ResNet"));

        config.finetune.freeze.clear();
        config.finetune.lrMultipliers.clear();
        config.finetune.loraRank = 2;
        config.finetune.loraTargets = {"layer4.1", "fc"};
        // 1,140 training images in batches of 67 leave one: a batch of one cannot train
        // layer4's batch norms (1x1 maps), so it waits for the next epoch.
        config.training.batchSize = 67;
        auto lora = train::RunJob::createNew(config, {m_db, "resnet-lora", 0});
        QVERIFY_OK(lora);
        std::vector<std::string> trainable;
        for (const auto &[name, tensor] : (*lora)->trainer().net()->layerParameters())
            if (tensor.requires_grad())
                trainable.push_back(name);
        QCOMPARE(trainable,
                 (std::vector<std::string>{"layer4.1.conv1.lora_a", "layer4.1.conv1.lora_b",
                                           "layer4.1.conv2.lora_a", "layer4.1.conv2.lora_b",
                                           "fc.lora_a", "fc.lora_b"}));
        QCOMPARE((*lora)->trainer().stepsPerEpoch(), std::int64_t(17));
        QVERIFY_OK((*lora)->run());

        // Fine-tuning the imported run uses its model (the file) with its weights.
        auto child = configForClasses({0, 1, 2, 3, 4});
        child.finetune.run = "resnet-by-layer";
        child.finetune.freeze = {"backbone"};
        auto tuned = train::RunJob::createNew(child, {m_db, "resnet-child", 2});
        QVERIFY_OK(tuned);
        QCOMPARE((*tuned)->trainer().config().finetune.torchscript, file.toStdString());
        const auto &summary = (*tuned)->trainer().fineTuneSummary();
        QCOMPARE(summary["copied"].get<std::int64_t>(),
                 std::int64_t(122)); // 62 weights, 60 BN buffers
        std::vector<std::string> head;
        for (const auto &[name, tensor] : (*tuned)->trainer().net()->layerParameters())
            if (tensor.requires_grad())
                head.push_back(name);
        QCOMPARE(head, (std::vector<std::string>{"fc.weight", "fc.bias"}));
    }

    void badFineTunesAreRefused_data()
    {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown run") << R"({"run": "no-such-run"})"
                                     << "finetune.run"
                                     << "no-such-run";
        QTest::newRow("missing checkpoint")
            << R"({"run": "parent", "checkpoint": "epoch-99"})"
            << "finetune.run"
            << "has no checkpoint \"epoch-99\"; available: best, last";
        QTest::newRow("bad checkpoint name")
            << R"({"run": "parent", "checkpoint": "newest"})"
            << "finetune.run"
            << "\"newest\" is not a checkpoint name (best, last or epoch-<N>)";
        QTest::newRow("unknown stage") << R"({"run": "parent", "freeze": ["conv9"]})"
                                       << "finetune.freeze"
                                       << "no layer \"conv9\"";
        QTest::newRow("all frozen") << R"({"run": "parent", "freeze": ["backbone", "head"]})"
                                    << "finetune.freeze"
                                    << "every parameter is frozen";
        QTest::newRow("lora without linear target")
            << R"({"lora_rank": 2, "lora_targets": ["conv1"]})"
            << "finetune.lora_targets"
            << "not a Linear stage";
        QTest::newRow("teacher missing") << R"({"distill_run": "nobody"})"
                                         << "finetune.distill_run"
                                         << "nobody";
        QTest::newRow("not torchscript") << R"({"torchscript": "/etc/hostname"})"
                                         << "/etc/hostname"
                                         << "not a TorchScript module";
    }
    void badFineTunesAreRefused()
    {
        QFETCH(QString, patch);
        QFETCH(QString, context);
        QFETCH(QString, message);
        auto raw = configForClasses({5, 6, 7, 8, 9}).toJson();
        raw["finetune"] = nlohmann::json::parse(patch.toStdString());
        auto config = train::RunConfig::fromJson(raw);
        QVERIFY_OK(config);
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        const auto before = (*store)->listRuns({});
        QVERIFY_OK(before);
        auto job = fineTune(m_db, *config, "bad");
        QVERIFY(!job);
        QVERIFY2(QString::fromStdString(job.error().context).contains(context),
                 job.error().toString().c_str());
        QVERIFY2(QString::fromStdString(job.error().message).contains(message),
                 job.error().toString().c_str());
        const auto after = (*store)->listRuns({});
        QVERIFY_OK(after);
        QCOMPARE(after->size(), before->size()); // no run row was created
    }
};

LATHE_TEST_GUILESS_MAIN(TestFineTune)
#include "tst_finetune.moc"
