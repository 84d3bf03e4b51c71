// The fairness sample metric plugin, loaded for real: known answers on a hand-made dataset of
// ten samples (groups by a two-valued column, by a median split of a many-valued one and at a
// given threshold; macro and positive-class TPR), empty groups and empty splits, options that
// are refused with a message naming the metric, and the median split of the wine table's
// alcohol column read through the csv reader.
#include "core/data/dataset.h"
#include "core/plugin/loader.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace lathe;

namespace {

/// Ten samples of two classes with two attributes: "sex" (two values) and "age" (ten).
class PeopleDataset : public data::Dataset
{
public:
    std::int64_t size() const override { return 10; }
    std::vector<std::int64_t> sampleShape() const override { return {2, 1, 1}; }
    const std::vector<std::string> &classNames() const override { return m_classes; }
    torch::Tensor labels() const override
    {
        return torch::tensor({0, 1, 1, 0, 1, 1, 1, 0, 0, 1}, torch::kInt64);
    }
    torch::Tensor images(const torch::Tensor &indices) const override
    {
        return torch::zeros({indices.numel(), 2, 1, 1});
    }
    std::string description() const override { return "ten people"; }
    std::vector<std::string> attributeNames() const override { return {"sex", "age"}; }
    torch::Tensor attribute(const std::string &name) const override
    {
        if (name == "sex")
            return torch::tensor({0., 0., 0., 0., 0., 1., 1., 1., 1., 1.}, torch::kFloat64);
        if (name == "age")
            return torch::arange(21, 31, torch::kFloat64);
        return {};
    }

private:
    std::vector<std::string> m_classes{"no", "yes"};
};

/// The same samples without attributes.
class PlainDataset : public PeopleDataset
{
public:
    std::vector<std::string> attributeNames() const override { return {}; }
    torch::Tensor attribute(const std::string &) const override { return {}; }
};

/// The model's predictions for the ten samples (5 of the first 5 right but one, 2 of the rest).
const std::vector<std::int64_t> kPredicted{0, 1, 0, 0, 1, 1, 0, 0, 1, 0};

Result<plugin::ComputeMetric> setUp(const sdk::Options &options, const data::Dataset &dataset)
{
    const auto metric = plugin::registry().metric("fairness");
    if (!metric)
        return fail(ErrorCode::NotFound, "the fairness metric is not registered");
    return metric->setUp({options, &dataset, dataset.classNames()});
}

/// Evaluates `compute` on the samples `indices` of `dataset`, in that order, with logits that
/// predict `predicted` (per dataset index).
Result<sdk::MetricValues> evaluate(const plugin::ComputeMetric &compute,
                                   const data::Dataset &dataset,
                                   const std::vector<std::int64_t> &indices,
                                   const std::vector<std::int64_t> &predicted)
{
    const auto index = torch::tensor(indices, torch::kInt64);
    const auto classes = std::int64_t(dataset.classNames().size());
    const auto guesses = torch::tensor(predicted, torch::kInt64).index_select(0, index);
    const auto logits = torch::one_hot(guesses, classes).to(torch::kFloat32) * 3 - 1;
    const auto labels = dataset.labels().index_select(0, index);
    return compute({&logits, &labels, &index, &dataset, "val"});
}

std::map<std::string, double> asMap(const sdk::MetricValues &values)
{
    return {values.begin(), values.end()};
}

std::vector<std::string> namesOf(const sdk::MetricValues &values)
{
    std::vector<std::string> names;
    for (const auto &[name, value] : values)
        names.push_back(name);
    return names;
}

bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-12;
}

} // namespace

class TestFairness : public QObject
{
    Q_OBJECT

    PeopleDataset m_people;

    /// Checks `values` against `expected` (names in order and values).
    static void compare(const sdk::MetricValues &values,
                        const std::vector<std::pair<std::string, double>> &expected)
    {
        std::vector<std::string> names;
        for (const auto &[name, value] : expected)
            names.push_back(name);
        QCOMPARE(namesOf(values), names);
        for (std::size_t i = 0; i < values.size(); ++i)
            QVERIFY2(near(values[i].second, expected[i].second),
                     qPrintable(QString("%1: %2, expected %3")
                                    .arg(QString::fromStdString(values[i].first))
                                    .arg(values[i].second)
                                    .arg(expected[i].second)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *file :
             {LATHE_TEST_PLUGIN_DIR "/fairness.so", LATHE_TEST_PLUGIN_DIR "/csv-tabular.so"}) {
            const auto record = plugin::loadPlugin(file);
            QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        }
        QCOMPARE(plugin::registry().source(plugin::Kind::Metric, "fairness"),
                 std::string("fairness"));
    }

    // sex=0 (samples 0-4): 4 of 5 right; recall of "no" 2/2, of "yes" 2/3.
    // sex=1 (samples 5-9): 2 of 5 right; recall of "no" 1/2, of "yes" 1/3.
    void groupsByATwoValuedColumn()
    {
        const auto compute = setUp({{"column", "sex"}}, m_people);
        QVERIFY_OK(compute);
        // In a shuffled order: the groups come from the indices, not the positions.
        const auto values
            = evaluate(*compute, m_people, {3, 7, 0, 9, 5, 1, 8, 2, 6, 4}, kPredicted);
        QVERIFY_OK(values);
        compare(*values, {{"accuracy/sex=0", 0.8},
                          {"tpr/sex=0", (1.0 + 2.0 / 3) / 2},
                          {"accuracy/sex=1", 0.4},
                          {"tpr/sex=1", (0.5 + 1.0 / 3) / 2},
                          {"accuracy_gap", 0.4},
                          {"tpr_gap", 5.0 / 6 - 5.0 / 12}});
    }

    void thePositiveClassGivesItsRecall_data()
    {
        QTest::addColumn<QString>("positive");
        QTest::newRow("by name") << "yes";
        QTest::newRow("by index") << "1";
    }

    void thePositiveClassGivesItsRecall()
    {
        QFETCH(QString, positive);
        const auto compute
            = setUp({{"column", "sex"}, {"positive_class", positive.toStdString()}}, m_people);
        QVERIFY_OK(compute);
        const auto values
            = evaluate(*compute, m_people, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, kPredicted);
        QVERIFY_OK(values);
        compare(*values, {{"accuracy/sex=0", 0.8},
                          {"tpr/sex=0", 2.0 / 3},
                          {"accuracy/sex=1", 0.4},
                          {"tpr/sex=1", 1.0 / 3},
                          {"accuracy_gap", 0.4},
                          {"tpr_gap", 1.0 / 3}});
    }

    // Ten distinct ages 21..30: split at the lower median, 25, into the same halves as sex.
    void splitsAManyValuedColumnAtItsMedian()
    {
        const auto compute = setUp({{"column", "age"}}, m_people);
        QVERIFY_OK(compute);
        const auto values
            = evaluate(*compute, m_people, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, kPredicted);
        QVERIFY_OK(values);
        const auto byName = asMap(*values);
        QCOMPARE(namesOf(*values),
                 (std::vector<std::string>{"accuracy/age<=25", "tpr/age<=25", "accuracy/age>25",
                                           "tpr/age>25", "accuracy_gap", "tpr_gap"}));
        QVERIFY(near(byName.at("accuracy/age<=25"), 0.8));
        QVERIFY(near(byName.at("accuracy/age>25"), 0.4));
    }

    // age <= 22.5: samples 0, 1, both right. age > 22.5: samples 2-9, 4 of 8 right; recall of
    // "no" (3, 7, 8) 2/3, of "yes" (2, 4, 5, 6, 9) 2/5.
    void splitsAtAGivenThreshold()
    {
        const auto compute = setUp({{"column", "age"}, {"threshold", "22.5"}}, m_people);
        QVERIFY_OK(compute);
        const auto values
            = evaluate(*compute, m_people, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, kPredicted);
        QVERIFY_OK(values);
        compare(*values, {{"accuracy/age<=22.5", 1.0},
                          {"tpr/age<=22.5", 1.0},
                          {"accuracy/age>22.5", 0.5},
                          {"tpr/age>22.5", (2.0 / 3 + 0.4) / 2},
                          {"accuracy_gap", 0.5},
                          {"tpr_gap", 1.0 - (2.0 / 3 + 0.4) / 2}});
    }

    void emptyGroupsAreSkipped()
    {
        const auto compute = setUp({{"column", "sex"}}, m_people);
        QVERIFY_OK(compute);
        // Only sex=0 is evaluated: one group, no spread.
        const auto one = evaluate(*compute, m_people, {0, 1, 2}, kPredicted);
        QVERIFY_OK(one);
        compare(*one, {{"accuracy/sex=0", 2.0 / 3},
                       {"tpr/sex=0", (1.0 + 0.5) / 2},
                       {"accuracy_gap", 0.0},
                       {"tpr_gap", 0.0}});
        // A group without the positive class has no TPR (but its accuracy).
        const auto positive = setUp({{"column", "sex"}, {"positive_class", "no"}}, m_people);
        QVERIFY_OK(positive);
        const auto partial = evaluate(*positive, m_people, {0, 1, 5, 6}, kPredicted);
        QVERIFY_OK(partial);
        compare(*partial, {{"accuracy/sex=0", 1.0},
                           {"tpr/sex=0", 1.0},
                           {"accuracy/sex=1", 0.5},
                           {"accuracy_gap", 0.5},
                           {"tpr_gap", 0.0}});
    }

    void anEmptySplitHasNoValues()
    {
        const auto compute = setUp({{"column", "sex"}}, m_people);
        QVERIFY_OK(compute);
        const auto values = evaluate(*compute, m_people, {}, kPredicted);
        QVERIFY_OK(values);
        QVERIFY(values->empty());
    }

    void badOptionsAreRefused_data()
    {
        QTest::addColumn<QString>("options"); // "key=value;key=value"
        QTest::addColumn<bool>("attributes");
        QTest::addColumn<QString>("message");
        QTest::newRow("no column")
            << "" << true << "option column is required: the dataset attribute";
        QTest::newRow("unknown column")
            << "column=race" << true
            << "column \"race\" is not an attribute of the dataset; its attributes are: sex, age";
        QTest::newRow("no attributes") << "column=sex" << false
                                       << "column \"sex\" is not an attribute of the dataset; "
                                          "it has none";
        QTest::newRow("bad threshold") << "column=age;threshold=high" << true
                                       << "option threshold must be a number, got \"high\"";
        QTest::newRow("unknown class")
            << "column=sex;positive_class=maybe" << true
            << "option positive_class \"maybe\" is neither a class name nor a class index in "
               "[0, 2); the classes are: no, yes";
        QTest::newRow("class index out of range")
            << "column=sex;positive_class=2" << true << "option positive_class \"2\" is neither";
        QTest::newRow("unknown option")
            << "column=sex;colour=red" << true
            << "unknown option \"colour\" (it reads column, threshold, positive_class)";
    }

    void badOptionsAreRefused()
    {
        QFETCH(QString, options);
        QFETCH(bool, attributes);
        QFETCH(QString, message);
        sdk::Options parsed;
        for (const auto &pair : options.split(';', Qt::SkipEmptyParts))
            parsed[pair.section('=', 0, 0).toStdString()] = pair.section('=', 1).toStdString();
        const PlainDataset plain;
        const auto compute
            = setUp(parsed, attributes ? static_cast<const data::Dataset &>(m_people) : plain);
        QVERIFY(!compute.has_value());
        const auto text = QString::fromStdString(compute.error().toString());
        QVERIFY2(text.contains("metric \"fairness\" (plugin fairness): " + message),
                 qPrintable(text));
    }

    void aSplitWhoseDatasetLacksTheColumnFails()
    {
        const auto compute = setUp({{"column", "sex"}}, m_people);
        QVERIFY_OK(compute);
        const PlainDataset plain;
        const auto values = evaluate(*compute, plain, {0, 1}, kPredicted);
        QVERIFY(!values.has_value());
        QVERIFY2(QString::fromStdString(values.error().toString())
                     .contains("the val split's dataset has no attribute \"sex\""),
                 values.error().toString().c_str());
    }

    // The wine table's alcohol: 178 values, the lower median 13.05 (93 at or below it).
    void splitsWineAlcoholAtItsMedian()
    {
        std::string columns = "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,"
                              "flavanoids,nonflavanoid_phenols,proanthocyanins,color_intensity,"
                              "hue,od280/od315_of_diluted_wines,proline,class";
        const auto wine = plugin::registry().dataset("csv")->read(
            {"/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv",
             {{"header", "sklearn"}, {"columns", columns}}});
        QVERIFY_OK(wine);
        const auto &dataset = *wine->train;
        const auto compute = setUp({{"column", "alcohol"}}, dataset);
        QVERIFY_OK(compute);
        // A perfect model on every sample, then one that always says class_1 (71 of 178).
        const auto labels = dataset.labels();
        const std::vector<std::int64_t> truth(labels.data_ptr<std::int64_t>(),
                                              labels.data_ptr<std::int64_t>() + labels.numel());
        std::vector<std::int64_t> all(truth.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = std::int64_t(i);
        const auto perfect = evaluate(*compute, dataset, all, truth);
        QVERIFY_OK(perfect);
        compare(*perfect, {{"accuracy/alcohol<=13.05", 1.0},
                           {"tpr/alcohol<=13.05", 1.0},
                           {"accuracy/alcohol>13.05", 1.0},
                           {"tpr/alcohol>13.05", 1.0},
                           {"accuracy_gap", 0.0},
                           {"tpr_gap", 0.0}});
        const auto constant
            = evaluate(*compute, dataset, all, std::vector<std::int64_t>(truth.size(), 1));
        QVERIFY_OK(constant);
        const auto byName = asMap(*constant);
        const auto alcohol = dataset.attribute("alcohol");
        const auto low = alcohol <= 13.05;
        const auto ones = labels == 1;
        const double lowShare = (ones & low).sum().item<double>() / low.sum().item<double>();
        const double highShare = (ones & ~low).sum().item<double>() / (~low).sum().item<double>();
        QCOMPARE(low.sum().item<std::int64_t>(), std::int64_t(93));
        QVERIFY(near(byName.at("accuracy/alcohol<=13.05"), lowShare));
        QVERIFY(near(byName.at("accuracy/alcohol>13.05"), highShare));
        QVERIFY(near(byName.at("accuracy_gap"), std::abs(lowShare - highShare)));
    }
};

LATHE_TEST_GUILESS_MAIN(TestFairness)
#include "tst_fairness.moc"
