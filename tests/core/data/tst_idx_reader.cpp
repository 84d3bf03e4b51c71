#include "core/data/fashion_mnist.h"
#include "core/data/idx_reader.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace lathe::data;
using lathe::ErrorCode;

namespace {

const std::filesystem::path kFashionDir = LATHE_TEST_FASHION_DIR;
const std::filesystem::path kTrainImages = kFashionDir / "train-images-idx3-ubyte.gz";
const std::filesystem::path kTrainLabels = kFashionDir / "train-labels-idx1-ubyte.gz";
const std::filesystem::path kTestImages = kFashionDir / "t10k-images-idx3-ubyte.gz";

/// The first `limit` decompressed bytes of a gzip file (all of it when limit is 0).
std::string gunzip(const std::filesystem::path &path, std::size_t limit = 0)
{
    gzFile file = gzopen(path.c_str(), "rb");
    std::string out;
    char buffer[1 << 16];
    int got = 0;
    while ((limit == 0 || out.size() < limit) && (got = gzread(file, buffer, sizeof buffer)) > 0)
        out.append(buffer, std::size_t(got));
    gzclose(file);
    return limit ? out.substr(0, limit) : out;
}

void writeRaw(const std::filesystem::path &path, const std::string &bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

void writeGz(const std::filesystem::path &path, const std::string &bytes)
{
    gzFile file = gzopen(path.c_str(), "wb");
    if (!bytes.empty())
        gzwrite(file, bytes.data(), unsigned(bytes.size()));
    gzclose(file);
}

void putBigEndian(std::string &bytes, std::size_t offset, std::uint32_t value)
{
    for (int i = 0; i < 4; ++i)
        bytes[offset + std::size_t(i)] = char((value >> (24 - 8 * i)) & 0xff);
}

} // namespace

class TestIdxReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void trainSetMatchesTheFile();
    void testSetHasTenThousand();
    void fashionMnistLoadsFast();
    void missingDirectoryNamesThePackage();
    void uncompressedFileReads();
    void corruptInputIsAClearError_data();
    void corruptInputIsAClearError();

private:
    std::filesystem::path tmp(const char *name) const
    {
        return m_dir.path().toStdString() + "/" + name;
    }
    void writeCorruptFiles();

    QTemporaryDir m_dir;
};

void TestIdxReader::initTestCase()
{
    if (!std::filesystem::exists(kTrainImages))
        QSKIP("Fashion-MNIST is not installed (package dataset-fashion-mnist)");
    QVERIFY(m_dir.isValid());
    writeCorruptFiles();
}

void TestIdxReader::trainSetMatchesTheFile()
{
    auto images = readIdxImages(kTrainImages);
    QVERIFY2(images.has_value(), images ? "" : images.error().toString().c_str());
    QCOMPARE(images->sizes().vec(), (std::vector<std::int64_t>{60000, 1, 28, 28}));
    QCOMPARE(images->scalar_type(), torch::kByte);
    // Computed once from the file with /usr/bin/python3:
    //   d = gzip.open('train-images-idx3-ubyte.gz').read(); sum(d[16:16 + 784]) == 76247
    QCOMPARE((*images)[0].sum().item<std::int64_t>(), std::int64_t(76247));

    auto labels = readIdxLabels(kTrainLabels);
    QVERIFY(labels.has_value());
    QCOMPARE(labels->scalar_type(), torch::kLong);
    QCOMPARE(labels->size(0), std::int64_t(60000));
    QCOMPARE((*labels)[0].item<std::int64_t>(), std::int64_t(9)); // "Ankle boot"
    QCOMPARE(labels->min().item<std::int64_t>(), std::int64_t(0));
    QCOMPARE(labels->max().item<std::int64_t>(), std::int64_t(9));
    const torch::Tensor perClass = torch::bincount(*labels);
    QVERIFY(perClass.eq(6000).all().item<bool>());
}

void TestIdxReader::testSetHasTenThousand()
{
    auto test = loadFashionMnist(kFashionDir, Split::Test);
    QVERIFY2(test.has_value(), test ? "" : test.error().toString().c_str());
    QCOMPARE((*test)->size(), std::int64_t(10000));
    QCOMPARE((*test)->sampleShape(), (std::vector<std::int64_t>{1, 28, 28}));
    QCOMPARE((*test)->classNames().size(), std::size_t(10));
    QCOMPARE((*test)->classNames().front(), std::string("T-shirt/top"));
    QCOMPARE((*test)->classNames().back(), std::string("Ankle boot"));
    QVERIFY(!(*test)->description().empty());
    const torch::Tensor x = (*test)->images(torch::arange(4));
    QCOMPARE(x.scalar_type(), torch::kFloat);
    QVERIFY(x.min().item<float>() >= 0.0f && x.max().item<float>() <= 1.0f);
}

void TestIdxReader::fashionMnistLoadsFast()
{
    QElapsedTimer timer;
    timer.start();
    auto train = loadFashionMnist(kFashionDir, Split::Train);
    const qint64 ms = timer.elapsed();
    QVERIFY(train.has_value());
    QCOMPARE((*train)->size(), std::int64_t(60000));
    qInfo("loadFashionMnist(Train): %lld ms for 60,000 images", ms);
    QVERIFY2(ms < 2000, "reading 60,000 images should take well under a second");
}

void TestIdxReader::missingDirectoryNamesThePackage()
{
    auto missing = loadFashionMnist("/nonexistent/lathe/fashion", Split::Train);
    QVERIFY(!missing.has_value());
    QCOMPARE(missing.error().code, ErrorCode::NotFound);
    QVERIFY(missing.error().message.find("dataset-fashion-mnist") != std::string::npos);
    QVERIFY(missing.error().message.find("data.path") != std::string::npos);
    QVERIFY(missing.error().context.find("/nonexistent/lathe/fashion") != std::string::npos);
}

void TestIdxReader::uncompressedFileReads()
{
    std::string bytes = gunzip(kTestImages, 16 + 100 * 784);
    putBigEndian(bytes, 4, 100);
    writeRaw(tmp("raw-images"), bytes);
    auto raw = readIdxImages(tmp("raw-images"));
    QVERIFY2(raw.has_value(), raw ? "" : raw.error().toString().c_str());
    auto full = readIdxImages(kTestImages);
    QVERIFY(full.has_value());
    QVERIFY(raw->equal(full->narrow(0, 0, 100)));
}

void TestIdxReader::writeCorruptFiles()
{
    const std::string header = gunzip(kTrainImages, 16 + 1000);
    writeGz(tmp("short-header.gz"), header.substr(0, 10));
    writeGz(tmp("short-pixels.gz"), header);
    writeGz(tmp("empty.gz"), "");
    writeRaw(tmp("empty-raw"), "");

    std::string images = gunzip(kTestImages); // 10,000 images
    std::string bad = images;
    bad[0] = char(0x12);
    writeGz(tmp("bad-magic.gz"), bad);
    bad = images;
    bad[2] = char(0x0d); // IDX code for float
    writeGz(tmp("float-type.gz"), bad);
    bad = images;
    putBigEndian(bad, 4, 1000000000u);
    writeGz(tmp("billion.gz"), bad);
    bad = images;
    putBigEndian(bad, 4, 20000u);
    writeGz(tmp("claims-more.gz"), bad);
    bad = images;
    putBigEndian(bad, 4, 5000u);
    writeGz(tmp("claims-fewer.gz"), bad);

    std::string compressed = lathe::testing::readFile(kTestImages);
    for (std::size_t i = compressed.size() / 2; i < compressed.size() / 2 + 16; ++i)
        compressed[i] = char(~compressed[i]);
    writeRaw(tmp("flipped.gz"), compressed);
    writeRaw(tmp("cut.gz"), lathe::testing::readFile(kTestImages).substr(0, compressed.size() / 2));

    std::string labels = gunzip(kFashionDir / "t10k-labels-idx1-ubyte.gz");
    writeGz(tmp("labels-ok.gz"), labels);
    labels[8 + 5] = char(10);
    writeGz(tmp("labels-out-of-range.gz"), labels);
    writeGz(tmp("images-10k.gz"), images);
    writeGz(tmp("images-100.gz"), [&] {
        std::string first = images.substr(0, 16 + 100 * 784);
        putBigEndian(first, 4, 100);
        return first;
    }());
}

void TestIdxReader::corruptInputIsAClearError_data()
{
    QTest::addColumn<QString>("kind");   // images, labels or pair
    QTest::addColumn<QString>("file");   // images file (or labels file for kind labels)
    QTest::addColumn<QString>("labels"); // labels file for kind pair
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("phrase");
    QTest::addColumn<QString>("named"); // the file the error must name

    const int bad = int(ErrorCode::BadInput);
    const int io = int(ErrorCode::Io);
    QTest::newRow("truncated header") << "images"
                                      << "short-header.gz"
                                      << "" << bad << "truncated header: expected 16 bytes"
                                      << "short-header.gz";
    QTest::newRow("truncated pixel data")
        << "images"
        << "short-pixels.gz"
        << "" << bad << "expected 47040000 bytes of pixel data after the 16-byte header, found 1000"
        << "short-pixels.gz";
    QTest::newRow("bad magic") << "images"
                               << "bad-magic.gz"
                               << "" << bad << "bad magic number 0x12000803: expected 0x00000803"
                               << "bad-magic.gz";
    QTest::newRow("wrong type code") << "images"
                                     << "float-type.gz"
                                     << "" << bad << "data type code 0x0d: expected 0x08"
                                     << "float-type.gz";
    QTest::newRow("lying dims, absurd") << "images"
                                        << "billion.gz"
                                        << "" << bad << "more than the 2147483648"
                                        << "billion.gz";
    QTest::newRow("lying dims, more than held")
        << "images"
        << "claims-more.gz"
        << "" << bad
        << "expected 15680000 bytes of pixel data after the 16-byte header, found 7840000"
        << "claims-more.gz";
    QTest::newRow("lying dims, fewer than held") << "images"
                                                 << "claims-fewer.gz"
                                                 << "" << bad << "expected end of file"
                                                 << "claims-fewer.gz";
    QTest::newRow("corrupt gzip") << "images"
                                  << "flipped.gz"
                                  << "" << bad << "corrupt gzip stream"
                                  << "flipped.gz";
    QTest::newRow("cut gzip") << "images"
                              << "cut.gz"
                              << "" << bad << "truncated gzip stream"
                              << "cut.gz";
    QTest::newRow("empty gzip") << "images"
                                << "empty.gz"
                                << "" << bad << "found 0"
                                << "empty.gz";
    QTest::newRow("empty file") << "labels"
                                << "empty-raw"
                                << "" << bad << "truncated header: expected 8 bytes"
                                << "empty-raw";
    QTest::newRow("missing file") << "images"
                                  << "missing.gz"
                                  << "" << io << "does not exist"
                                  << "missing.gz";
    QTest::newRow("images given as labels") << "labels"
                                            << "images-100.gz"
                                            << "" << bad << "has 3 dimensions: expected 1"
                                            << "images-100.gz";
    QTest::newRow("label out of range")
        << "pair"
        << "images-10k.gz"
        << "labels-out-of-range.gz" << bad << "label 10 at index 5 is out of range: expected 0..9"
        << "labels-out-of-range.gz";
    QTest::newRow("count mismatch")
        << "pair"
        << "images-100.gz"
        << "labels-ok.gz" << bad << "has 100 images but the label file has 10000"
        << "labels-ok.gz";
}

void TestIdxReader::corruptInputIsAClearError()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(QString, labels);
    QFETCH(int, code);
    QFETCH(QString, phrase);
    QFETCH(QString, named);

    const auto path = tmp(file.toUtf8().constData());
    std::optional<lathe::Error> error;
    if (kind == "images") {
        if (auto r = readIdxImages(path); !r)
            error = r.error();
    } else if (kind == "labels") {
        if (auto r = readIdxLabels(path); !r)
            error = r.error();
    } else {
        auto r = loadIdxPair(path, tmp(labels.toUtf8().constData()), fashionMnistClassNames());
        if (!r)
            error = r.error();
    }
    QVERIFY2(error.has_value(), "corrupt input was accepted");
    const std::string text = error->toString();
    qDebug("%s", text.c_str());
    QCOMPARE(int(error->code), code);
    QVERIFY2(text.find(named.toStdString()) != std::string::npos, text.c_str());
    QVERIFY2(text.find(phrase.toStdString()) != std::string::npos, text.c_str());
}

LATHE_TEST_GUILESS_MAIN(TestIdxReader)
#include "tst_idx_reader.moc"
