// The plugin loader against real shared libraries: the sample cosine-restarts plugin loads and
// registers its schedule; broken plugins (tests/plugins/fixtures) are reported with a message
// naming the problem and leave the registry as it was; a plugin built against the previous SDK
// (tests/plugins/fixtures/sdk-abi1) still loads and works; a plugin in a folder (or a file, or
// behind a symlink) that other users could change is refused, with real permissions.
#include "core/data/dataset.h"
#include "core/plugin/loader.h"
#include "core/util/paths.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <cstdlib>

#include <unistd.h>

using lathe::plugin::loadPlugin;
using lathe::plugin::loadPlugins;
using lathe::plugin::PluginRecord;
using lathe::plugin::Registry;
using Status = PluginRecord::Status;

Q_DECLARE_METATYPE(PluginRecord::Status)

namespace {

std::filesystem::path fixture(const char *name)
{
    return std::filesystem::path(LATHE_TEST_FIXTURE_DIR) / name;
}

// Every entry name of every kind, to see that a refused plugin left no trace.
std::vector<std::string> everyName(const lathe::plugin::Registry &registry)
{
    std::vector<std::string> all;
    for (auto kind : lathe::plugin::allKinds())
        for (const auto &name : registry.names(kind))
            all.push_back(std::string(toString(kind)) + " " + name);
    return all;
}

namespace fs = std::filesystem;

/// A plugin folder made for a test under `root`: `plugins/` holding the sample plugin `name`,
/// copied in, or with `link` a symlink to a copy in `elsewhere/`.
struct PluginFolder
{
    fs::path folder, file, target; ///< target: the copy (file itself unless a link)
};

PluginFolder makePluginFolder(const fs::path &root, const std::string &name, bool link)
{
    PluginFolder p{root / "plugins", root / "plugins" / name, root / "plugins" / name};
    fs::create_directories(p.folder);
    if (link) {
        p.target = root / "elsewhere" / name;
        fs::create_directories(p.target.parent_path());
        fs::create_symlink(p.target, p.file);
    }
    fs::copy_file(fs::path(LATHE_TEST_PLUGIN_DIR) / name, p.target);
    fs::permissions(p.target, fs::perms(0755));
    return p;
}

} // namespace

class TestPluginLoader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // First, so that failing-factories is not loaded yet: a folder loads each file once, in
    // name order, and only the one sound plugin of the fixtures is loaded.
    void aFolderLoadsEachFileOnceInNameOrder()
    {
        Registry registry;
        const auto dir = std::filesystem::path(LATHE_TEST_FIXTURE_DIR);
        const auto records
            = loadPlugins({dir, dir / ".." / dir.filename(), "/no/such/folder"}, registry);
        QCOMPARE(records.size(), std::size_t(7));
        const auto searched = lathe::plugin::searchedDirs(); // what the Plugins dialog lists
        QVERIFY(std::find(searched.begin(), searched.end(), dir) != searched.end());
        QVERIFY(std::find(searched.begin(), searched.end(), "/no/such/folder") != searched.end());
        QVERIFY(std::is_sorted(records.begin(), records.end(),
                               [](const auto &a, const auto &b) { return a.path < b.path; }));
        std::vector<std::string> loaded;
        for (const auto &r : records)
            if (r.status == Status::Loaded)
                loaded.push_back(r.name);
        QCOMPARE(loaded, std::vector<std::string>{"failing-factories"});
        QVERIFY(registry.schedule("explodes").has_value());
        QCOMPARE(registry.schedule("goes-negative")->source, std::string("failing-factories"));
    }

    void brokenPluginsAreReportedAndSkipped_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<Status>("status");
        QTest::addColumn<QString>("message");
        QTest::newRow("wrong ABI")
            << "fixture_wrong_abi.so" << Status::Refused
            << "built for plugin ABI 99; this Lathe loads ABI 1 to 1: rebuild it";
        QTest::newRow("registration throws")
            << "fixture_throwing_registration.so" << Status::Failed
            << "its registration threw: licence file /etc/acme.lic not found";
        QTest::newRow("duplicate name")
            << "fixture_duplicate_name.so" << Status::Failed
            << "it registers schedule \"cosine\", which exists already (built-in)";
        QTest::newRow("missing symbol")
            << "fixture_missing_symbol.so" << Status::Failed
            << "not a Lathe plugin: it exports no lathe_plugin_register";
        QTest::newRow("registers nothing")
            << "fixture_registers_nothing.so" << Status::Failed << "it registered nothing";
        QTest::newRow("not a library")
            << "not_a_library.so" << Status::Failed << "cannot be loaded: ";
        QTest::newRow("missing file")
            << "no_such_plugin.so" << Status::Failed << "cannot be loaded: ";
        QTest::newRow("same plugin twice")
            << "fixture_failing_factories.so" << Status::Failed
            << "a plugin named \"failing-factories\" is loaded already";
    }

    void brokenPluginsAreReportedAndSkipped()
    {
        QFETCH(QString, file);
        QFETCH(Status, status);
        QFETCH(QString, message);
        Registry registry;
        const auto before = everyName(registry);
        const auto path = fixture(file.toUtf8().constData());
        const PluginRecord record = loadPlugin(path, registry);
        QCOMPARE(record.path, path);
        QCOMPARE(record.status, status);
        QVERIFY2(QString::fromStdString(record.message).contains(message), record.message.c_str());
        QVERIFY(record.registered.empty());
        QCOMPARE(everyName(registry), before); // nothing of it kept, not even a part
        const auto all = lathe::plugin::loadedPlugins();
        QCOMPARE(all.back().path, path); // and it is listed, with its error
        QCOMPARE(all.back().message, record.message);
    }

    void theSamplePluginLoads()
    {
        const auto path = std::filesystem::path(LATHE_TEST_PLUGIN_DIR) / "cosine-restarts.so";
        const auto record = loadPlugin(path); // the process-wide registry
        QVERIFY2(record.status == Status::Loaded, record.message.c_str());
        QCOMPARE(record.name, std::string("cosine-restarts"));
        QCOMPARE(record.version, std::string("1.0"));
        QCOMPARE(record.abiVersion, lathe::sdk::kLatheAbiVersion);
        QCOMPARE(record.registered, std::vector<std::string>{"schedule cosine-restarts"});
        const auto entry = lathe::plugin::registry().schedule("cosine-restarts");
        QVERIFY(entry.has_value());
        QCOMPARE(entry->source, std::string("cosine-restarts"));
        QCOMPARE(entry->keys, (std::vector<std::string>{"step_epochs", "gamma", "min_lr"}));
    }

    // Built from the frozen ABI 1 headers (before lathe::data::Dataset moved into plugins/sdk):
    // today's Lathe loads it, runs its schedule and reads its dataset through every virtual
    // function of the interface, directly and through core's helpers.
    void aPluginBuiltAgainstThePreviousSdkLoads()
    {
        Registry registry;
        const auto record = loadPlugin(LATHE_TEST_ABI1_PLUGIN, registry);
        QVERIFY2(record.status == Status::Loaded, record.message.c_str());
        QCOMPARE(record.abiVersion, 1);
        QCOMPARE(record.registered,
                 (std::vector<std::string>{"dataset abi1-tiny", "schedule abi1-halving"}));

        const auto schedule = registry.schedule("abi1-halving");
        QVERIFY(schedule.has_value());
        lathe::sdk::ScheduleArgs args;
        args.baseLr = 0.8;
        args.stepsPerEpoch = 10;
        args.totalSteps = 100;
        args.stepEpochs = 2.0;
        const auto rate = schedule->factory(args);
        QCOMPARE(rate(0), 0.8);
        QCOMPARE(rate(19), 0.8);
        QCOMPARE(rate(20), 0.4);
        QCOMPARE(rate(45), 0.2);

        const auto reader = registry.dataset("abi1-tiny");
        QVERIFY(reader.has_value());
        const auto splits = reader->read({});
        QVERIFY_OK(splits);
        const auto &data = *splits->train;
        QCOMPARE(data.size(), std::int64_t(4));
        QCOMPARE(data.sampleShape(), (std::vector<std::int64_t>{1, 2, 2}));
        QCOMPARE(data.classNames(), (std::vector<std::string>{"even", "odd"}));
        QVERIFY(torch::equal(data.labels(), torch::tensor({0, 1, 0, 1}, torch::kLong)));
        const auto images = data.images(torch::tensor({3, 1}, torch::kLong));
        QCOMPARE(images.sizes().vec(), (std::vector<std::int64_t>{2, 1, 2, 2}));
        QCOMPARE(images[0][0][1][1].item<float>(), 0.75f);
        QCOMPARE(images[1][0][0][0].item<float>(), 0.25f);
        QCOMPARE(data.description(), std::string("abi1-tiny: four samples"));
        QCOMPARE(data.attributeNames(), std::vector<std::string>{"index"});
        QVERIFY(torch::equal(data.attribute("index"), torch::arange(4, torch::kDouble)));
        QVERIFY(!data.attribute("colour").defined());

        // Core's helpers call into the plugin's dataset like into their own.
        const auto odd = lathe::data::selectClasses(splits->train, {1, 0});
        QVERIFY_OK(odd);
        QVERIFY(torch::equal((*odd)->labels(), torch::tensor({1, 0, 1, 0}, torch::kLong)));
        QCOMPARE((*odd)->images(torch::tensor({1}, torch::kLong))[0][0][0][0].item<float>(), 0.25f);
        QVERIFY(torch::equal((*odd)->attribute("index"), torch::arange(4, torch::kDouble)));
    }

    // A folder or a file that others could change is skipped before any of its code runs, with
    // the path and why, listed like any refused plugin (lathe-cli plugins, the Plugins dialog);
    // a symlink is judged by the file it points to and that file's folder.
    void aPluginOthersCouldChangeIsRefused_data()
    {
        QTest::addColumn<int>("folderMode");
        QTest::addColumn<int>("fileMode");
        QTest::addColumn<bool>("link");
        QTest::addColumn<int>("targetFolderMode");
        QTest::addColumn<int>("folderOwner"); // -1: this user
        // %F the folder, %P the plugin's path in it, %T the file it points to, %D that file's
        // folder, %U this user's uid.
        QTest::addColumn<QString>("message");
        const QString rule = "; plugins load only from folders and files that no one but you "
                             "(or root) can change";
        QTest::newRow("folder 0777") << 0777 << 0755 << false << 0755 << -1
                                     << "skipped: the folder %F is writable by its group and "
                                        "others (mode 0777): chmod go-w %F"
                                            + rule;
        QTest::newRow("folder 1777, sticky")
            << 01777 << 0755 << false << 0755 << -1
            << "the folder %F is writable by its group and others (mode 1777)";
        QTest::newRow("folder 0775") << 0775 << 0755 << false << 0755 << -1
                                     << "the folder %F is writable by its group (mode 0775)";
        QTest::newRow("folder 0757") << 0757 << 0755 << false << 0755 << -1
                                     << "the folder %F is writable by others (mode 0757)";
        QTest::newRow("file 0666") << 0755 << 0666 << false << 0755 << -1
                                   << "skipped: the file %P is writable by its group and others "
                                      "(mode 0666): chmod go-w %P";
        QTest::newRow("link to a file others can write")
            << 0755 << 0646 << true << 0755 << -1
            << "the file %T (where %P points) is writable by others (mode 0646): chmod go-w %T";
        QTest::newRow("link into a folder others can write")
            << 0755 << 0755 << true << 0777 << -1
            << "the folder %D (where %P points) is writable by its group and others (mode 0777)";
        QTest::newRow("folder of another user")
            << 0755 << 0755 << false << 0755 << 65534
            << "the folder %F is owned by uid 65534, not by this user (uid %U) or root";
    }

    void aPluginOthersCouldChangeIsRefused()
    {
        QFETCH(int, folderMode);
        QFETCH(int, fileMode);
        QFETCH(bool, link);
        QFETCH(int, targetFolderMode);
        QFETCH(int, folderOwner);
        QFETCH(QString, message);
        if (folderOwner >= 0 && ::geteuid() != 0)
            QSKIP("giving a folder to another user needs root");
        QTemporaryDir root;
        const auto p = makePluginFolder(root.path().toStdString(), "class-accuracy.so", link);
        fs::permissions(p.target, fs::perms(fileMode));
        fs::permissions(p.target.parent_path(), fs::perms(targetFolderMode));
        fs::permissions(p.folder, fs::perms(folderMode));
        if (folderOwner >= 0)
            QCOMPARE(::chown(p.folder.c_str(), uid_t(folderOwner), gid_t(-1)), 0);
        message.replace("%F", QString::fromStdString(p.folder.string()))
            .replace("%P", QString::fromStdString(p.file.string()))
            .replace("%T", QString::fromStdString(p.target.string()))
            .replace("%D", QString::fromStdString(p.target.parent_path().string()))
            .replace("%U", QString::number(::geteuid()));
        Registry registry;
        const auto before = everyName(registry);
        const auto records = loadPlugins({p.folder}, registry);
        QCOMPARE(records.size(), std::size_t(1));
        QCOMPARE(records[0].path, p.file);
        QCOMPARE(records[0].status, Status::Refused);
        QVERIFY2(QString::fromStdString(records[0].message).contains(message),
                 records[0].message.c_str());
        QVERIFY(records[0].name.empty()); // refused before it ran: its info was never asked
        QCOMPARE(everyName(registry), before);
        QCOMPARE(lathe::plugin::loadedPlugins().back().message, records[0].message);
    }

    // The folder others could write is skipped; once chmod 0755, the same plugin loads. A
    // symlink to a plugin that only its owner can change loads too.
    void aPluginOnlyItsOwnerCanChangeLoads()
    {
        QTemporaryDir root;
        const auto copied = makePluginFolder(root.path().toStdString(), "class-accuracy.so", false);
        fs::permissions(copied.folder, fs::perms(0777));
        Registry registry;
        auto records = loadPlugins({copied.folder}, registry);
        QCOMPARE(records.size(), std::size_t(1));
        QCOMPARE(records[0].status, Status::Refused);
        fs::permissions(copied.folder, fs::perms(0755));
        records = loadPlugins({copied.folder}, registry);
        QCOMPARE(records.size(), std::size_t(1));
        QVERIFY2(records[0].status == Status::Loaded, records[0].message.c_str());
        QCOMPARE(records[0].name, std::string("class-accuracy"));
        QVERIFY(!records[0].registered.empty());

        QTemporaryDir other;
        const auto linked = makePluginFolder(other.path().toStdString(), "fairness.so", true);
        const auto record = loadPlugin(linked.file, registry);
        QVERIFY2(record.status == Status::Loaded, record.message.c_str());
        QCOMPARE(record.name, std::string("fairness"));
    }

    void foldersAreSearchedInOrder()
    {
        qputenv("LATHE_PLUGIN_PATH", "/opt/a::/opt/b");
        const auto dirs = lathe::plugin::pluginDirs({"/from/the/command/line"});
        qunsetenv("LATHE_PLUGIN_PATH");
        QVERIFY(dirs.size() >= 5);
        QCOMPARE(dirs[0], std::filesystem::path("/from/the/command/line"));
        QCOMPARE(dirs[1], std::filesystem::path("/opt/a"));
        QCOMPARE(dirs[2], std::filesystem::path("/opt/b"));
        QCOMPARE(dirs[3], lathe::util::dataDir() / "plugins");
        QCOMPARE(dirs.back(), std::filesystem::path(LATHE_TEST_PLUGIN_DIR));
    }
};

LATHE_TEST_GUILESS_MAIN(TestPluginLoader)
#include "tst_plugin_loader.moc"
