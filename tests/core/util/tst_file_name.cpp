// util::safeFileName: a name a user typed never leads out of the folder it is joined to.
#include "core/util/file_name.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <filesystem>
#include <string>

using lathe::util::safeFileName;

class TestFileName : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesBecomeOneComponent_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << "cnn-baseline"
                               << "cnn-baseline";
        QTest::newRow("dots inside") << "resnet.v2"
                                     << "resnet.v2";
        QTest::newRow("utf-8") << "modèle été"
                               << "modèle_été";
        QTest::newRow("climbs out") << "../../etc/x"
                                    << ".._.._etc_x";
        QTest::newRow("sub-folder") << "a/b"
                                    << "a_b";
        QTest::newRow("absolute") << "/abs/path"
                                  << "_abs_path";
        QTest::newRow("windows") << "C:\\runs\\..\\x"
                                 << "C__runs_.._x";
        QTest::newRow("wildcards") << "a*b?c\"d<e>f|g"
                                   << "a_b_c_d_e_f_g";
        QTest::newRow("control characters") << "a\nb\tc\x7f"
                                            << "a_b_c_";
        QTest::newRow("trimmed") << "  run 1 \n"
                                 << "run_1";
        QTest::newRow("dot") << "."
                             << "fallback";
        QTest::newRow("dot dot") << ".."
                                 << "fallback";
        QTest::newRow("dot dot, spaced") << " .. "
                                         << "fallback";
        QTest::newRow("empty") << ""
                               << "fallback";
        QTest::newRow("blank") << "   "
                               << "fallback";
    }

    void namesBecomeOneComponent()
    {
        QFETCH(QString, name);
        QFETCH(QString, expected);
        const auto safe = safeFileName(name.toStdString(), "fallback");
        QCOMPARE(QString::fromStdString(safe), expected);
        // Joined to a folder, it names a file directly in it.
        const std::filesystem::path folder("/out");
        QCOMPARE((folder / safe).lexically_normal().parent_path(), folder);
    }

    // A long name is cut to 200 bytes, never inside a UTF-8 character.
    void longNamesAreCut()
    {
        QCOMPARE(safeFileName(std::string(300, 'a'), "x"), std::string(200, 'a'));
        std::string accents;
        for (int i = 0; i < 150; ++i)
            accents += "é";                                // 2 bytes each
        const auto cut = safeFileName("a" + accents, "x"); // "é" straddles byte 200
        QCOMPARE(cut.size(), std::size_t(199));
        QVERIFY(QString::fromUtf8(cut.data(), qsizetype(cut.size())).toUtf8().toStdString() == cut);
    }
};

LATHE_TEST_GUILESS_MAIN(TestFileName)
#include "tst_file_name.moc"
