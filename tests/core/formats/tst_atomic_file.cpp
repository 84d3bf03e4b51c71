// AtomicFile against real files and links: a symlink at the temporary's name or at the target
// is replaced, never written through, so the bytes stay in the target's folder.
#include "core/formats/atomic_file.h"
#include "tests/qverify_ok.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <string>

using namespace lathe;
namespace fs = std::filesystem;

class TestAtomicFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aLinkIsReplacedNotFollowed_data()
    {
        QTest::addColumn<QString>("link"); // where the link is planted, in the target's folder
        QTest::newRow("at the temporary's name") << "model.pt.tmp";
        QTest::newRow("at the target") << "model.pt";
    }

    void aLinkIsReplacedNotFollowed()
    {
        QFETCH(QString, link);
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto victim = root / "outside" / "victim";
        fs::create_directories(victim.parent_path());
        std::ofstream(victim) << "untouched";
        const auto target = root / "out" / "model.pt";
        fs::create_directories(target.parent_path());
        fs::create_symlink(victim, target.parent_path() / link.toStdString());
        QVERIFY_OK(formats::writeFileAtomically(target, "weights"));
        QCOMPARE(testing::readFile(victim), std::string("untouched"));
        QVERIFY(fs::is_regular_file(fs::symlink_status(target)));
        QCOMPARE(testing::readFile(target), std::string("weights"));
        QVERIFY(!fs::exists(fs::symlink_status(target.string() + ".tmp")));
    }

    // A stale temporary (a write killed before its commit) is written over.
    void aStaleTemporaryIsReplaced()
    {
        QTemporaryDir dir;
        const fs::path target = fs::path(dir.path().toStdString()) / "config.json";
        std::ofstream(target.string() + ".tmp") << "half a file from a killed write";
        QVERIFY_OK(formats::writeFileAtomically(target, "{}\n"));
        QCOMPARE(testing::readFile(target), std::string("{}\n"));
        QVERIFY(!fs::exists(target.string() + ".tmp"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomic_file.moc"
