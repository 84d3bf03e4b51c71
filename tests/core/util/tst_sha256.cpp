#include "core/util/sha256.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <fstream>

using lathe::util::sha256File;
using lathe::util::sha256Hex;

class TestSha256 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void knownDigests_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("digest");
        // FIPS 180-4 examples, plus a length that crosses the 56-byte padding boundary.
        QTest::newRow("empty")
            << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc") << QByteArray("abc")
                             << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("448 bits")
            << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("million a")
            << QByteArray(1000000, 'a')
            << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    }
    void knownDigests()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, digest);
        QCOMPARE(QString::fromStdString(sha256Hex({input.constData(), size_t(input.size())})),
                 digest);
    }
    void fileMatchesBytes()
    {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/f.bin").toStdString();
        std::string bytes(200000, '\0');
        for (size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = char(i * 31 % 251);
        std::ofstream(path, std::ios::binary) << bytes;
        auto digest = sha256File(path);
        QVERIFY(digest.has_value());
        QCOMPARE(*digest, sha256Hex(bytes));
    }
    void missingFileIsIoError()
    {
        auto digest = sha256File("/nonexistent/lathe/file");
        QVERIFY(!digest.has_value());
        QCOMPARE(digest.error().code, lathe::ErrorCode::Io);
        QVERIFY(digest.error().context.find("/nonexistent/lathe/file") != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestSha256)
#include "tst_sha256.moc"
