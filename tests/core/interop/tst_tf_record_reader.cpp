#include "core/interop/tf_record_reader.h"

#include "event_file_writer.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe::interop;
using lathe::testing::record;

namespace {

struct Seen
{
    std::vector<std::string> data;
    std::vector<std::int64_t> offsets;
};

RecordScan scan(const std::string &bytes, Seen &seen)
{
    return scanTfRecords({reinterpret_cast<const std::byte *>(bytes.data()), bytes.size()},
                         [&](std::string_view data, std::int64_t offset) {
                             seen.data.emplace_back(data);
                             seen.offsets.push_back(offset);
                         });
}

// Three records "alpha", "bravo!", "" and where each starts.
std::string threeRecords(std::vector<std::int64_t> &offsets)
{
    std::string bytes;
    for (const char *text : {"alpha", "bravo!", ""}) {
        offsets.push_back(std::int64_t(bytes.size()));
        bytes += record(text);
    }
    return bytes;
}

} // namespace

class TestTfRecordReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void intactRecordsInOrder()
    {
        std::vector<std::int64_t> offsets;
        const auto bytes = threeRecords(offsets);
        Seen seen;
        const auto result = scan(bytes, seen);
        QCOMPARE(result.records, 3);
        QVERIFY(result.issues.empty());
        QCOMPARE(seen.data, (std::vector<std::string>{"alpha", "bravo!", ""}));
        QCOMPARE(seen.offsets, offsets);
        QCOMPARE(offsets[1], 12 + 5 + 4);
    }

    // A flipped byte in a record's data: that record is reported at its offset and skipped,
    // the records after it are read.
    void badDataChecksumSkipsOneRecord()
    {
        std::vector<std::int64_t> offsets;
        auto bytes = threeRecords(offsets);
        bytes[std::size_t(offsets[1]) + 12 + 2] ^= 0x20;
        Seen seen;
        const auto result = scan(bytes, seen);
        QCOMPARE(seen.data, (std::vector<std::string>{"alpha", ""}));
        QCOMPARE(result.issues.size(), std::size_t(1));
        QCOMPARE(result.issues[0].offset, offsets[1]);
        QVERIFY2(result.issues[0].message.find("bad data checksum") != std::string::npos,
                 result.issues[0].message.c_str());
    }

    // A damaged length cannot be trusted: the scan finds the next record whose checksums hold
    // and says how far it skipped.
    void badLengthResynchronises()
    {
        std::vector<std::int64_t> offsets;
        auto bytes = threeRecords(offsets);
        bytes[std::size_t(offsets[1])] = char(0x7F); // length 127: its CRC no longer matches
        Seen seen;
        const auto result = scan(bytes, seen);
        QCOMPARE(seen.data, (std::vector<std::string>{"alpha", ""}));
        QCOMPARE(seen.offsets.back(), offsets[2]);
        QCOMPARE(result.issues.size(), std::size_t(1));
        QCOMPARE(result.issues[0].offset, offsets[1]);
        const auto expected = "skipped " + std::to_string(offsets[2] - offsets[1])
                              + " bytes to the next intact record at byte "
                              + std::to_string(offsets[2]);
        QVERIFY2(result.issues[0].message.find(expected) != std::string::npos,
                 result.issues[0].message.c_str());
    }

    // A file cut anywhere inside its last record: the records before it are read and the cut is
    // reported at the start of the record it cuts.
    void truncatedTail()
    {
        std::vector<std::int64_t> offsets;
        const auto whole = threeRecords(offsets);
        const auto secondEnd = std::size_t(offsets[2]);
        for (std::size_t cut = secondEnd + 1; cut < whole.size(); ++cut) {
            Seen seen;
            const auto result = scan(whole.substr(0, cut), seen);
            QCOMPARE(seen.data, (std::vector<std::string>{"alpha", "bravo!"}));
            QCOMPARE(result.issues.size(), std::size_t(1));
            QCOMPARE(result.issues[0].offset, offsets[2]);
            QVERIFY(result.issues[0].message.find("truncated") != std::string::npos);
        }
    }

    void emptyAndMissingFiles()
    {
        QTemporaryDir dir;
        const auto empty = std::filesystem::path(dir.path().toStdString()) / "empty";
        std::ofstream(empty).close();
        int calls = 0;
        auto result = readTfRecordFile(empty, [&](auto, auto) { ++calls; });
        QVERIFY(result);
        QCOMPARE(result->records, 0);
        QVERIFY(result->issues.empty());
        auto missing = readTfRecordFile(empty.parent_path() / "missing", [&](auto, auto) {});
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, lathe::ErrorCode::Io);
        QVERIFY(missing.error().context.find("missing") != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestTfRecordReader)
#include "tst_tf_record_reader.moc"
