#include "core/interop/metrics_export.h"
#include "core/track/run_store.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace lathe;
using namespace lathe::interop;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines(const fs::path &file)
{
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::vector<std::string> fields(const std::string &line)
{
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string field; std::getline(in, field, ',');)
        out.push_back(field);
    return out;
}

} // namespace

class TestMetricsExport : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path m_db;
    std::int64_t m_run = 0;
    std::vector<track::MetricPoint> m_points;

private Q_SLOTS:
    void initTestCase()
    {
        m_db = fs::path(m_dir.path().toStdString()) / "lathe.db";
        auto store = track::RunStore::open(m_db);
        QVERIFY(store);
        auto id = (*store)->createRun(
            {.name = "alpha", .configJson = R"({"optimizer":{"name":"adamw","lr":0.001}})"});
        QVERIFY(id);
        m_run = *id;
        for (int step = 1; step <= 300; ++step) {
            m_points.push_back(
                {m_run, "train/loss", step, step / 100.0, 1.7e9 + step * 0.25, 1.0 / step});
            if (step % 100 == 0)
                m_points.push_back(
                    {m_run, "val/accuracy", step, step / 100.0, 1.7e9 + step, 0.7 + step / 1000.0});
        }
        m_points.push_back({m_run, "val/accuracy", 301, 3.01, 1.7e9 + 301,
                            std::numeric_limits<double>::quiet_NaN()});
        QVERIFY((*store)->addMetrics(m_points));
    }

    // Every stored sample comes back from the CSV with its step, epoch, time and value exactly
    // (%.17g), and the config JSON is the run's config.
    void roundTrip()
    {
        const auto out = fs::path(m_dir.path().toStdString()) / "out" / "nested";
        auto written = exportMetrics(m_db, {"alpha"}, out);
        QVERIFY2(written, written ? "" : written.error().toString().c_str());
        QCOMPARE(written->size(), std::size_t(1));
        const auto &files = written->front();
        QCOMPARE(files.csv.filename().string(), std::to_string(m_run) + "-alpha.metrics.csv");
        QCOMPARE(files.rows, std::int64_t(m_points.size()));
        const auto text = lines(files.csv);
        QCOMPARE(text.front(), std::string(kMetricsCsvHeader));
        QCOMPARE(text.size(), m_points.size() + 1);
        std::size_t matched = 0;
        for (std::size_t i = 1; i < text.size(); ++i) {
            const auto f = fields(text[i]);
            QCOMPARE(f.size(), std::size_t(6));
            QCOMPARE(f[0], std::string("alpha"));
            const auto step = std::stoll(f[2]);
            for (const auto &p : m_points) {
                if (p.key != f[1] || p.step != step)
                    continue;
                QCOMPARE(std::stod(f[3]), p.epoch);
                QCOMPARE(std::stod(f[4]), p.wallTime);
                if (std::isnan(p.value))
                    QCOMPARE(f[5], std::string("nan"));
                else
                    QCOMPARE(std::stod(f[5]), p.value);
                ++matched;
            }
        }
        QCOMPARE(matched, m_points.size());
        std::ifstream config(files.config);
        const auto json = nlohmann::json::parse(config);
        QCOMPARE(json["optimizer"]["name"].get<std::string>(), std::string("adamw"));
    }

    // An unknown run is refused before anything is written.
    void unknownRunWritesNothing()
    {
        const auto out = fs::path(m_dir.path().toStdString()) / "never";
        auto written = exportMetrics(m_db, {"alpha", "no-such-run"}, out);
        QVERIFY(!written);
        QCOMPARE(written.error().code, ErrorCode::NotFound);
        QVERIFY(written.error().message.find("no-such-run") != std::string::npos);
        QVERIFY(!fs::exists(out));
    }

    void unwritableFolder()
    {
        const auto blocker = fs::path(m_dir.path().toStdString()) / "a-file";
        std::ofstream(blocker) << "x";
        auto written = exportMetrics(m_db, {std::to_string(m_run)}, blocker / "sub");
        QVERIFY(!written);
        QCOMPARE(written.error().code, ErrorCode::Io);
        QVERIFY(written.error().context.find("a-file") != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestMetricsExport)
#include "tst_metrics_export.moc"
