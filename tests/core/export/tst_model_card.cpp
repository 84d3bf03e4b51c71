#include "core/export/model_card.h"
#include "core/util/sha256.h"

#include "tests/qverify_ok.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <fstream>

using namespace lathe;
using namespace lathe::exporting;

namespace {

ModelCard sampleCard()
{
    ModelCard card;
    card.runId = 42;
    card.runName = "fashion-cnn-7";
    card.config
        = {{"model", {{"arch", "cnn"}, {"widths", {8, 16}}}}, {"training", {{"epochs", 2}}}};
    card.metrics = {{"test/accuracy", 0.8125}, {"test/loss", 0.52}};
    card.parentRunId = 7;
    card.parentRunName = "base-run";
    card.exportOptions = {"safetensors", "int8", 0.5};
    card.parity = {true, 3e-7, 1e-5, true, "python3 reloaded the file and ran 8 images"};
    card.createdAt = "2024-05-01T12:00:00Z";
    return card;
}

void writeText(const std::filesystem::path &path, const std::string &text)
{
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

bool cardMentions(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class TestModelCard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_folder = m_dir.path().toStdString();
        writeText(m_folder / "model.safetensors", std::string(1000, '\x07'));
        writeText(m_folder / "sub" / "config.json", "{\"a\": 1}\n");
        writeText(m_folder / "README.txt", "hello");
        writeText(m_folder / kModelCardMarkdownName, "stale card, never listed");
        auto files = writeModelCard(sampleCard(), m_folder);
        QVERIFY_OK(files);
        m_json = nlohmann::json::parse(testing::readFile(m_folder / kModelCardJsonName));
        m_markdown = testing::readFile(m_folder / kModelCardMarkdownName);
    }

    void jsonHasEveryField()
    {
        const auto &j = m_json;
        QCOMPARE(j["format"].get<std::string>(), std::string("lathe-model-card-1"));
        QCOMPARE(j["run"]["id"].get<int>(), 42);
        QCOMPARE(j["run"]["name"].get<std::string>(), std::string("fashion-cnn-7"));
        QCOMPARE(j["created"].get<std::string>(), std::string("2024-05-01T12:00:00Z"));
        QCOMPARE(j["config"], sampleCard().config);
        QCOMPARE(j["metrics"]["test/accuracy"].get<double>(), 0.8125);
        QCOMPARE(j["metrics"]["test/loss"].get<double>(), 0.52);
        QCOMPARE(j["lineage"]["parent_run_id"].get<int>(), 7);
        QCOMPARE(j["lineage"]["parent_run_name"].get<std::string>(), std::string("base-run"));
        QCOMPARE(j["export"]["format"].get<std::string>(), std::string("safetensors"));
        QCOMPARE(j["export"]["quantize"].get<std::string>(), std::string("int8"));
        QCOMPARE(j["export"]["prune"].get<double>(), 0.5);
        QCOMPARE(j["parity"]["checked"].get<bool>(), true);
        QCOMPARE(j["parity"]["max_abs_diff"].get<double>(), 3e-7);
        QCOMPARE(j["parity"]["tolerance"].get<double>(), 1e-5);
        QCOMPARE(j["parity"]["passed"].get<bool>(), true);
        QVERIFY(cardMentions(j["parity"]["detail"].get<std::string>(), "8 images"));
    }

    // Every other file of the folder, sorted, each with the SHA-256 core/util computes.
    void filesListedWithTheirSha256()
    {
        const auto &files = m_json["files"];
        QCOMPARE(files.size(), std::size_t(3));
        QStringList paths;
        for (const auto &f : files) {
            const auto path = f["path"].get<std::string>();
            paths << QString::fromStdString(path);
            auto digest = util::sha256File(m_folder / path);
            QVERIFY_OK(digest);
            QCOMPARE(f["sha256"].get<std::string>(), *digest);
            QCOMPARE(f["bytes"].get<std::uintmax_t>(), std::filesystem::file_size(m_folder / path));
            QVERIFY2(cardMentions(m_markdown, *digest), path.c_str());
        }
        QCOMPARE(paths, QStringList({"README.txt", "model.safetensors", "sub/config.json"}));
    }

    void markdownNamesRunFormatAndParity()
    {
        QVERIFY(m_markdown.starts_with("# Model card: fashion-cnn-7\n"));
        QVERIFY(cardMentions(m_markdown, "fashion-cnn-7 (id 42)"));
        QVERIFY(cardMentions(m_markdown, "base-run (id 7)"));
        QVERIFY(cardMentions(m_markdown, "| safetensors | int8 | 50% of weights zeroed |"));
        QVERIFY(cardMentions(m_markdown, "**Passed.**"));
        QVERIFY(cardMentions(m_markdown, "3e-07 (tolerance 1e-05)"));
        QVERIFY(cardMentions(m_markdown, "| test/accuracy | 0.8125 |"));
        QVERIFY(cardMentions(m_markdown, "`sub/config.json`"));
        QVERIFY(cardMentions(m_markdown, "\"arch\": \"cnn\""));
        QVERIFY(!cardMentions(m_markdown, "stale card"));
    }

    void noParentAndUncheckedParity()
    {
        auto card = sampleCard();
        card.parentRunId = 0;
        card.parentRunName.clear();
        card.parity = {false, 0, 0, false, "no python3 with torch on this machine"};
        card.runName = "a|b";
        const auto json = modelCardJson(card, {});
        QVERIFY(json["lineage"]["parent_run_id"].is_null());
        QCOMPARE(json["files"].size(), std::size_t(0));
        const auto md = modelCardMarkdown(card, {});
        QVERIFY(cardMentions(md, "none (trained from scratch)"));
        QVERIFY(cardMentions(md, "**Not checked.** no python3 with torch"));
        QVERIFY(cardMentions(md, "| a\\|b (id 42) |")); // a pipe would split the table cell
        card.parity = {true, 0.5, 1e-5, false, "outputs differ"};
        QVERIFY(cardMentions(modelCardMarkdown(card, {}), "**FAILED.**"));
    }

    // Where the run trained: a table in the Markdown and the recorded object in the JSON.
    void trainedOnEnvironment()
    {
        auto card = sampleCard();
        QVERIFY(cardMentions(modelCardMarkdown(card, {}), "## Trained on\n\nNot recorded"));
        QVERIFY(modelCardJson(card, {})["trained_on"].is_null());
        util::RunEnvironment env;
        env.latheVersion = "0.1.0";
        env.torchVersion = "1.13.1";
        env.torchBuild = {{"oneDNN", "2.6.3"}};
        env.cpu = {"AMD EPYC 9454", 2, {"avx2", "avx512_bf16"}};
        env.os = "Debian GNU/Linux 12 (bookworm)";
        env.dataFiles = {{"/d/train-images-idx3-ubyte.gz", 26421856, std::string(64, 'c'), 1}};
        card.trainedOn = env;
        const auto md = modelCardMarkdown(card, {});
        QVERIFY(cardMentions(md, "| CPU | AMD EPYC 9454, 2 logical cores |"));
        QVERIFY(cardMentions(md, "| LibTorch | 1.13.1 (oneDNN 2.6.3) |"));
        QVERIFY(cardMentions(md, "| CPU extensions | avx2 avx512_bf16 |"));
        QVERIFY(cardMentions(md, "| OS | Debian GNU/Linux 12 (bookworm) |"));
        QVERIFY(cardMentions(md, "/d/train-images-idx3-ubyte.gz (26421856 bytes sha256 "
                                     + std::string(64, 'c')));
        const auto json = modelCardJson(card, {});
        QCOMPARE(json["trained_on"], env.toJson());
        QVERIFY(*util::RunEnvironment::fromJson(json["trained_on"]) == env);
    }

    void missingFolderIsAnError()
    {
        const std::string folder = m_dir.path().toStdString() + "/absent";
        auto files = writeModelCard(sampleCard(), folder);
        QVERIFY(!files);
        QCOMPARE(files.error().code, ErrorCode::NotFound);
        QVERIFY(cardMentions(files.error().toString(), folder));
    }

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_folder;
    nlohmann::json m_json;
    std::string m_markdown;
};

LATHE_TEST_GUILESS_MAIN(TestModelCard)
#include "tst_model_card.moc"
