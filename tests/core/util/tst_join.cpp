// util::join, the one way core and the CLI list names in a message.
#include "core/util/join.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cstdint>
#include <ranges>
#include <string>
#include <vector>

using lathe::util::join;

class TestJoin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stringsAreSeparated()
    {
        QCOMPARE(join(std::vector<std::string>{"mlp", "cnn", "vit-tiny"}),
                 std::string("mlp, cnn, vit-tiny"));
        QCOMPARE(join(std::vector<std::string>{"only"}), std::string("only"));
        QCOMPARE(join(std::vector<std::string>{}), std::string());
        // An empty item still gets its separators (a hand-rolled `out.empty()` test lost them).
        QCOMPARE(join(std::vector<std::string>{"", "b"}, "|"), std::string("|b"));
    }

    void numbersAreWrittenAsDecimals()
    {
        QCOMPARE(join(std::vector<std::int64_t>{1, 28, -3}, ","), std::string("1,28,-3"));
    }

    void aProjectionPicksWhatIsListed()
    {
        struct Layer
        {
            std::string name;
            bool spatial;
        };
        const std::vector<Layer> layers{{"conv1", true}, {"flatten", false}, {"conv2", true}};
        QCOMPARE(join(layers | std::views::filter(&Layer::spatial), ", ", &Layer::name),
                 std::string("conv1, conv2"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestJoin)
#include "tst_join.moc"
