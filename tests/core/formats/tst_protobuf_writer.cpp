#include "core/formats/protobuf_writer.h"

#include <QtTest>

#include <cstdint>
#include <vector>

using lathe::formats::ProtoWriter;

namespace {

QByteArray hex(const ProtoWriter &writer)
{
    return QByteArray::fromStdString(writer.data()).toHex(' ');
}

} // namespace

// The wire format, byte for byte, against encodings worked out from the protobuf spec.
class TestProtobufWriter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void varints_data()
    {
        QTest::addColumn<int>("field");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("zero") << 1 << qint64(0) << QByteArray("08 00");
        QTest::newRow("one byte max") << 1 << qint64(127) << QByteArray("08 7f");
        QTest::newRow("two bytes") << 1 << qint64(128) << QByteArray("08 80 01");
        QTest::newRow("300") << 1 << qint64(300) << QByteArray("08 ac 02");
        QTest::newRow("negative takes ten bytes")
            << 3 << qint64(-1) << QByteArray("18 ff ff ff ff ff ff ff ff ff 01");
        QTest::newRow("field 20 has a two-byte tag") << 20 << qint64(2) << QByteArray("a0 01 02");
        QTest::newRow("int64 max")
            << 1 << qint64(INT64_MAX) << QByteArray("08 ff ff ff ff ff ff ff ff 7f");
    }
    void varints()
    {
        QFETCH(int, field);
        QFETCH(qint64, value);
        QFETCH(QByteArray, expected);
        ProtoWriter writer;
        writer.int64(field, value);
        QCOMPARE(hex(writer), expected);
    }

    void otherWireTypes()
    {
        ProtoWriter writer;
        writer.bytes(2, "hi");
        QCOMPARE(hex(writer), QByteArray("12 02 68 69"));

        ProtoWriter f;
        f.float32(2, 1.0f);
        QCOMPARE(hex(f), QByteArray("15 00 00 80 3f"));

        ProtoWriter packed;
        const std::vector<std::int64_t> ints{1, 300, -1};
        packed.packedInt64s(1, ints);
        QCOMPARE(hex(packed), QByteArray("0a 0d 01 ac 02 ff ff ff ff ff ff ff ff ff 01"));

        ProtoWriter floats;
        const std::vector<float> values{1.0f, -2.0f};
        floats.packedFloats(7, values);
        QCOMPARE(hex(floats), QByteArray("3a 08 00 00 80 3f 00 00 00 c0"));

        ProtoWriter empty;
        empty.packedInt64s(1, std::vector<std::int64_t>{});
        QCOMPARE(hex(empty), QByteArray("0a 00"));
    }

    void nestedMessages()
    {
        ProtoWriter inner;
        inner.int64(1, 150);
        ProtoWriter outer;
        outer.message(3, inner);
        QCOMPARE(hex(outer), QByteArray("1a 03 08 96 01"));
    }

    void littleEndianRawData()
    {
        std::string raw;
        const std::vector<float> f{1.0f};
        const std::vector<std::int64_t> i{0x0102030405060708};
        ProtoWriter::appendLittleEndian(raw, f);
        ProtoWriter::appendLittleEndian(raw, i);
        QCOMPARE(QByteArray::fromStdString(raw).toHex(' '),
                 QByteArray("00 00 80 3f 08 07 06 05 04 03 02 01"));
    }
};

QTEST_GUILESS_MAIN(TestProtobufWriter)
#include "tst_protobuf_writer.moc"
