#include "core/interop/metrics_export.h"

#include "core/track/run_store.h"
#include "core/util/file_name.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace lathe::interop {

namespace fs = std::filesystem;

namespace {

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csvField(const std::string &text)
{
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string number(double value)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

Result<std::int64_t> writeCsv(track::RunStore &store, const track::RunInfo &run,
                              const fs::path &file)
{
    auto keys = store.metricKeys(run.id);
    if (!keys)
        return std::unexpected(keys.error());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail(ErrorCode::Io, "cannot write the file", file.string());
    out << kMetricsCsvHeader << '\n';
    const std::string name = csvField(run.name);
    std::int64_t rows = 0;
    for (const auto &key : *keys) {
        auto series = store.metricSeries(run.id, key);
        if (!series)
            return std::unexpected(series.error());
        const std::string keyField = csvField(key);
        for (const auto &row : *series) {
            out << name << ',' << keyField << ',' << row.step << ',' << number(row.epoch) << ','
                << number(row.wallTime) << ',' << number(row.value) << '\n';
            ++rows;
        }
    }
    out.flush();
    if (!out)
        return fail(ErrorCode::Io, "writing failed (disk full?)", file.string());
    return rows;
}

Result<void> writeConfig(const track::RunInfo &run, const fs::path &file)
{
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(run.configJson);
    } catch (const nlohmann::json::exception &e) {
        return fail(ErrorCode::BadInput, std::string("the stored config is not JSON: ") + e.what(),
                    "run " + std::to_string(run.id));
    }
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail(ErrorCode::Io, "cannot write the file", file.string());
    out << config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out.flush();
    if (!out)
        return fail(ErrorCode::Io, "writing failed (disk full?)", file.string());
    return {};
}

Result<void> makeFolder(const fs::path &outDir)
{
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec || !fs::is_directory(outDir))
        return fail(ErrorCode::Io,
                    "cannot create the output folder: "
                        + (ec ? ec.message() : std::string("a file is in the way")),
                    outDir.string());
    return {};
}

} // namespace

Result<std::vector<ExportedMetrics>>
exportMetrics(const fs::path &db, const std::vector<std::string> &runs, const fs::path &outDir)
{
    if (runs.empty())
        return fail(ErrorCode::InvalidArgument, "no run given");
    auto store = track::RunStore::openForReading(db);
    if (!store)
        return std::unexpected(store.error());
    std::vector<track::RunInfo> found;
    for (const auto &idOrName : runs) {
        auto run = (*store)->findRun(idOrName);
        if (!run)
            return std::unexpected(run.error());
        found.push_back(std::move(*run));
    }
    if (auto made = makeFolder(outDir); !made)
        return std::unexpected(made.error());
    std::vector<ExportedMetrics> written;
    for (const auto &run : found) {
        const std::string stem = std::to_string(run.id) + "-" + util::safeFileName(run.name, "run");
        ExportedMetrics out{run.id, run.name, outDir / (stem + ".metrics.csv"),
                            outDir / (stem + ".config.json"), 0};
        auto rows = writeCsv(**store, run, out.csv);
        if (!rows)
            return std::unexpected(rows.error());
        out.rows = *rows;
        if (auto done = writeConfig(run, out.config); !done)
            return std::unexpected(done.error());
        written.push_back(std::move(out));
    }
    return written;
}

} // namespace lathe::interop
