#include "core/interop/mlflow_reader.h"

#include "core/util/text.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace lathe::interop {

namespace fs = std::filesystem;

namespace {

using Meta = std::map<std::string, std::string>;

std::string unquote(std::string value)
{
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')
        && value.back() == value.front())
        value = value.substr(1, value.size() - 2);
    return value == "null" ? std::string() : value;
}

// The top-level "key: value" lines of an MLflow meta.yaml (its only nesting is "tags: []").
Meta readMeta(const fs::path &file)
{
    Meta meta;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-')
            continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const std::string_view text(line);
        meta[std::string(util::trimmed(text.substr(0, colon)))]
            = unquote(std::string(util::trimmed(text.substr(colon + 1))));
    }
    return meta;
}

std::string metaValue(const Meta &meta, const std::string &key)
{
    const auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
}

Result<std::string> readText(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, "cannot read the file", file.string());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// One line of text: MLflow values may hold newlines, Lathe's tags may not.
std::string oneLine(std::string text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    for (char &c : text)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return text;
}

// Every regular file under `folder` as (key with '/' separators, path), sorted by key.
std::vector<std::pair<std::string, fs::path>> keyFiles(const fs::path &folder)
{
    std::vector<std::pair<std::string, fs::path>> files;
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        return files;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec))
            files.emplace_back(it->path().lexically_relative(folder).generic_string(), it->path());
    std::sort(files.begin(), files.end());
    return files;
}

template<typename T>
bool parseField(std::string_view text, T &value)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

// "timestamp_ms value [step]"; false when the line is not one.
bool parseMetricLine(std::string_view line, SourceSample &sample)
{
    std::string_view fields[3];
    int n = 0;
    std::size_t at = 0;
    while (at < line.size()) {
        const auto start = line.find_first_not_of(' ', at);
        if (start == std::string_view::npos)
            break;
        const auto stop = std::min(line.find(' ', start), line.size());
        if (n == 3)
            return false;
        fields[n++] = line.substr(start, stop - start);
        at = stop;
    }
    std::int64_t timestampMs = 0;
    if (n < 2 || !parseField(fields[0], timestampMs) || !parseField(fields[1], sample.value))
        return false;
    sample.step = 0;
    if (n == 3 && !parseField(fields[2], sample.step))
        return false;
    sample.wallTime = static_cast<double>(timestampMs) / 1000.0;
    return true;
}

SourceSeries readMetric(const std::string &key, const fs::path &file,
                        std::vector<ImportIssue> &issues)
{
    SourceSeries series{key, {}};
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        issues.push_back({file.string(), -1, 0, "cannot read the file"});
        return series;
    }
    std::string line;
    std::int64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        SourceSample sample;
        if (parseMetricLine(line, sample))
            series.samples.push_back(sample);
        else
            issues.push_back({file.string(), -1, number,
                              "expected \"timestamp value step\", found \"" + line + "\""});
    }
    return series;
}

track::RunStatus statusOf(const std::string &code)
{
    // mlflow.entities.RunStatus: 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED.
    if (code == "3" || code == "FINISHED")
        return track::RunStatus::Finished;
    if (code == "4" || code == "FAILED")
        return track::RunStatus::Failed;
    return track::RunStatus::Stopped;
}

double millis(const std::string &text)
{
    std::int64_t ms = 0;
    return parseField(text, ms) ? static_cast<double>(ms) / 1000.0 : 0.0;
}

bool isRunFolder(const fs::path &folder, const Meta &meta)
{
    std::error_code ec;
    return !metaValue(meta, "run_id").empty() || !metaValue(meta, "run_uuid").empty()
           || fs::is_directory(folder / "metrics", ec) || fs::is_directory(folder / "params", ec);
}

void readKeyValues(const RunSource &source, SourceRun &run)
{
    for (const auto &[key, file] : keyFiles(source.location / "params")) {
        auto value = readText(file);
        if (!value)
            run.issues.push_back({file.string(), -1, 0, value.error().message});
        else
            run.params.emplace_back(key, *value);
    }
    for (const auto &[key, file] : keyFiles(source.location / "metrics"))
        run.series.push_back(readMetric(key, file, run.issues));
    for (const auto &[key, file] : keyFiles(source.location / "tags")) {
        auto value = readText(file);
        if (!value) {
            run.issues.push_back({file.string(), -1, 0, value.error().message});
        } else if (key.starts_with("mlflow.")) {
            run.details.emplace_back(key, *value);
            if (key == "mlflow.runName" && run.name.empty())
                run.name = oneLine(*value);
        } else {
            run.tags.push_back(key + ":" + oneLine(*value));
        }
    }
}

} // namespace

Result<std::vector<RunSource>> findMlflowRuns(const fs::path &path)
{
    std::vector<RunSource> runs;
    std::error_code ec;
    if (!fs::is_directory(path, ec))
        return fail(ErrorCode::InvalidArgument,
                    "an MLflow store is a folder (mlruns, an experiment's or a run's folder)",
                    path.string());
    auto consider = [&](const fs::path &folder) {
        if (!fs::is_regular_file(folder / "meta.yaml", ec))
            return;
        const Meta meta = readMeta(folder / "meta.yaml");
        if (!isRunFolder(folder, meta) || metaValue(meta, "lifecycle_stage") == "deleted")
            return;
        std::string id = metaValue(meta, "run_id");
        if (id.empty())
            id = folder.filename().string();
        std::string name = metaValue(meta, "run_name");
        runs.push_back({SourceFormat::MLflow, folder, {}, name, "import:mlflow:" + id});
    };
    consider(path);
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_directory(ec))
            continue;
        const auto name = it->path().filename().string();
        if (name.starts_with(".") || name == "artifacts") {
            it.disable_recursion_pending();
            continue;
        }
        consider(it->path());
    }
    if (ec)
        return fail(ErrorCode::Io, "cannot read the folder: " + ec.message(), path.string());
    if (runs.empty())
        return fail(ErrorCode::NotFound, "no MLflow runs (<experiment>/<run>/meta.yaml)",
                    path.string());
    std::sort(runs.begin(), runs.end(),
              [](const auto &a, const auto &b) { return a.location < b.location; });
    return runs;
}

Result<SourceRun> readMlflowRun(const RunSource &source)
{
    const fs::path metaFile = source.location / "meta.yaml";
    if (auto text = readText(metaFile); !text)
        return std::unexpected(text.error());
    const Meta meta = readMeta(metaFile);
    SourceRun run;
    run.source = source;
    run.name = source.name;
    run.startedAt = millis(metaValue(meta, "start_time"));
    run.endedAt = millis(metaValue(meta, "end_time"));
    run.status = statusOf(metaValue(meta, "status"));
    run.tags = {"mlflow"};
    const Meta experiment = readMeta(source.location.parent_path() / "meta.yaml");
    if (const auto name = metaValue(experiment, "name"); !name.empty())
        run.tags.push_back("experiment:" + oneLine(name));
    readKeyValues(source, run);
    for (const auto *key : {"run_id", "experiment_id", "user_id", "source_name", "artifact_uri"})
        if (const auto value = metaValue(meta, key); !value.empty())
            run.details.emplace_back(key, value);
    if (run.name.empty())
        run.name = metaValue(meta, "run_id").empty() ? source.location.filename().string()
                                                     : metaValue(meta, "run_id");
    return run;
}

} // namespace lathe::interop
