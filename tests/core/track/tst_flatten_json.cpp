#include "core/track/flatten_json.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

using lathe::track::flattenJson;
using Pairs = std::vector<std::pair<std::string, std::string>>;

Q_DECLARE_METATYPE(Pairs)

class TestFlattenJson : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void flatten_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<Pairs>("expected");
        QTest::newRow("nested objects")
            << R"({"optimizer": {"lr": 0.001, "name": "adam"}, "epochs": 3})"
            << Pairs{{"epochs", "3"}, {"optimizer.lr", "0.001"}, {"optimizer.name", "adam"}};
        QTest::newRow("arrays are compact JSON")
            << R"({"betas": [0.9, 0.999], "layers": [{"w": 1}]})"
            << Pairs{{"betas", "[0.9,0.999]"}, {"layers", "[{\"w\":1}]"}};
        QTest::newRow("scalars") << R"({"a": true, "b": null, "c": "text", "d": -2.5})"
                                 << Pairs{
                                        {"a", "true"}, {"b", "null"}, {"c", "text"}, {"d", "-2.5"}};
        QTest::newRow("empty nested object") << R"({"aug": {}})" << Pairs{{"aug", "{}"}};
        QTest::newRow("empty config") << "{}" << Pairs{};
        QTest::newRow("top-level scalar") << "42" << Pairs{{"", "42"}};
        QTest::newRow("sorted by full key")
            << R"({"a": {"b": 1}, "a-x": 2})" << Pairs{{"a-x", "2"}, {"a.b", "1"}};
        QTest::newRow("deep") << R"({"a": {"b": {"c": {"d": 1}}}})" << Pairs{{"a.b.c.d", "1"}};
    }
    void flatten()
    {
        QFETCH(QString, json);
        QFETCH(Pairs, expected);
        QCOMPARE(flattenJson(nlohmann::json::parse(json.toStdString())), expected);
    }

    void invalidUtf8DoesNotThrow()
    {
        nlohmann::json value = {{"list", {std::string("\xff\xfe")}}};
        const auto pairs = flattenJson(value);
        QCOMPARE(pairs.size(), std::size_t(1));
        QCOMPARE(pairs[0].first, std::string("list"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestFlattenJson)
#include "tst_flatten_json.moc"
