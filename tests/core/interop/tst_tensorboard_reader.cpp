#include "core/interop/tensorboard_reader.h"

#include "event_file_writer.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe::interop;
using namespace lathe::testing;
namespace fs = std::filesystem;

namespace {

const SourceSeries *seriesOf(const SourceRun &run, const std::string &key)
{
    for (const auto &s : run.series)
        if (s.key == key)
            return &s;
    return nullptr;
}

} // namespace

class TestTensorBoardReader : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path root() const { return fs::path(m_dir.path().toStdString()); }

private Q_SLOTS:
    // PyTorch's SummaryWriter: simple_value scalars; steps, wall times and tags as written.
    void simpleValues()
    {
        EventFileBuilder file;
        file.add(fileVersionEvent(1000.0));
        for (int step = 0; step < 5; ++step) {
            file.scalar(1000.5 + step, step * 10, "train/loss", 2.0f - 0.25f * float(step));
            file.scalar(1000.6 + step, step * 10, "lr", 0.1f);
        }
        const auto path = root() / "simple" / "events.out.tfevents.1000.host.1.0";
        file.write(path);
        auto runs = findTensorBoardRuns(path);
        QVERIFY2(runs, runs ? "" : runs.error().toString().c_str());
        QCOMPARE(runs->size(), std::size_t(1));
        QCOMPARE(runs->front().name, std::string("simple"));
        QCOMPARE(runs->front().identity, "import:" + fs::canonical(path).string());
        auto run = readTensorBoardRun(runs->front());
        QVERIFY(run);
        QVERIFY(run->issues.empty());
        QCOMPARE(run->series.size(), std::size_t(2));
        const auto *loss = seriesOf(*run, "train/loss");
        QVERIFY(loss);
        QCOMPARE(loss->samples.size(), std::size_t(5));
        QCOMPARE(loss->samples[3].step, 30);
        QCOMPARE(loss->samples[3].value, 1.25);
        QCOMPARE(loss->samples[3].wallTime, 1003.5);
        QCOMPARE(run->startedAt, 1000.0);
        QCOMPARE(run->endedAt, 1004.6);
    }

    // TF 2's tf.summary.scalar: a one-element float tensor, the "scalars" plugin named in the
    // metadata of the tag's first value only; a histogram plugin's tensors are not scalars.
    void tensorScalars()
    {
        EventFileBuilder file;
        file.add(fileVersionEvent(50.0));
        for (int step = 0; step < 4; ++step) {
            file.add(
                eventWith(51.0 + step, step,
                          tensorValue("val/accuracy", 0.5f + 0.125f * float(step), step == 0)));
            file.add(eventWith(51.0 + step, step,
                               tensorValue("weights", 1.0f, step == 0, "histograms")));
        }
        file.write(root() / "tf2" / "events.out.tfevents.50.host");
        auto runs = findTensorBoardRuns(root() / "tf2");
        QVERIFY(runs);
        auto run = readTensorBoardRun(runs->front());
        QVERIFY(run);
        QCOMPARE(run->series.size(), std::size_t(1));
        QCOMPARE(run->series[0].key, std::string("val/accuracy"));
        QCOMPARE(run->series[0].samples.size(), std::size_t(4));
        QCOMPARE(run->series[0].samples[3].value, 0.875);
        QCOMPARE(run->otherValues, 4);
    }

    // A log folder: one run per folder holding event files, named by its path; a restarted
    // writer's second file continues the same run.
    void foldersAreRuns()
    {
        const auto logs = root() / "logs";
        EventFileBuilder a1, a2, b;
        a1.scalar(10, 1, "loss", 1.0f);
        a2.scalar(20, 2, "loss", 0.5f);
        b.scalar(30, 1, "loss", 3.0f);
        a1.write(logs / "lr-0.1" / "events.out.tfevents.10.h");
        a2.write(logs / "lr-0.1" / "events.out.tfevents.20.h");
        b.write(logs / "lr-0.1" / "eval" / "events.out.tfevents.30.h");
        std::ofstream(logs / "notes.txt") << "not an event file";
        auto runs = findTensorBoardRuns(logs);
        QVERIFY(runs);
        QCOMPARE(runs->size(), std::size_t(2));
        QCOMPARE((*runs)[0].name, std::string("lr-0.1"));
        QCOMPARE((*runs)[1].name, std::string("lr-0.1/eval"));
        QCOMPARE((*runs)[0].files.size(), std::size_t(2));
        auto run = readTensorBoardRun((*runs)[0]);
        QVERIFY(run);
        QCOMPARE(run->series[0].samples.size(), std::size_t(2));
        QCOMPARE(run->series[0].samples[1].value, 0.5);
    }

    // A damaged record in the middle is reported with its file and byte offset and the events
    // after it are read; a record that parses as no Event is reported too.
    void corruptRecordReportedWithOffset()
    {
        EventFileBuilder file;
        for (int step = 0; step < 10; ++step)
            file.scalar(100 + step, step, "loss", float(step));
        file.add("\xFF\xFF\xFF"); // framing intact, protobuf garbage
        file.bytes()[std::size_t(file.offsets()[4]) + 14] ^= 0x01;
        const auto path = root() / "corrupt" / "events.out.tfevents.1.h";
        file.write(path);
        auto run = readTensorBoardRun(findTensorBoardRuns(path)->front());
        QVERIFY(run);
        QCOMPARE(run->series[0].samples.size(), std::size_t(9));
        QCOMPARE(run->series[0].samples[4].step, 5);
        QCOMPARE(run->issues.size(), std::size_t(2));
        QCOMPARE(run->issues[0].offset, file.offsets()[4]);
        QCOMPARE(run->issues[0].file, path.string());
        QCOMPARE(run->issues[1].offset, file.offsets()[10]);
        QVERIFY(run->issues[1].message.find("not an Event") != std::string::npos);
        const auto text = run->issues[0].toString();
        QVERIFY2(text.starts_with(path.string() + ": byte " + std::to_string(file.offsets()[4])
                                  + ": bad data checksum"),
                 text.c_str());
    }

    void notAnEventFile()
    {
        const auto path = root() / "plain.txt";
        std::ofstream(path) << "hello";
        auto runs = findTensorBoardRuns(path);
        QVERIFY(!runs);
        QCOMPARE(runs.error().code, lathe::ErrorCode::InvalidArgument);
        fs::create_directories(root() / "nothing");
        auto none = findTensorBoardRuns(root() / "nothing");
        QVERIFY(!none);
        QCOMPARE(none.error().code, lathe::ErrorCode::NotFound);
    }
};

LATHE_TEST_GUILESS_MAIN(TestTensorBoardReader)
#include "tst_tensorboard_reader.moc"
