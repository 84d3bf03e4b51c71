#include "core/formats/zip_check.h"

#include "tests/qverify_ok.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>

using namespace lathe;
using namespace lathe::formats;

namespace {

/// A real LibTorch archive: one tensor whose 64 floats are 1000.5, 1001.5, ... (easy to find in
/// the file's bytes) and a second, smaller one.
std::string saveTensors(const QTemporaryDir &dir)
{
    const std::string path = dir.filePath("tensors.pt").toStdString();
    torch::serialize::OutputArchive archive;
    archive.write("marked", torch::arange(64, torch::kFloat32) + 1000.5f);
    archive.write("other", torch::ones({3, 3}));
    archive.save_to(path);
    return path;
}

/// The offset of the marked tensor's data in `bytes`.
std::size_t markedOffset(const std::string &bytes)
{
    const float first[2] = {1000.5f, 1001.5f};
    const std::string needle(reinterpret_cast<const char *>(first), sizeof first);
    return bytes.find(needle);
}

} // namespace

class TestZipCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // LibTorch's own archive (the form of every checkpoint) verifies, every entry read.
    void aLibTorchArchiveVerifies()
    {
        QTemporaryDir dir;
        const auto path = saveTensors(dir);
        const auto summary = verifyZipArchive(path, "checkpoint");
        QVERIFY_OK(summary);
        QVERIFY2(summary->entries >= 3, qPrintable(QString::number(summary->entries)));
        QVERIFY(summary->dataBytes >= 64 * 4 + 9 * 4);
        // And the same bytes load in LibTorch.
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        torch::Tensor marked;
        archive.read("marked", marked);
        QCOMPARE(marked[3].item<float>(), 1003.5f);
    }

    // One flipped bit in a tensor's bytes is refused, naming the file and the entry.
    void aFlippedBitInTensorDataIsCaught()
    {
        QTemporaryDir dir;
        const auto path = saveTensors(dir);
        auto bytes = testing::readFile(path);
        const auto at = markedOffset(bytes);
        QVERIFY(at != std::string::npos);
        bytes[at + 17] = static_cast<char>(bytes[at + 17] ^ 0x04);
        testing::writeFile(path, bytes);
        const auto result = verifyZipArchive(path, "checkpoint");
        QVERIFY(!result);
        QCOMPARE(result.error().code, ErrorCode::BadInput);
        const auto text = QString::fromStdString(result.error().toString());
        QVERIFY2(text.startsWith(QString::fromStdString(path) + ": checkpoint is not a readable"),
                 qPrintable(text));
        QVERIFY2(text.contains("/data/") && text.contains("CRC-32")
                     && text.contains("the file is damaged"),
                 qPrintable(text));
    }

    // The file fuzz_checkpoint found, on which LibTorch 1.13's reader segfaults: the fuzzer's
    // change broke one entry's CRC, so the check refuses it before LibTorch sees it.
    void theFuzzersLibTorchCrasherIsRefused()
    {
        const auto result
            = verifyZipArchive(LATHE_TEST_DATA "/checkpoint-crashes-libtorch.pt", "checkpoint");
        QVERIFY(!result);
        QCOMPARE(result.error().code, ErrorCode::BadInput);
        const auto text = QString::fromStdString(result.error().message);
        // data/7 claims to be encrypted (the first damaged entry in directory order).
        QVERIFY2(text.contains("last.pt/data/7") && text.contains("encrypted"), qPrintable(text));
    }

    // Cut anywhere, an archive is refused: its end record or an entry's data is missing.
    void aTruncatedArchiveIsRefused()
    {
        QTemporaryDir dir;
        const auto path = saveTensors(dir);
        const auto bytes = testing::readFile(path);
        for (const std::size_t keep : {std::size_t(0), std::size_t(10), bytes.size() / 3,
                                       bytes.size() / 2, bytes.size() - 30, bytes.size() - 1}) {
            testing::writeFile(path, bytes.substr(0, keep));
            const auto result = verifyZipArchive(path);
            QVERIFY2(!result,
                     qPrintable(QString("kept %1 of %2 bytes").arg(keep).arg(bytes.size())));
            QCOMPARE(result.error().code, ErrorCode::BadInput);
        }
        testing::writeFile(path, bytes.substr(0, bytes.size() / 2));
        QVERIFY2(QString::fromStdString(verifyZipArchive(path).error().message)
                     .contains("no end-of-central-directory record"),
                 qPrintable(QString::fromStdString(verifyZipArchive(path).error().message)));
    }

    // Text, an empty file, a folder and a missing file each get their own message.
    void otherFilesAreRefusedByName()
    {
        QTemporaryDir dir;
        const auto text = dir.filePath("notes.txt").toStdString();
        testing::writeFile(text,
                           "this is a plain text file, long enough to be searched for a record\n");
        auto result = verifyZipArchive(text, "TorchScript file");
        QVERIFY(!result);
        QVERIFY2(result.error().message.starts_with(
                     "TorchScript file is not a readable zip archive: it has no "
                     "end-of-central-directory record"),
                 result.error().message.c_str());
        const auto empty = dir.filePath("empty.pt").toStdString();
        testing::writeFile(empty, "");
        QVERIFY(verifyZipArchive(empty).error().message.find("too short") != std::string::npos);
        QCOMPARE(verifyZipArchive(dir.path().toStdString()).error().code, ErrorCode::BadInput);
        QCOMPARE(verifyZipArchive(dir.filePath("absent.pt").toStdString()).error().code,
                 ErrorCode::NotFound);
    }

    // A directory that claims to start past its end record is refused before anything is read
    // from where it points.
    void aDirectoryPointingOutsideTheFileIsRefused()
    {
        QTemporaryDir dir;
        const auto path = saveTensors(dir);
        auto bytes = testing::readFile(path);
        const auto end = bytes.rfind(std::string("PK\x05\x06", 4));
        QVERIFY(end != std::string::npos);
        // A plain (not zip64) record keeps the directory's offset at byte 16; LibTorch writes a
        // zip64 record too, whose offset (byte 48 of it) the check then reads instead.
        const auto zip64 = bytes.rfind(std::string("PK\x06\x06", 4));
        const std::size_t field = zip64 != std::string::npos ? zip64 + 48 : end + 16;
        bytes[field + 2] = static_cast<char>(0x7f);
        testing::writeFile(path, bytes);
        const auto result = verifyZipArchive(path);
        QVERIFY(!result);
        QVERIFY2(result.error().message.find("central directory") != std::string::npos,
                 result.error().message.c_str());
    }

    // Deflated entries (as Python's zipfile and other writers make them) are inflated and
    // checked; a damaged deflate stream is refused.
    void deflatedEntriesAreInflatedAndChecked()
    {
        if (!QFileInfo::exists("/usr/bin/python3"))
            QSKIP("/usr/bin/python3 is not installed");
        QTemporaryDir dir;
        const QString path = dir.filePath("deflated.zip");
        QProcess python;
        python.start("/usr/bin/python3",
                     {"-c",
                      "import sys, zipfile\n"
                      "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
                      "    z.writestr('a/words.txt', ' '.join(str(i) for i in range(20000)))\n"
                      "    z.writestr('a/zeros.bin', bytes(100000))\n",
                      path});
        QVERIFY(python.waitForFinished(60000));
        QCOMPARE(python.exitCode(), 0);
        const auto summary = verifyZipArchive(path.toStdString());
        QVERIFY_OK(summary);
        QCOMPARE(summary->entries, std::int64_t(2));
        auto bytes = testing::readFile(path.toStdString());
        const auto name = bytes.find("a/words.txt");
        QVERIFY(name != std::string::npos);
        // Inside the first entry's deflated data, well past its local header.
        for (std::size_t i = 0; i < 8; ++i)
            bytes[name + 200 + i] = static_cast<char>(~bytes[name + 200 + i]);
        testing::writeFile(path.toStdString(), bytes);
        const auto result = verifyZipArchive(path.toStdString());
        QVERIFY(!result);
        QVERIFY2(result.error().message.find("entry 'a/words.txt'") != std::string::npos,
                 result.error().message.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestZipCheck)
#include "tst_zip_check.moc"
