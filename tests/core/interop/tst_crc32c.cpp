#include "core/interop/crc32c.h"

#include "event_file_writer.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <numeric>

using namespace lathe::interop;

namespace {

std::span<const std::byte> bytesOf(const std::string &text)
{
    return {reinterpret_cast<const std::byte *>(text.data()), text.size()};
}

} // namespace

class TestCrc32c : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // RFC 3720 (iSCSI), appendix B.4: the CRC-32C test vectors. Both the reader's CRC and the
    // test helper's own (which writes the event files of the other tests) must give them.
    void rfc3720Vectors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<quint32>("crc");
        QTest::newRow("32 zeros") << QByteArray(32, '\0') << quint32(0x8A9136AA);
        QTest::newRow("32 x 0xFF") << QByteArray(32, char(0xFF)) << quint32(0x62A8AB43);
        QByteArray up(32, 0), down(32, 0);
        for (int i = 0; i < 32; ++i) {
            up[i] = char(i);
            down[i] = char(31 - i);
        }
        QTest::newRow("0..31 ascending") << up << quint32(0x46DD794E);
        QTest::newRow("31..0 descending") << down << quint32(0x113FDB5C);
    }
    void rfc3720Vectors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(quint32, crc);
        const std::string text(bytes.constData(), std::size_t(bytes.size()));
        QCOMPARE(crc32c(bytesOf(text)), crc);
        QCOMPARE(lathe::testing::bitwiseCrc32c(text), crc);
    }

    // The table-driven CRC takes eight bytes a step: every length and alignment agrees with the
    // bit-at-a-time one, and a CRC continued over two pieces equals the CRC of the whole.
    void everyLengthAgrees()
    {
        std::string text(67, '\0');
        std::iota(text.begin(), text.end(), char(7));
        for (std::size_t start = 0; start < 9; ++start)
            for (std::size_t n = 0; start + n <= text.size(); ++n) {
                const std::string piece = text.substr(start, n);
                QCOMPARE(crc32c(bytesOf(piece)), lathe::testing::bitwiseCrc32c(piece));
            }
        const auto whole = crc32c(bytesOf(text));
        const auto first = crc32c(bytesOf(text.substr(0, 20)));
        QCOMPARE(crc32c(bytesOf(text.substr(20)), first), whole);
    }

    // TFRecord's mask: a rotation by 15 bits plus 0xA282EAD8 (tensorflow/core/lib/hash/crc32c.h).
    void mask()
    {
        QCOMPARE(maskCrc32c(0), 0xA282EAD8U);
        QCOMPARE(maskCrc32c(0x8A9136AA), ((0x8A9136AAU >> 15) | (0x8A9136AAU << 17)) + 0xA282EAD8U);
        const std::string zeros(32, '\0');
        QCOMPARE(maskedCrc32c(bytesOf(zeros)), lathe::testing::maskedCrc(zeros));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCrc32c)
#include "tst_crc32c.moc"
