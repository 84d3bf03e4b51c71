#include "core/data/image_folder.h"
#include "tests/test_registry.h"

#include <stb/stb_image_write.h>

#include <torch/torch.h>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>

using lathe::ErrorCode;
using lathe::data::ImageFolderOptions;
using lathe::data::loadImageFolder;
namespace fs = std::filesystem;

namespace {

/// Writes a w x h PNG whose byte k (row-major, interleaved) is (seed + k) % 256.
void writePng(const fs::path &path, int w, int h, int comp, int seed)
{
    fs::create_directories(path.parent_path());
    std::vector<std::uint8_t> pixels(std::size_t(w * h * comp));
    for (std::size_t k = 0; k < pixels.size(); ++k)
        pixels[k] = std::uint8_t((seed + int(k)) % 256);
    QVERIFY(stbi_write_png(path.c_str(), w, h, comp, pixels.data(), w * comp) != 0);
}

void writeRandomBytes(const fs::path &path, std::size_t size)
{
    std::mt19937 rng(7);
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < size; ++i)
        out.put(char(rng() & 0xff));
}

} // namespace

class TestImageFolder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void loadsClassesInOrder()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        writePng(root / "cat" / "b.png", 4, 3, 1, 10);
        writePng(root / "cat" / "a.PNG", 4, 3, 1, 20);
        writePng(root / "dog" / "c.png", 4, 3, 3, 30);
        writePng(root / "dog" / "big.png", 8, 6, 4, 40); // RGBA and larger: resized to 4x3
        fs::create_directories(root / "empty");
        std::ofstream(root / "dog" / "notes.txt") << "not an image";

        auto loaded = loadImageFolder(root);
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().toString().c_str());
        const auto &dataset = **loaded;
        QCOMPARE(dataset.classNames(), (std::vector<std::string>{"cat", "dog"}));
        QCOMPARE(dataset.size(), std::int64_t(4));
        QCOMPARE(dataset.sampleShape(), (std::vector<std::int64_t>{3, 3, 4})); // colour wins
        QVERIFY(dataset.labels().equal(torch::tensor({0, 0, 1, 1}, torch::kLong)));
        QCOMPARE(dataset.files()[0].filename().string(), std::string("a.PNG"));
        QCOMPARE(dataset.files()[2].filename().string(), std::string("big.png"));
        QVERIFY(dataset.unreadable().empty());
        QVERIFY(QString::fromStdString(dataset.description()).contains("4 images, 2 classes"));

        // Grayscale a.PNG (seed 20) is replicated to all three channels, byte for byte.
        const torch::Tensor first = dataset.rawImages()[0];
        const torch::Tensor expected
            = torch::arange(20, 32, torch::kInt).remainder(256).to(torch::kByte).view({3, 4});
        for (int ch = 0; ch < 3; ++ch)
            QVERIFY(first[ch].equal(expected));
        // RGB c.png (seed 30) is de-interleaved into planes: channel 1 of pixel 0 is byte 1.
        QCOMPARE(int(dataset.rawImages()[3][1][0][0].item<std::uint8_t>()), 31);
    }

    void grayscaleOnlyGivesOneChannel()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        writePng(root / "a" / "1.png", 5, 5, 1, 0);
        writePng(root / "b" / "2.png", 5, 5, 2, 0); // gray + alpha: alpha dropped
        auto loaded = loadImageFolder(root);
        QVERIFY(loaded.has_value());
        QCOMPARE((*loaded)->sampleShape(), (std::vector<std::int64_t>{1, 5, 5}));
    }

    void requestedSizeResizesEverything()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        writePng(root / "a" / "1.png", 10, 7, 3, 0);
        writePng(root / "a" / "2.png", 3, 3, 3, 0);
        auto loaded = loadImageFolder(root, ImageFolderOptions{16, 12});
        QVERIFY(loaded.has_value());
        QCOMPARE((*loaded)->sampleShape(), (std::vector<std::int64_t>{3, 12, 16}));
        QCOMPARE((*loaded)->size(), std::int64_t(2));
    }

    void corruptFileIsReportedNotFatal()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        writePng(root / "a" / "good.png", 6, 6, 1, 0);
        writeRandomBytes(root / "a" / "x.png", 500);
        std::ofstream(root / "a" / "zero.jpg").flush(); // empty file
        auto loaded = loadImageFolder(root);
        QVERIFY(loaded.has_value());
        QCOMPARE((*loaded)->size(), std::int64_t(1));
        const auto &unreadable = (*loaded)->unreadable();
        QCOMPARE(unreadable.size(), std::size_t(2));
        QCOMPARE(unreadable[0].path, root / "a" / "x.png");
        QVERIFY(!unreadable[0].reason.empty());
        QCOMPARE(unreadable[1].path, root / "a" / "zero.jpg");
    }

    void anImageWithNoRowsIsReportedNotResized()
    {
        // A 24-bit BMP whose header says 4 x 0 pixels: stb_image decodes it, and resizing it to
        // the folder's size divided by zero (UBSan: NaN converted to int, in the fuzzer).
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        writePng(root / "a" / "good.png", 6, 6, 1, 0);
        const std::uint8_t header[54]
            = {'B', 'M', 54, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, // file header, pixels at 54
               40,  0,   0,  0,                                // info header size
               4,   0,   0,  0,                                // width
               0,   0,   0,  0,                                // height
               1,   0,   24, 0}; // planes, bits per pixel; no compression
        std::ofstream(root / "a" / "empty.bmp", std::ios::binary)
            .write(reinterpret_cast<const char *>(header), sizeof header);
        auto loaded = loadImageFolder(root);
        QVERIFY(loaded.has_value());
        QCOMPARE((*loaded)->size(), std::int64_t(1));
        const auto &unreadable = (*loaded)->unreadable();
        QCOMPARE(unreadable.size(), std::size_t(1));
        QCOMPARE(unreadable[0].path, root / "a" / "empty.bmp");
        QVERIFY2(unreadable[0].reason.find("4x0") != std::string::npos,
                 unreadable[0].reason.c_str());
    }

    void onlyCorruptFilesFailNamingOne()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        fs::create_directories(root / "a");
        writeRandomBytes(root / "a" / "x.png", 100);
        auto loaded = loadImageFolder(root);
        QVERIFY(!loaded.has_value());
        QCOMPARE(loaded.error().code, ErrorCode::BadInput);
        QVERIFY(QString::fromStdString(loaded.error().message).contains("x.png"));
    }

    void emptyFolderIsAClearError()
    {
        QTemporaryDir dir;
        fs::create_directories(fs::path(dir.path().toStdString()) / "no_images_here");
        auto loaded = loadImageFolder(dir.path().toStdString());
        QVERIFY(!loaded.has_value());
        QCOMPARE(loaded.error().code, ErrorCode::BadInput);
        QVERIFY(QString::fromStdString(loaded.error().message).contains("no images found"));
        QCOMPARE(loaded.error().context, dir.path().toStdString());
    }

    void missingFolderIsNotFound()
    {
        auto loaded = loadImageFolder("/nonexistent/lathe/folder");
        QVERIFY(!loaded.has_value());
        QCOMPARE(loaded.error().code, ErrorCode::NotFound);
        QCOMPARE(loaded.error().context, std::string("/nonexistent/lathe/folder"));
    }

    void progressAndCancellation()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        for (int i = 0; i < 3; ++i)
            writePng(root / "a" / (std::to_string(i) + ".png"), 2, 2, 1, i);
        std::int64_t lastDone = -1, lastTotal = -1;
        auto loaded = loadImageFolder(root, {}, {}, [&](std::int64_t done, std::int64_t total) {
            lastDone = done;
            lastTotal = total;
        });
        QVERIFY(loaded.has_value());
        QCOMPARE(lastDone, std::int64_t(3));
        QCOMPARE(lastTotal, std::int64_t(3));

        std::stop_source stop;
        stop.request_stop();
        auto cancelled = loadImageFolder(root, {}, stop.get_token());
        QVERIFY(!cancelled.has_value());
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }
};

LATHE_TEST_GUILESS_MAIN(TestImageFolder)
#include "tst_image_folder.moc"
