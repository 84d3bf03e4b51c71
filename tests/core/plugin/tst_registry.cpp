// The registry of extension points: built-ins listed like plugin entries, a plugin's entries
// added all together or not at all.
#include "core/plugin/registry.h"

#include <QtTest>

using lathe::plugin::Registry;
using lathe::plugin::ScheduleEntry;

namespace {

ScheduleEntry pluginSchedule(const std::string &name)
{
    return {name, {"gamma"}, "test", [](const lathe::sdk::ScheduleArgs &a) {
                return [a](std::int64_t) { return a.baseLr; };
            }, "test-plugin"};
}

} // namespace

class TestRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtInSchedulesAreListedWithTheirKeys()
    {
        Registry registry;
        const auto names = registry.scheduleNames();
        QCOMPARE(names.front(), std::string("constant"));
        QCOMPARE(names.size(), std::size_t(8));
        for (const auto &name : names) {
            const auto entry = registry.schedule(name);
            QVERIFY(entry.has_value());
            QCOMPARE(entry->source, std::string(lathe::plugin::kBuiltIn));
            QVERIFY(!entry->factory); // core/train computes the built-ins
            QVERIFY(!entry->description.empty());
        }
        QCOMPARE(registry.schedule("warmup-cosine")->keys,
                 (std::vector<std::string>{"warmup_epochs", "min_lr"}));
        QVERIFY(!registry.schedule("no-such-schedule"));
    }

    void aPluginsEntriesComeAfterTheBuiltIns()
    {
        Registry registry;
        QVERIFY(!registry.addSchedules({pluginSchedule("a"), pluginSchedule("b")}));
        const auto names = registry.scheduleNames();
        QCOMPARE(names.size(), std::size_t(10));
        QCOMPARE(names[8], std::string("a"));
        QCOMPARE(names[9], std::string("b"));
        QCOMPARE(registry.schedule("b")->source, std::string("test-plugin"));
        QCOMPARE(registry.schedule("b")->factory({0.5, 1, 1})(3), 0.5);
    }

    void aClashAddsNothing()
    {
        Registry registry;
        // One new name and one built-in: the built-in's name is returned, neither is added.
        QCOMPARE(registry.addSchedules({pluginSchedule("fresh"), pluginSchedule("cosine")}),
                 std::optional<std::string>("cosine"));
        QVERIFY(!registry.schedule("fresh"));
        QCOMPARE(registry.schedule("cosine")->source, std::string(lathe::plugin::kBuiltIn));
        // The same name twice within one plugin.
        QCOMPARE(registry.addSchedules({pluginSchedule("twice"), pluginSchedule("twice")}),
                 std::optional<std::string>("twice"));
        QVERIFY(!registry.schedule("twice"));
        QCOMPARE(registry.scheduleNames().size(), std::size_t(8));
    }
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
