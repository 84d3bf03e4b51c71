#include "core/train/run_config.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <fstream>

using lathe::ErrorCode;
using lathe::train::applyOverride;
using lathe::train::loadRunConfig;
using lathe::train::RunConfig;
using nlohmann::json;

namespace {

json parse(const QString &text)
{
    return json::parse(text.toStdString());
}

/// True when every leaf of `part` is in `whole` with an equal value (numbers compare by value).
bool containsAll(const json &whole, const json &part)
{
    if (!part.is_object())
        return whole == part;
    if (!whole.is_object())
        return false;
    for (const auto &[key, value] : part.items()) {
        if (!whole.contains(key) || !containsAll(whole.at(key), value))
            return false;
    }
    return true;
}

std::string writeConfigFile(const QTemporaryDir &dir, const char *name, const std::string &text)
{
    const std::string path = (dir.path() + "/" + name).toStdString();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

} // namespace

class TestRunConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaultsRoundTrip()
    {
        const RunConfig defaults;
        const auto parsed = RunConfig::fromJson(defaults.toJson());
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().toString().c_str());
        QVERIFY(*parsed == defaults);
        QVERIFY(*RunConfig::fromJson(json::object()) == defaults);
    }

    void toJsonWritesEveryKey()
    {
        // The key lists documented in run_config.h, model_spec.h and this module's brief.
        const std::map<std::string, std::size_t> sizes{
            {"data", 8},      {"model", 3},   {"optimizer", 9}, {"schedule", 13},
            {"training", 13}, {"augment", 8}, {"histograms", 2}};
        const json written = RunConfig{}.toJson();
        QCOMPARE(written.size(), std::size_t(8));
        QVERIFY(written.at("name").is_string());
        for (const auto &[section, size] : sizes)
            QCOMPARE(written.at(section).size(), size);
    }

    void doublesRoundTripThroughText()
    {
        RunConfig config;
        config.optimizer.lr = 0.1 + 0.2; // 0.30000000000000004
        config.optimizer.eps = 1.0 / 3.0 * 1e-7;
        config.schedule.milestones = {1.0 / 3.0, 2.5, 7.000000000000001};
        config.schedule.minLr = 5e-324;
        config.training.seed = std::numeric_limits<std::uint64_t>::max();
        config.data.subset = std::numeric_limits<std::int64_t>::max();
        const auto parsed = RunConfig::fromJson(json::parse(config.toJson().dump(4)));
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().toString().c_str());
        QVERIFY(*parsed == config);
    }

    void extensionOptionsRoundTrip()
    {
        const json in = json::parse(R"({
            "data": {"options": {"label": "class", "test_fraction": 0.25}},
            "metrics": [{"name": "per-class-accuracy"}, {"name": "macro-f1"}],
            "augment": {"extra": [{"name": "affine", "rotate_deg": 15, "translate": 0.05}]}})");
        const auto config = RunConfig::fromJson(in);
        QVERIFY2(config.has_value(), config ? "" : config.error().toString().c_str());
        QCOMPARE(config->data.options.at("label"), std::string("class"));
        QCOMPARE(config->data.options.at("test_fraction"), std::string("0.25"));
        QCOMPARE(config->metrics.size(), std::size_t(2));
        QCOMPARE(config->metrics[1].name, std::string("macro-f1"));
        QCOMPARE(config->augment.extra.at(0).options.at("rotate_deg"), std::string("15"));
        const json out = config->toJson();
        // Numbers are written back as numbers, so the file reads as it was written.
        QCOMPARE(out.at("data").at("options"), in.at("data").at("options"));
        QCOMPARE(out.at("metrics"), in.at("metrics"));
        QCOMPARE(out.at("augment").at("extra"), in.at("augment").at("extra"));
        QVERIFY(*RunConfig::fromJson(out) == *config);
        QVERIFY(!RunConfig{}.toJson().contains("metrics")); // written only when there are any
    }

    void bundledConfigs_data()
    {
        QTest::addColumn<QString>("path");
        const QDir dir(QStringLiteral(LATHE_TEST_RESOURCES "/configs"));
        const auto files = dir.entryList({QStringLiteral("*.json")}, QDir::Files);
        QVERIFY(files.contains("fashion-cnn.json") && files.contains("fashion-mlp.json"));
        for (const auto &file : files)
            QTest::newRow(qPrintable(file)) << dir.filePath(file);
    }
    void bundledConfigs()
    {
        QFETCH(QString, path);
        const auto config = loadRunConfig(path.toStdString());
        QVERIFY2(config.has_value(), config ? "" : config.error().toString().c_str());
        const auto again = RunConfig::fromJson(json::parse(config->toJson().dump()));
        QVERIFY(again.has_value());
        QVERIFY(*again == *config);
        // A full document: the file holds every key, with the values the config has.
        std::ifstream in(path.toStdString());
        QCOMPARE(json::parse(in), config->toJson());
    }

    void goodValues_data()
    {
        QTest::addColumn<QString>("snippet");
        const char *rows[][2] = {
            {"name", R"({"name": "x"})"},
            {"val_fraction 0", R"({"data": {"val_fraction": 0}})"},
            {"val_fraction 0.5", R"({"data": {"val_fraction": 0.5}})"},
            {"subset 0", R"({"data": {"subset": 0}})"},
            {"subset large", R"({"data": {"subset": 1000000000000}})"},
            {"data strings", R"({"data": {"dataset": "fashion-mnist", "path": "/tmp"}})"},
            {"image folder", R"({"data": {"dataset": "image-folder", "options": {"width": 32}}})"},
            {"data options", R"({"data": {"options": {"label": "y", "n": 3, "flag": true}}})"},
            {"metrics", R"({"metrics": [{"name": "per-class-accuracy"}, {"name": "macro-f1"}]})"},
            {"augment extra", R"({"augment": {"extra": [{"name": "erase", "prob": 0.25}]}})"},
            {"plugin-free arch", R"({"model": {"arch": "resnet-mini"}})"},
            {"normalize", R"({"data": {"normalize": false}})"},
            {"sgd", R"({"optimizer": {"name": "sgd"}})"},
            {"adam", R"({"optimizer": {"name": "adam"}})"},
            {"rmsprop", R"({"optimizer": {"name": "rmsprop"}})"},
            {"lr tiny", R"({"optimizer": {"lr": 1e-12}})"},
            {"lr 10", R"({"optimizer": {"lr": 10}})"},
            {"weight_decay 0..1", R"({"optimizer": {"weight_decay": 1}})"},
            {"momentum 0", R"({"optimizer": {"momentum": 0}})"},
            {"momentum <1", R"({"optimizer": {"momentum": 0.999999}})"},
            {"nesterov", R"({"optimizer": {"name": "sgd", "nesterov": true, "momentum": 0.9}})"},
            {"betas 0", R"({"optimizer": {"beta1": 0, "beta2": 0}})"},
            {"betas <1", R"({"optimizer": {"beta1": 0.999999, "beta2": 0.999999}})"},
            {"eps edges", R"({"optimizer": {"eps": 1}})"},
            {"eps tiny", R"({"optimizer": {"eps": 1e-30}})"},
            {"alpha edges", R"({"optimizer": {"alpha": 1e-9}})"},
            {"alpha <1", R"({"optimizer": {"alpha": 0.999999}})"},
            {"step", R"({"schedule": {"type": "step", "step_epochs": 0.001}})"},
            {"step_epochs max", R"({"schedule": {"type": "step", "step_epochs": 10000}})"},
            {"multistep", R"({"schedule": {"type": "multistep", "milestones": [0.5, 10000]}})"},
            {"exponential", R"({"schedule": {"type": "exponential", "gamma": 1}})"},
            {"gamma tiny", R"({"schedule": {"gamma": 1e-9}})"},
            {"cosine", R"({"schedule": {"type": "cosine", "min_lr": 0.001}})"},
            {"min_lr == lr", R"({"schedule": {"type": "cosine", "min_lr": 0.5},
                                 "optimizer": {"lr": 0.5}})"},
            {"warmup-cosine", R"({"schedule": {"type": "warmup-cosine", "warmup_epochs": 0}})"},
            {"warmup max", R"({"schedule": {"warmup_epochs": 10000}})"},
            {"one-cycle low", R"({"schedule": {"type": "one-cycle", "pct_start": 0.01,
                                  "div_factor": 1, "final_div_factor": 1}})"},
            {"one-cycle high", R"({"schedule": {"type": "one-cycle", "pct_start": 0.99,
                                   "div_factor": 1e6, "final_div_factor": 1e9}})"},
            {"plateau low", R"({"schedule": {"type": "plateau", "plateau_factor": 0.01,
                                "plateau_patience": 0, "plateau_threshold": 0,
                                "plateau_cooldown": 0}})"},
            {"plateau high", R"({"schedule": {"type": "plateau", "plateau_factor": 0.99,
                                 "plateau_patience": 1000, "plateau_threshold": 0.999,
                                 "plateau_cooldown": 1000}})"},
            {"constant", R"({"schedule": {"type": "constant", "min_lr": 10}})"},
            {"training low", R"({"training": {"epochs": 1, "batch_size": 1,
                                 "label_smoothing": 0, "grad_clip": 0, "accumulate": 1,
                                 "early_stopping_patience": 0, "seed": 0, "threads": 0}})"},
            {"training high", R"({"training": {"epochs": 10000, "batch_size": 65536,
                                  "label_smoothing": 0.999, "grad_clip": 1e6,
                                  "accumulate": 1024, "early_stopping_patience": 1000,
                                  "seed": 18446744073709551615, "threads": 1024}})"},
            {"epochs as 20.0", R"({"training": {"epochs": 20.0}})"},
            {"bf16", R"({"training": {"mixed_precision": "bf16"}})"},
            {"fp16 on cuda", R"({"training": {"mixed_precision": "fp16", "device": "cuda"}})"},
            {"augment low", R"({"augment": {"enabled": true, "crop_padding": 0, "hflip": 0,
                                "rotate_deg": 0, "translate": 0, "erase_prob": 0,
                                "erase_max_area": 0.02}})"},
            {"augment high", R"({"augment": {"enabled": true, "crop_padding": 16, "hflip": 1,
                                 "rotate_deg": 180, "translate": 0.5, "erase_prob": 1,
                                 "erase_max_area": 1}})"},
            {"model mlp", R"({"model": {"arch": "mlp", "widths": [1, 4096], "dropout": 0}})"},
            {"privacy target", R"({"privacy": {"enabled": true, "target_epsilon": 3, "delta": 1e-5,
                                   "max_grad_norm": 0.1, "physical_batch_size": 512,
                                   "orders": [1.5, 2, 32]}})"},
            {"privacy noise", R"({"privacy": {"enabled": true, "noise_multiplier": 1.1}})"},
        };
        for (const auto &[name, snippet] : rows)
            QTest::newRow(name) << QString::fromUtf8(snippet);
    }
    void goodValues()
    {
        QFETCH(QString, snippet);
        const json input = parse(snippet);
        const auto config = RunConfig::fromJson(input);
        QVERIFY2(config.has_value(), config ? "" : config.error().toString().c_str());
        QVERIFY(containsAll(config->toJson(), input));
        QVERIFY(*RunConfig::fromJson(config->toJson()) == *config);
    }

    void badValues_data()
    {
        QTest::addColumn<QString>("snippet");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("phrase");
        const char *rows[][4] = {
            // structure and unknown keys, at every level
            {"root array", "[1]", "", "must be a JSON object"},
            {"top unknown", R"({"foo": 1})", "foo",
             "valid top-level keys are: name, data, model, optimizer, schedule, training, augment"},
            {"top typo", R"({"optimiser": {}})", "optimiser", "did you mean \"optimizer\"?"},
            {"optimizer unknown", R"({"optimizer": {"lrr": 0.1}})", "optimizer.lrr",
             "unknown key \"lrr\"; valid keys in optimizer are: name, lr, weight_decay, "
             "momentum, nesterov, beta1, beta2, eps, alpha; did you mean \"lr\"?"},
            {"data unknown", R"({"data": {"vall_fraction": 0.1}})", "data.vall_fraction",
             "valid keys in data are: dataset, path, options, classes, train_limit, val_fraction, "
             "subset, normalize"},
            {"unknown dataset", R"({"data": {"dataset": "csv"}})", "data.dataset",
             "value \"csv\" is not one of: fashion-mnist, idx, image-folder"},
            {"nested option", R"({"data": {"options": {"label": [1]}}})", "data.options.label",
             "expected a string, a number or a boolean"},
            {"metrics not list", R"({"metrics": {"name": "macro-f1"}})", "metrics",
             "expected a list of {\"name\": ..., option: value} objects"},
            {"metric without name", R"({"metrics": [{"column": "x"}]})", "metrics[0]",
             "expected an object with a \"name\""},
            {"unknown metric", R"({"metrics": [{"name": "macro-f2"}]})", "metrics[0].name",
             "did you mean \"macro-f1\"?"},
            {"unknown augmentation", R"({"augment": {"extra": [{"name": "zoom"}]}})",
             "augment.extra[0].name", "is not one of: crop, hflip, affine, erase"},
            {"schedule typo", R"({"schedule": {"gama": 0.1}})", "schedule.gama",
             "did you mean \"gamma\"?"},
            {"training typo", R"({"training": {"batchsize": 1}})", "training.batchsize",
             "did you mean \"batch_size\"?"},
            {"augment typo", R"({"augment": {"flip": 0.5}})", "augment.flip",
             "did you mean \"hflip\"?"},
            {"augment unknown", R"({"augment": {"zoom": 0.5}})", "augment.zoom",
             "enabled, crop_padding, hflip, rotate_deg, translate, erase_prob, erase_max_area"},
            {"model unknown", R"({"model": {"depth": 3}})", "model.depth", "arch, widths, dropout"},
            {"model not object", R"({"model": "cnn"})", "model", "expected an object"},
            {"section not object", R"({"optimizer": 3})", "optimizer", "expected an object"},
            // wrong types
            {"lr string", R"({"optimizer": {"lr": "fast"}})", "optimizer.lr",
             "value \"fast\" has the wrong type (string); expected a number in (0, 10]"},
            {"epochs string", R"({"training": {"epochs": "10"}})", "training.epochs",
             "expected an integer in [1, 10000]"},
            {"epochs fraction", R"({"training": {"epochs": 2.5}})", "training.epochs",
             "not a whole number"},
            {"nesterov int", R"({"optimizer": {"nesterov": 1}})", "optimizer.nesterov",
             "true or false"},
            {"normalize string", R"({"data": {"normalize": "yes"}})", "data.normalize",
             "true or false"},
            {"name number", R"({"name": 5})", "name", "wrong type"},
            {"name empty", R"({"name": ""})", "name", "non-empty string"},
            {"milestones number", R"({"schedule": {"milestones": 5}})", "schedule.milestones",
             "list of ascending numbers"},
            {"seed negative", R"({"training": {"seed": -1}})", "training.seed", "out of range"},
            {"seed fraction", R"({"training": {"seed": 1.5}})", "training.seed",
             "not a whole number"},
            {"widths zero", R"({"model": {"widths": [0]}})", "model.widths", "[1, 4096]"},
            {"dropout 1", R"({"model": {"dropout": 1}})", "model.dropout", "[0, 1)"},
            // out of range, every numeric key
            {"lr negative", R"({"optimizer": {"lr": -0.1}})", "optimizer.lr",
             "value -0.1 is out of range; expected a number in (0, 10]"},
            {"lr 0", R"({"optimizer": {"lr": 0}})", "optimizer.lr", "(0, 10]"},
            {"lr big", R"({"optimizer": {"lr": 10.5}})", "optimizer.lr", "(0, 10]"},
            {"weight_decay", R"({"optimizer": {"weight_decay": 1.5}})", "optimizer.weight_decay",
             "[0, 1]"},
            {"momentum 1", R"({"optimizer": {"momentum": 1}})", "optimizer.momentum", "[0, 1)"},
            {"beta1 1", R"({"optimizer": {"beta1": 1}})", "optimizer.beta1", "[0, 1)"},
            {"beta2 neg", R"({"optimizer": {"beta2": -0.1}})", "optimizer.beta2", "[0, 1)"},
            {"eps 0", R"({"optimizer": {"eps": 0}})", "optimizer.eps", "(0, 1]"},
            {"alpha 1", R"({"optimizer": {"alpha": 1}})", "optimizer.alpha", "(0, 1)"},
            {"val_fraction", R"({"data": {"val_fraction": 0.6}})", "data.val_fraction", "[0, 0.5]"},
            {"subset", R"({"data": {"subset": -1}})", "data.subset", "an integer >= 0"},
            {"epochs 0", R"({"training": {"epochs": 0}})", "training.epochs", "[1, 10000]"},
            {"epochs big", R"({"training": {"epochs": 10001}})", "training.epochs", "[1, 10000]"},
            {"batch 0", R"({"training": {"batch_size": 0}})", "training.batch_size", "[1, 65536]"},
            {"batch big", R"({"training": {"batch_size": 65537}})", "training.batch_size",
             "[1, 65536]"},
            {"label_smoothing", R"({"training": {"label_smoothing": 1}})",
             "training.label_smoothing", "[0, 1)"},
            {"grad_clip", R"({"training": {"grad_clip": 2e6}})", "training.grad_clip", "[0, 1e6]"},
            {"accumulate", R"({"training": {"accumulate": 1025}})", "training.accumulate",
             "[1, 1024]"},
            {"early_stopping", R"({"training": {"early_stopping_patience": -1}})",
             "training.early_stopping_patience", "[0, 1000]"},
            {"threads", R"({"training": {"threads": 1025}})", "training.threads", "[0, 1024]"},
            {"step_epochs", R"({"schedule": {"step_epochs": 0}})", "schedule.step_epochs",
             "(0, 10000]"},
            {"milestone 0", R"({"schedule": {"milestones": [0]}})", "schedule.milestones",
             "element 0: value 0 is out of range"},
            {"milestones order", R"({"schedule": {"milestones": [5, 3]}})", "schedule.milestones",
             "strictly ascending, but 3 follows 5"},
            {"milestones repeat", R"({"schedule": {"milestones": [5, 5]}})", "schedule.milestones",
             "strictly ascending"},
            {"gamma 0", R"({"schedule": {"gamma": 0}})", "schedule.gamma", "(0, 1]"},
            {"gamma big", R"({"schedule": {"gamma": 1.5}})", "schedule.gamma", "(0, 1]"},
            {"warmup", R"({"schedule": {"warmup_epochs": -1}})", "schedule.warmup_epochs",
             "[0, 10000]"},
            {"min_lr", R"({"schedule": {"min_lr": -1}})", "schedule.min_lr", "[0, 10]"},
            {"pct_start 0", R"({"schedule": {"pct_start": 0}})", "schedule.pct_start", "(0, 1)"},
            {"pct_start 1", R"({"schedule": {"pct_start": 1}})", "schedule.pct_start", "(0, 1)"},
            {"div_factor", R"({"schedule": {"div_factor": 0.5}})", "schedule.div_factor",
             "[1, 1e6]"},
            {"final_div_factor", R"({"schedule": {"final_div_factor": 0.5}})",
             "schedule.final_div_factor", "[1, 1e9]"},
            {"plateau_factor", R"({"schedule": {"plateau_factor": 1}})", "schedule.plateau_factor",
             "(0, 1)"},
            {"plateau_patience", R"({"schedule": {"plateau_patience": -1}})",
             "schedule.plateau_patience", "[0, 1000]"},
            {"plateau_threshold", R"({"schedule": {"plateau_threshold": 1}})",
             "schedule.plateau_threshold", "[0, 1)"},
            {"plateau_cooldown", R"({"schedule": {"plateau_cooldown": 1001}})",
             "schedule.plateau_cooldown", "[0, 1000]"},
            {"crop_padding", R"({"augment": {"crop_padding": 17}})", "augment.crop_padding",
             "[0, 16]"},
            {"hflip", R"({"augment": {"hflip": 1.5}})", "augment.hflip", "[0, 1]"},
            {"rotate_deg", R"({"augment": {"rotate_deg": 181}})", "augment.rotate_deg", "[0, 180]"},
            {"translate", R"({"augment": {"translate": 0.6}})", "augment.translate", "[0, 0.5]"},
            {"erase_prob", R"({"augment": {"erase_prob": -0.1}})", "augment.erase_prob", "[0, 1]"},
            {"erase_max_area", R"({"augment": {"erase_max_area": 0.01}})", "augment.erase_max_area",
             "[0.02, 1]"},
            // enums
            {"optimizer name", R"({"optimizer": {"name": "adamx"}})", "optimizer.name",
             "value \"adamx\" is not one of: sgd, adam, adamw, rmsprop; did you mean \"adam\"?"},
            {"schedule type", R"({"schedule": {"type": "cosin"}})", "schedule.type",
             "did you mean \"cosine\"?"},
            {"mixed_precision", R"({"training": {"mixed_precision": "fp32"}})",
             "training.mixed_precision", "one of: auto, off, bf16, fp16"},
            {"device", R"({"training": {"device": "gpu"}})", "training.device",
             "one of: cpu, cuda"},
            {"dataset", R"({"data": {"dataset": "mnist"}})", "data.dataset",
             "one of: fashion-mnist"},
            {"arch", R"({"model": {"arch": "transformer"}})", "model.arch", "not one of"},
            // rules across keys
            {"fp16 on cpu", R"({"training": {"mixed_precision": "fp16"}})",
             "training.mixed_precision", "fp16 autocast needs CUDA; use bf16 on CPU"},
            {"multistep bare", R"({"schedule": {"type": "multistep"}})", "schedule.milestones",
             "needs milestones"},
            {"nesterov no momentum",
             R"({"optimizer": {"name": "sgd", "nesterov": true, "momentum": 0}})",
             "optimizer.nesterov", "nesterov needs momentum > 0"},
            {"min_lr above lr", R"({"schedule": {"type": "cosine", "min_lr": 0.1}})",
             "schedule.min_lr", "above optimizer.lr"},
            // privacy (DP-SGD)
            {"privacy negative noise", R"({"privacy": {"enabled": true, "noise_multiplier": -1}})",
             "privacy.noise_multiplier", "(0, 1000]"},
            {"privacy epsilon 0", R"({"privacy": {"enabled": true, "target_epsilon": 0}})",
             "privacy.target_epsilon", "(0, 1000]"},
            {"privacy negative epsilon", R"({"privacy": {"target_epsilon": -3}})",
             "privacy.target_epsilon", "(0, 1000]"},
            {"privacy noise and epsilon",
             R"({"privacy": {"enabled": true, "noise_multiplier": 1, "target_epsilon": 3}})",
             "privacy.target_epsilon", "not both"},
            {"privacy no noise", R"({"privacy": {"enabled": true}})", "privacy", "without noise"},
            {"privacy delta 1",
             R"({"privacy": {"enabled": true, "noise_multiplier": 1, "delta": 1}})",
             "privacy.delta", "(0, 1)"},
            {"privacy delta 0", R"({"privacy": {"delta": 0}})", "privacy.delta", "(0, 1)"},
            {"privacy max_grad_norm 0", R"({"privacy": {"max_grad_norm": 0}})",
             "privacy.max_grad_norm", "(0, 1e6]"},
            {"privacy physical batch", R"({"privacy": {"physical_batch_size": -1}})",
             "privacy.physical_batch_size", "[0, 65536]"},
            {"privacy order 1", R"({"privacy": {"orders": [1, 2]}})", "privacy.orders",
             "out of range"},
            {"privacy accumulate",
             R"({"privacy": {"enabled": true, "noise_multiplier": 1}, "training": {"accumulate": 2}})",
             "training.accumulate", "physical_batch_size"},
            {"privacy grad_clip",
             R"({"privacy": {"enabled": true, "noise_multiplier": 1}, "training": {"grad_clip": 1}})",
             "training.grad_clip", "max_grad_norm"},
            {"privacy unknown key", R"({"privacy": {"epsilon": 3}})", "privacy.epsilon",
             "target_epsilon"},
        };
        for (const auto &[name, snippet, context, phrase] : rows)
            QTest::newRow(name) << QString::fromUtf8(snippet) << QString::fromUtf8(context)
                                << QString::fromUtf8(phrase);
    }
    void badValues()
    {
        QFETCH(QString, snippet);
        QFETCH(QString, context);
        QFETCH(QString, phrase);
        const auto config = RunConfig::fromJson(parse(snippet));
        QVERIFY(!config.has_value());
        const auto &error = config.error();
        QCOMPARE(error.code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(error.context), context);
        QVERIFY2(QString::fromStdString(error.message).contains(phrase), error.message.c_str());
    }

    void overrides_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("after");
        QTest::newRow("number") << "{}"
                                << "optimizer.lr=0.01"
                                << R"({"optimizer":{"lr":0.01}})";
        QTest::newRow("integer") << "{}"
                                 << "training.epochs=20"
                                 << R"({"training":{"epochs":20}})";
        QTest::newRow("bool") << "{}"
                              << "optimizer.nesterov=true"
                              << R"({"optimizer":{"nesterov":true}})";
        QTest::newRow("bare string") << "{}"
                                     << "optimizer.name=sgd"
                                     << R"({"optimizer":{"name":"sgd"}})";
        QTest::newRow("quoted string") << "{}"
                                       << R"(name="42")"
                                       << R"({"name":"42"})";
        QTest::newRow("string with spaces") << "{}"
                                            << "name=my run"
                                            << R"({"name":"my run"})";
        QTest::newRow("empty string") << "{}"
                                      << "name="
                                      << R"({"name":""})";
        QTest::newRow("array") << "{}"
                               << "model.widths=[32,64]"
                               << R"({"model":{"widths":[32,64]}})";
        QTest::newRow("keeps siblings") << R"({"optimizer":{"lr":1}})"
                                        << "optimizer.name=adam"
                                        << R"({"optimizer":{"lr":1,"name":"adam"}})";
        QTest::newRow("replaces") << R"({"training":{"epochs":5}})"
                                  << "training.epochs=7"
                                  << R"({"training":{"epochs":7}})";
        QTest::newRow("nested creation") << "{}"
                                         << "a.b.c=1"
                                         << R"({"a":{"b":{"c":1}}})";
        QTest::newRow("null root") << "null"
                                   << "name=x"
                                   << R"({"name":"x"})";
    }
    void overrides()
    {
        QFETCH(QString, before);
        QFETCH(QString, assignment);
        QFETCH(QString, after);
        json config = parse(before);
        const auto ok = applyOverride(config, assignment.toStdString());
        QVERIFY2(ok.has_value(), ok ? "" : ok.error().toString().c_str());
        QCOMPARE(config, parse(after));
    }

    void badOverrides_data()
    {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("no equals") << "noequals"
                                   << "key=value";
        QTest::newRow("no key") << "=5"
                                << "dotted key";
        QTest::newRow("empty segment") << "a..b=1"
                                       << "dotted key";
        QTest::newRow("trailing dot") << "optimizer.=1"
                                      << "dotted key";
        QTest::newRow("through a number") << "optimizer.lr.x=1"
                                          << "optimizer.lr is 1, not an object";
    }
    void badOverrides()
    {
        QFETCH(QString, assignment);
        QFETCH(QString, phrase);
        const json before = {{"optimizer", {{"lr", 1}}}};
        json config = before;
        const auto ok = applyOverride(config, assignment.toStdString());
        QVERIFY(!ok.has_value());
        QCOMPARE(ok.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(ok.error().context), assignment);
        QVERIFY2(QString::fromStdString(ok.error().message).contains(phrase),
                 ok.error().message.c_str());
        QCOMPARE(config, before);
    }

    void overrideThenValidate()
    {
        json config = RunConfig{}.toJson();
        QVERIFY(applyOverride(config, "optimizer.lr=-1").has_value());
        const auto parsed = RunConfig::fromJson(config);
        QVERIFY(!parsed.has_value());
        QCOMPARE(parsed.error().context, std::string("optimizer.lr"));
        QVERIFY(applyOverride(config, "optimizer.lr=0.05").has_value());
        QVERIFY(applyOverride(config, "schedule.type=cosine").has_value());
        QCOMPARE(RunConfig::fromJson(config)->optimizer.lr, 0.05);
        QCOMPARE(RunConfig::fromJson(config)->schedule.type, std::string("cosine"));
    }

    void missingFileIsIoError()
    {
        const auto config = loadRunConfig("/nonexistent/lathe/run.json");
        QVERIFY(!config.has_value());
        QCOMPARE(config.error().code, ErrorCode::Io);
        QVERIFY(config.error().context.find("/nonexistent/lathe/run.json") != std::string::npos);
    }

    void syntaxError_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("position");
        QTest::newRow("missing value") << "{\n  \"name\": \"x\",\n  \"data\": ,\n}"
                                       << "line 3, column 11";
        QTest::newRow("first char") << "nope"
                                    << "line 1, column 2";
        QTest::newRow("truncated") << "{\n  \"name\": \"x\",\n"
                                   << "line 3, column 1";
        QTest::newRow("empty") << ""
                               << "line 1, column 1";
    }
    void syntaxError()
    {
        QFETCH(QString, text);
        QFETCH(QString, position);
        QTemporaryDir dir;
        const std::string path = writeConfigFile(dir, "bad.json", text.toStdString());
        const auto config = loadRunConfig(path);
        QVERIFY(!config.has_value());
        QCOMPARE(config.error().code, ErrorCode::BadInput);
        QCOMPARE(QString::fromStdString(config.error().context),
                 QString::fromStdString(path) + ": " + position);
        QVERIFY(config.error().message.starts_with("invalid JSON: syntax error"));
    }

    void fileValidationErrorNamesFileAndKey()
    {
        QTemporaryDir dir;
        const std::string path = writeConfigFile(dir, "run.json", R"({"optimizer": {"lr": 20}})");
        const auto config = loadRunConfig(path);
        QVERIFY(!config.has_value());
        QCOMPARE(config.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(config.error().context, path + ": optimizer.lr");
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunConfig)
#include "tst_run_config.moc"
