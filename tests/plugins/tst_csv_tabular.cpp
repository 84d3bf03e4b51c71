// The csv-tabular sample plugin, loaded for real: its "csv" reader reads scikit-learn's wine
// table (178 rows, 13 features, 3 classes) and headed CSVs with text labels, splits off a
// seeded per-class test set, and reports bad input with the file, line and column; its
// "tabular-mlp" model has its stages and checks model.widths; and the bundled wine config
// trains to >= 90% validation accuracy with the fairness metric recorded.
#include "core/data/dataset.h"
#include "core/model/net.h"
#include "core/plugin/loader.h"
#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace lathe;

namespace {

const std::string kWineFile = "/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv";
const std::vector<std::string> kWineFeatures{
    "alcohol",         "malic_acid",      "ash",        "alcalinity_of_ash",
    "magnesium",       "total_phenols",   "flavanoids", "nonflavanoid_phenols",
    "proanthocyanins", "color_intensity", "hue",        "od280/od315_of_diluted_wines",
    "proline"};

sdk::Options wineOptions()
{
    std::string columns;
    for (const auto &name : kWineFeatures)
        columns += name + ",";
    return {{"header", "sklearn"}, {"columns", columns + "class"}};
}

Result<sdk::DatasetSplits> readCsv(const std::string &path, const sdk::Options &options)
{
    const auto reader = plugin::registry().dataset("csv");
    if (!reader)
        return fail(ErrorCode::NotFound, "the csv reader is not registered");
    return reader->read({path, options});
}

/// "a=1;b=2" as options (a value may hold commas, not semicolons).
sdk::Options parseOptions(const QString &text)
{
    sdk::Options options;
    for (const auto &pair : text.split(';', Qt::SkipEmptyParts)) {
        const auto at = pair.indexOf('=');
        options[pair.left(at).toStdString()] = pair.mid(at + 1).toStdString();
    }
    return options;
}

std::vector<std::int64_t> classCounts(const data::Dataset &dataset)
{
    const auto counts
        = torch::bincount(dataset.labels(), {}, std::int64_t(dataset.classNames().size()));
    return {counts.data_ptr<std::int64_t>(), counts.data_ptr<std::int64_t>() + counts.numel()};
}

} // namespace

class TestCsvTabular : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string writeFile(const QString &name, const QString &content)
    {
        const auto path = m_dir.filePath(name).toStdString();
        std::ofstream(path, std::ios::binary) << content.toStdString();
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const char *file :
             {LATHE_TEST_PLUGIN_DIR "/csv-tabular.so", LATHE_TEST_PLUGIN_DIR "/fairness.so"}) {
            const auto record = plugin::loadPlugin(file);
            QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        }
        QCOMPARE(plugin::registry().source(plugin::Kind::Dataset, "csv"),
                 std::string("csv-tabular"));
        QCOMPARE(plugin::registry().source(plugin::Kind::Model, "tabular-mlp"),
                 std::string("csv-tabular"));
    }

    void readsTheWineTable()
    {
        const auto splits = readCsv(kWineFile, wineOptions());
        QVERIFY_OK(splits);
        QVERIFY(!splits->test); // no test_fraction: no test set
        const auto &wine = *splits->train;
        QCOMPARE(wine.size(), std::int64_t(178));
        QCOMPARE(wine.sampleShape(), (std::vector<std::int64_t>{13, 1, 1}));
        QCOMPARE(wine.classNames(), (std::vector<std::string>{"class_0", "class_1", "class_2"}));
        QCOMPARE(classCounts(wine), (std::vector<std::int64_t>{59, 71, 48}));
        QCOMPARE(wine.attributeNames(), kWineFeatures);
        // Raw values, as the file has them: the first row and the last.
        const auto first = wine.images(torch::tensor({0, 177}, torch::kInt64));
        QCOMPARE(first.sizes().vec(), (std::vector<std::int64_t>{2, 13, 1, 1}));
        QCOMPARE(first.scalar_type(), torch::kFloat32);
        QCOMPARE(first[0][0][0][0].item<float>(), 14.23f);
        QCOMPARE(first[0][12][0][0].item<float>(), 1065.0f);
        QCOMPARE(first[1][0][0][0].item<float>(), 14.13f);
        const auto alcohol = wine.attribute("alcohol");
        QCOMPARE(alcohol.scalar_type(), torch::kFloat64);
        QCOMPARE(alcohol.numel(), std::int64_t(178));
        QCOMPARE(alcohol[0].item<double>(), 14.23);
        QCOMPARE(wine.attribute("proline")[177].item<double>(), 560.0);
        QVERIFY(!wine.attribute("class").defined()); // the label is no attribute
        QCOMPARE(wine.labels()[0].item<std::int64_t>(), std::int64_t(0));
        QCOMPARE(wine.labels()[177].item<std::int64_t>(), std::int64_t(2));
    }

    void readsAHeadedFileWithTextLabels()
    {
        // The label in the middle, text and numeric-looking labels, quotes, CRLF, a blank line,
        // and ';' as the delimiter.
        const auto path = writeFile("flowers.csv", "width; species ;\"len\"\r\n"
                                                   "1.5;setosa;2\r\n"
                                                   "\r\n"
                                                   "2.5;\"virginica\";-3e2\r\n"
                                                   "+3;setosa;4\r\n");
        const auto splits = readCsv(path, {{"label", "species"}, {"delimiter", ";"}});
        QVERIFY_OK(splits);
        const auto &flowers = *splits->train;
        QCOMPARE(flowers.size(), std::int64_t(3));
        QCOMPARE(flowers.classNames(), (std::vector<std::string>{"setosa", "virginica"}));
        QCOMPARE(flowers.attributeNames(), (std::vector<std::string>{"width", "len"}));
        QVERIFY(torch::equal(flowers.labels(), torch::tensor({0, 1, 0}, torch::kInt64)));
        QVERIFY(torch::equal(flowers.attribute("len"),
                             torch::tensor({2.0, -300.0, 4.0}, torch::kFloat64)));
        // Numeric labels sort as numbers; the default label is the last column.
        const auto numbers = writeFile("numbers.csv", "x,grade\n1,10\n2,2\n3,10\n4,9\n");
        const auto graded = readCsv(numbers, {});
        QVERIFY_OK(graded);
        QCOMPARE(graded->train->classNames(), (std::vector<std::string>{"2", "9", "10"}));
        QVERIFY(torch::equal(graded->train->labels(), torch::tensor({2, 0, 2, 1}, torch::kInt64)));
    }

    void splitsOffASeededPerClassTestSet()
    {
        auto options = wineOptions();
        options["test_fraction"] = "0.25";
        options["seed"] = "7";
        const auto splits = readCsv(kWineFile, options);
        QVERIFY_OK(splits);
        QVERIFY(splits->test);
        // round(0.25 * count) of each class: 15 of 59, 18 of 71, 12 of 48.
        QCOMPARE(classCounts(*splits->test), (std::vector<std::int64_t>{15, 18, 12}));
        QCOMPARE(classCounts(*splits->train), (std::vector<std::int64_t>{44, 53, 36}));
        // Every row lands on exactly one side.
        const auto whole = readCsv(kWineFile, wineOptions());
        QVERIFY_OK(whole);
        for (const auto &column : kWineFeatures) {
            const double sum = whole->train->attribute(column).sum().item<double>();
            const double parts = splits->train->attribute(column).sum().item<double>()
                                 + splits->test->attribute(column).sum().item<double>();
            QVERIFY(std::abs(sum - parts) <= 1e-9 * std::abs(sum));
        }
        // The same seed splits alike; another seed differently.
        const auto again = readCsv(kWineFile, options);
        QVERIFY_OK(again);
        QVERIFY(
            torch::equal(again->test->attribute("proline"), splits->test->attribute("proline")));
        options["seed"] = "8";
        const auto other = readCsv(kWineFile, options);
        QVERIFY_OK(other);
        QVERIFY(
            !torch::equal(other->test->attribute("proline"), splits->test->attribute("proline")));
    }

    void badInputIsReportedWithFileLineAndColumn_data()
    {
        QTest::addColumn<QString>("content"); // "<none>": no file; "<folder>": a folder
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty cell") << "a,b,label\n1,2,x\n3,,y\n"
                                    << ""
                                    << "line 3, column \"b\": missing value (empty)";
        QTest::newRow("NA") << "a,b,label\n1,NA,x\n"
                            << ""
                            << "line 2, column \"b\": missing value \"NA\"";
        QTest::newRow("question mark") << "a,b,label\n\n1,2,x\n?,2,x\n"
                                       << ""
                                       << "line 4, column \"a\": missing value \"?\"";
        QTest::newRow("nan") << "a,b,label\n1,nan,x\n"
                             << ""
                             << "line 2, column \"b\": missing value \"nan\"";
        QTest::newRow("missing label") << "a,b,label\n1,2,\n"
                                       << ""
                                       << "line 2, column \"label\": missing value (empty)";
        QTest::newRow("not a number") << "a,b,label\n1,2,x\n3,abc,y\n"
                                      << ""
                                      << "line 3, column \"b\": \"abc\" is not a number";
        QTest::newRow("too few fields") << "a,b,label\n1,2,x\n3,4\n"
                                        << ""
                                        << "line 3 has 2 fields; expected 3, one per column";
        QTest::newRow("too many fields") << "a,b,label\n1,2,x,9\n"
                                         << ""
                                         << "line 2 has 4 fields; expected 3";
        QTest::newRow("no label column")
            << "a,b,label\n1,2,x\n"
            << "label=species"
            << "the label column \"species\" is not in the file; its columns are: a, b, label";
        QTest::newRow("unterminated quote") << "a,label\n\"1,x\n"
                                            << ""
                                            << "line 2: a quoted field never ends";
        QTest::newRow("empty file") << ""
                                    << ""
                                    << "the file is empty";
        QTest::newRow("blank lines only") << "\n  \n\r\n"
                                          << ""
                                          << "the file is empty";
        QTest::newRow("header only") << "a,b,label\n"
                                     << ""
                                     << "has a header but no data rows";
        QTest::newRow("no feature column") << "label\nx\n"
                                           << ""
                                           << "needs a feature column and a label column";
        QTest::newRow("unreadable path") << "<none>"
                                         << ""
                                         << "cannot be opened: No such file";
        QTest::newRow("a folder") << "<folder>"
                                  << ""
                                  << "is a folder, not a CSV file";
        QTest::newRow("unknown option")
            << "a,label\n1,x\n"
            << "lable=x"
            << "unknown option \"lable\" of the csv reader (it reads label, header, columns, "
               "delimiter, test_fraction, seed)";
        QTest::newRow("bad test_fraction") << "a,label\n1,x\n"
                                           << "test_fraction=1"
                                           << "option test_fraction must be a number in [0, 1)";
        QTest::newRow("bad delimiter") << "a,label\n1,x\n"
                                       << "delimiter=::"
                                       << "option delimiter must be one character";
        QTest::newRow("bad seed") << "a,label\n1,x\n"
                                  << "seed=-1"
                                  << "option seed must be an integer >= 0, got \"-1\"";
        QTest::newRow("bad header kind") << "a,label\n1,x\n"
                                         << "header=none"
                                         << "option header must be \"names\" or \"sklearn\"";
        QTest::newRow("columns miscounted") << "a,b,label\n1,2,x\n"
                                            << "columns=p,q"
                                            << "option columns names 2 columns; the header row "
                                               "(line 1) has 3";
        QTest::newRow("sklearn sample count") << "3,2,a,b\n1,2,0\n"
                                              << "header=sklearn"
                                              << "the header says 3 samples, the file has 1";
        QTest::newRow("sklearn class index")
            << "1,2,a,b\n1,2,5\n"
            << "header=sklearn"
            << "line 2, column \"target\": label \"5\" is not a class index in [0, 2)";
        QTest::newRow("sklearn header") << "a,b,c\n1,2,0\n"
                                        << "header=sklearn"
                                        << "line 1: a scikit-learn header reads";
        QTest::newRow("test split too small")
            << "a,label\n1,x\n2,y\n"
            << "test_fraction=0.1"
            << "option test_fraction 0.1 leaves no test rows of 2";
    }

    void badInputIsReportedWithFileLineAndColumn()
    {
        QFETCH(QString, content);
        QFETCH(QString, options);
        QFETCH(QString, message);
        std::string path = m_dir.filePath("missing.csv").toStdString();
        if (content == "<folder>")
            path = m_dir.path().toStdString();
        else if (content != "<none>")
            path = writeFile(QString(QTest::currentDataTag()).replace(' ', '_') + ".csv", content);
        const auto splits = readCsv(path, parseOptions(options));
        QVERIFY(!splits.has_value());
        const auto text = QString::fromStdString(splits.error().toString());
        QVERIFY2(text.contains(QString::fromStdString(path + ": ")), qPrintable(text));
        QVERIFY2(text.contains(message), qPrintable(text));
        QVERIFY2(text.contains("dataset reader \"csv\" (plugin csv-tabular)"), qPrintable(text));
    }

    void tabularMlpHasItsStages()
    {
        model::ModelSpec spec{"tabular-mlp", {8, 4}, 0.2};
        auto net = plugin::buildModel(spec, {13, 1, 1}, 3);
        QVERIFY_OK(net);
        QCOMPARE((*net)->stageNames(),
                 (std::vector<std::string>{"flatten", "fc1", "relu1", "dropout1", "fc2", "relu2",
                                           "dropout2", "head"}));
        QCOMPARE((*net)->parameterCount(), std::int64_t(13 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3));
        (*net)->eval();
        QCOMPARE((*net)->forward(torch::randn({5, 13, 1, 1})).sizes().vec(),
                 (std::vector<std::int64_t>{5, 3}));
        // Empty widths: the default 64, 32; no dropout stages at dropout 0.
        auto plain = plugin::buildModel({"tabular-mlp", {}, 0.0}, {13, 1, 1}, 3);
        QVERIFY_OK(plain);
        QCOMPARE((*plain)->stageNames(),
                 (std::vector<std::string>{"flatten", "fc1", "relu1", "fc2", "relu2", "head"}));
        QCOMPARE((*plain)->parameterCount(),
                 std::int64_t(13 * 64 + 64 + 64 * 32 + 32 + 32 * 3 + 3));
    }

    void tabularMlpRejectsBadWidths_data()
    {
        QTest::addColumn<std::vector<std::int64_t>>("widths");
        QTest::addColumn<QString>("message");
        QTest::newRow("zero") << std::vector<std::int64_t>{0} << "got 0 at index 0";
        QTest::newRow("negative") << std::vector<std::int64_t>{8, -1} << "got -1 at index 1";
    }

    void tabularMlpRejectsBadWidths()
    {
        QFETCH(std::vector<std::int64_t>, widths);
        QFETCH(QString, message);
        const auto net = plugin::buildModel({"tabular-mlp", widths, 0.0}, {13, 1, 1}, 3);
        QVERIFY(!net.has_value());
        const auto text = QString::fromStdString(net.error().toString());
        QVERIFY2(text.contains("model \"tabular-mlp\" (plugin csv-tabular)"), qPrintable(text));
        QVERIFY2(text.contains("model.widths: every hidden width of tabular-mlp must be >= 1"),
                 qPrintable(text));
        QVERIFY2(text.contains(message), qPrintable(text));
    }

    // The bundled wine config end to end: the csv reader, tabular-mlp and the fairness metric.
    void theWineConfigTrainsWithFairnessRecorded()
    {
        const auto config
            = train::loadRunConfig(LATHE_TEST_RESOURCES "/../plugins/csv-tabular/wine.json");
        QVERIFY_OK(config);
        QCOMPARE(config->data.dataset, std::string("csv"));
        QCOMPARE(config->model.arch, std::string("tabular-mlp"));
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "wine.db";
        const auto runId = testing::trainRun(db, *config, "wine");
        auto store = track::RunStore::open(db);
        QVERIFY_OK(store);
        const auto accuracy = (*store)->lastMetric(runId, "val/accuracy");
        QVERIFY_OK(accuracy);
        QVERIFY(accuracy->has_value());
        qInfo("wine: validation accuracy %.4f after %lld epochs", **accuracy,
              static_cast<long long>(config->training.epochs));
        QVERIFY2(**accuracy >= 0.90, qPrintable(QString::number(**accuracy)));
        const auto keys = (*store)->metricKeys(runId);
        QVERIFY_OK(keys);
        for (const char *key : {"val/fairness/accuracy_gap", "val/fairness/tpr_gap"}) {
            QVERIFY2(std::find(keys->begin(), keys->end(), key) != keys->end(), key);
            const auto series = (*store)->metricSeries(runId, key);
            QVERIFY_OK(series);
            QCOMPARE(std::int64_t(series->size()), config->training.epochs);
            for (const auto &row : *series)
                QVERIFY(row.value >= 0.0 && row.value <= 1.0);
        }
        // Two groups of alcohol, split at its median.
        const auto groups = std::count_if(keys->begin(), keys->end(), [](const std::string &k) {
            return k.starts_with("val/fairness/accuracy/alcohol");
        });
        QCOMPARE(groups, std::ptrdiff_t(2));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCsvTabular)
#include "tst_csv_tabular.moc"
