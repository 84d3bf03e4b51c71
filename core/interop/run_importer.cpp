#include "core/interop/run_importer.h"

#include "core/interop/mlflow_reader.h"
#include "core/interop/tensorboard_reader.h"
#include "core/track/run_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lathe::interop {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMetricBatch = 65536; // points per transaction
constexpr std::size_t kIssuesInEvent = 100; // the import event lists at most these

bool isMlflowRunFolder(const fs::path &folder)
{
    std::error_code ec;
    return fs::is_regular_file(folder / "meta.yaml", ec)
           && (fs::is_directory(folder / "metrics", ec) || fs::is_directory(folder / "params", ec));
}

// The stored run tagged `identity`; 0 when there is none.
Result<std::int64_t> importedBefore(track::RunStore &store, const std::string &identity)
{
    track::RunQuery query;
    query.text = identity;
    auto runs = store.listRuns(query);
    if (!runs)
        return std::unexpected(runs.error());
    for (const auto &run : *runs)
        if (std::find(run.tags.begin(), run.tags.end(), identity) != run.tags.end())
            return run.id;
    return 0;
}

Result<void> writeMetrics(track::RunStore &store, std::int64_t runId, const SourceRun &run)
{
    std::vector<track::MetricPoint> batch;
    batch.reserve(kMetricBatch);
    auto flush = [&]() -> Result<void> {
        if (batch.empty())
            return {};
        auto added = store.addMetrics(batch);
        batch.clear();
        return added;
    };
    for (const auto &series : run.series) {
        for (const auto &s : series.samples) {
            batch.push_back({runId, series.key, s.step, 0.0, s.wallTime, s.value});
            if (batch.size() == kMetricBatch)
                if (auto done = flush(); !done)
                    return done;
        }
    }
    return flush();
}

std::string importPayload(const SourceRun &run)
{
    nlohmann::json issues = nlohmann::json::array();
    for (std::size_t i = 0; i < std::min(run.issues.size(), kIssuesInEvent); ++i)
        issues.push_back(run.issues[i].toString());
    nlohmann::json details = nlohmann::json::object();
    for (const auto &[key, value] : run.details)
        details[key] = value;
    nlohmann::json files = nlohmann::json::array();
    for (const auto &file : run.source.files)
        files.push_back(file.string());
    return nlohmann::json{{"format", toString(run.source.format)},
                          {"source", run.source.location.string()},
                          {"identity", run.source.identity},
                          {"files", files},
                          {"samples", run.sampleCount()},
                          {"other_values", run.otherValues},
                          {"issue_count", run.issues.size()},
                          {"issues", issues},
                          {"details", details}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

double endOf(const SourceRun &run)
{
    if (run.endedAt > 0)
        return run.endedAt;
    double last = run.startedAt;
    for (const auto &series : run.series)
        for (const auto &s : series.samples)
            last = std::max(last, s.wallTime);
    return last;
}

// Everything of the run after its row: metrics, event, tags, status and times, identity last
// (a run without it was not imported whole, and a second import does not skip it).
Result<void> fillRun(track::RunStore &store, std::int64_t id, const SourceRun &run)
{
    if (auto done = writeMetrics(store, id, run); !done)
        return done;
    if (auto done = store.addEvent({0, id, "import", 0, 0, importPayload(run)}); !done)
        return done;
    for (const auto &tag : run.tags)
        if (auto done = store.addTag(id, tag); !done)
            return done;
    if (auto done = store.setStatus(id, run.status); !done)
        return done;
    if (auto done = store.setTimes(id, run.startedAt, endOf(run)); !done)
        return done;
    return store.addTag(id, run.source.identity);
}

Result<std::int64_t> storeRun(track::RunStore &store, const SourceRun &run)
{
    nlohmann::json config = nlohmann::json::object();
    for (const auto &[key, value] : run.params)
        config[key] = value;
    track::NewRun row;
    row.name = run.name.empty() ? run.source.name : run.name;
    row.configJson = config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto id = store.createRun(row);
    if (!id)
        return std::unexpected(id.error());
    if (auto filled = fillRun(store, *id, run); !filled) {
        (void)store.deleteRun(*id); // no half-imported run left behind
        return std::unexpected(filled.error());
    }
    return *id;
}

Result<ImportedRun> importOne(track::RunStore &store, const RunSource &source)
{
    ImportedRun result{source.name, source.identity};
    auto before = importedBefore(store, source.identity);
    if (!before)
        return std::unexpected(before.error());
    if (*before != 0) {
        auto existing = store.run(*before);
        if (existing)
            result.name = existing->name;
        result.runId = *before;
        result.skipped = true;
        return result;
    }
    auto run = source.format == SourceFormat::MLflow ? readMlflowRun(source)
                                                     : readTensorBoardRun(source);
    if (!run)
        return std::unexpected(run.error());
    auto id = storeRun(store, *run);
    if (!id)
        return std::unexpected(id.error());
    auto stored = store.run(*id);
    result.name = stored ? stored->name : run->name;
    result.runId = *id;
    result.samples = run->sampleCount();
    result.series = run->series.size();
    result.params = run->params.size();
    result.issues = std::move(run->issues);
    return result;
}

} // namespace

std::size_t ImportReport::importedCount() const
{
    return static_cast<std::size_t>(
        std::count_if(runs.begin(), runs.end(), [](const auto &r) { return !r.skipped; }));
}

std::size_t ImportReport::skippedCount() const
{
    return runs.size() - importedCount();
}

std::size_t ImportReport::issueCount() const
{
    std::size_t n = 0;
    for (const auto &run : runs)
        n += run.issues.size();
    return n;
}

Result<SourceFormat> detectFormat(const fs::path &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file or folder", path.string());
    if (!fs::is_directory(path, ec)) {
        if (isEventFileName(path))
            return SourceFormat::TensorBoard;
        return fail(ErrorCode::InvalidArgument,
                    "not a TensorBoard event file (events.out.tfevents.*) nor a folder",
                    path.string());
    }
    bool tensorboard = false;
    bool mlflow = isMlflowRunFolder(path);
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec))
            mlflow = mlflow || isMlflowRunFolder(it->path());
        else
            tensorboard = tensorboard || isEventFileName(it->path());
    }
    if (ec)
        return fail(ErrorCode::Io, "cannot read the folder: " + ec.message(), path.string());
    if (tensorboard && mlflow)
        return fail(ErrorCode::InvalidArgument,
                    "holds both TensorBoard event files and MLflow runs; choose one with "
                    "--format tensorboard|mlflow",
                    path.string());
    if (!tensorboard && !mlflow)
        return fail(ErrorCode::NotFound,
                    "no TensorBoard event files (events.out.tfevents.*) and no MLflow runs "
                    "(<experiment>/<run>/meta.yaml) under it",
                    path.string());
    return tensorboard ? SourceFormat::TensorBoard : SourceFormat::MLflow;
}

Result<ImportReport> importRuns(const fs::path &db, const fs::path &path,
                                const ImportOptions &options)
{
    auto format = options.format ? Result<SourceFormat>(*options.format) : detectFormat(path);
    if (!format)
        return std::unexpected(format.error());
    auto sources
        = *format == SourceFormat::MLflow ? findMlflowRuns(path) : findTensorBoardRuns(path);
    if (!sources)
        return std::unexpected(sources.error());
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    ImportReport report{*format, {}};
    const std::size_t total = sources->size();
    for (std::size_t i = 0; i < total; ++i) {
        if (options.stop.stop_requested())
            return fail(ErrorCode::Cancelled,
                        "import stopped after " + std::to_string(i) + " of " + std::to_string(total)
                            + " runs",
                        path.string());
        const auto &source = (*sources)[i];
        if (options.progress)
            options.progress(i, total, source.name);
        auto imported = importOne(**store, source);
        if (!imported)
            return std::unexpected(imported.error());
        report.runs.push_back(std::move(*imported));
    }
    if (options.progress)
        options.progress(total, total, {});
    return report;
}

} // namespace lathe::interop
