#include "core/interop/tensorboard_reader.h"

#include "core/interop/tf_record_reader.h"
#include "interop/tf_event.pb.h" // generated from tf_event.proto (build/generated/)

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace lathe::interop {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEventPrefix = "events.out.tfevents.";
constexpr std::string_view kScalarsPlugin = "scalars";
constexpr int kDataClassScalar = 1;

// tensorflow/core/framework/types.proto
enum DataType {
    kFloat = 1,
    kDouble = 2,
    kInt32 = 3,
    kInt64 = 9,
    kBool = 10,
    kBfloat16 = 14,
    kHalf = 19
};

double halfToDouble(std::uint16_t bits)
{
    const int exponent = (bits >> 10) & 0x1F;
    const int mantissa = bits & 0x3FF;
    const double sign = (bits & 0x8000) ? -1.0 : 1.0;
    if (exponent == 0)
        return sign * std::ldexp(mantissa, -24);
    if (exponent == 31)
        return mantissa ? std::numeric_limits<double>::quiet_NaN()
                        : sign * std::numeric_limits<double>::infinity();
    return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

template<typename T>
std::optional<double> fromContent(const std::string &content)
{
    if (content.size() != sizeof(T))
        return std::nullopt;
    T value{};
    std::memcpy(&value, content.data(), sizeof(T));
    return static_cast<double>(value);
}

// The one value of a scalar tensor; nullopt when it holds more (or none) or is not numeric.
std::optional<double> tensorScalar(const tf::TensorProto &t)
{
    std::int64_t elements = 1;
    for (const auto &dim : t.tensor_shape().dim())
        elements *= dim.size();
    if (elements != 1)
        return std::nullopt;
    const std::string &c = t.tensor_content();
    switch (t.dtype()) {
    case kFloat:
        return c.empty() ? t.float_val_size() ? std::optional<double>(t.float_val(0)) : std::nullopt
                         : fromContent<float>(c);
    case kDouble:
        return c.empty()
                   ? t.double_val_size() ? std::optional<double>(t.double_val(0)) : std::nullopt
                   : fromContent<double>(c);
    case kInt32:
        return c.empty() ? t.int_val_size() ? std::optional<double>(t.int_val(0)) : std::nullopt
                         : fromContent<std::int32_t>(c);
    case kInt64:
        return c.empty() ? t.int64_val_size() ? std::optional<double>(double(t.int64_val(0)))
                                              : std::nullopt
                         : fromContent<std::int64_t>(c);
    case kBool:
        return t.bool_val_size() ? std::optional<double>(t.bool_val(0) ? 1.0 : 0.0) : std::nullopt;
    case kHalf:
        return t.half_val_size()
                   ? std::optional<double>(halfToDouble(static_cast<std::uint16_t>(t.half_val(0))))
                   : std::nullopt;
    case kBfloat16:
        return t.half_val_size() ? std::optional<double>(
                   std::bit_cast<float>(static_cast<std::uint32_t>(t.half_val(0) & 0xFFFF) << 16))
                                 : std::nullopt;
    default: return std::nullopt;
    }
}

// Reads one run's events into a SourceRun, tag by tag.
class EventCollector
{
public:
    explicit EventCollector(SourceRun &run)
        : m_run(run)
    {
    }

    void startFile(const fs::path &file)
    {
        m_file = file.string();
        m_scalarTags.clear(); // TF 2 writes a tag's metadata once per file
    }

    void record(std::string_view data, std::int64_t offset)
    {
        if (!m_event.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
            m_run.issues.push_back({m_file, offset, 0, "the record is not an Event message"});
            return;
        }
        const double wallTime = m_event.wall_time();
        if (wallTime > 0) {
            m_first = std::min(m_first, wallTime);
            m_last = std::max(m_last, wallTime);
        }
        if (!m_event.has_summary())
            return;
        for (const auto &value : m_event.summary().value()) {
            const auto scalar = scalarOf(value);
            if (!scalar) {
                ++m_run.otherValues;
                continue;
            }
            series(value.tag()).samples.push_back({m_event.step(), wallTime, *scalar});
        }
    }

    void finish()
    {
        if (m_first <= m_last) {
            m_run.startedAt = m_first;
            m_run.endedAt = m_last;
        }
    }

private:
    std::optional<double> scalarOf(const tf::Summary::Value &value)
    {
        if (value.value_case() == tf::Summary::Value::kSimpleValue)
            return value.simple_value();
        if (value.value_case() != tf::Summary::Value::kTensor)
            return std::nullopt;
        if (value.has_metadata()) {
            const auto &meta = value.metadata();
            if (meta.plugin_data().plugin_name() == kScalarsPlugin
                || meta.data_class() == kDataClassScalar)
                m_scalarTags.insert(value.tag());
        }
        if (!m_scalarTags.contains(value.tag()))
            return std::nullopt;
        return tensorScalar(value.tensor());
    }

    SourceSeries &series(const std::string &tag)
    {
        auto [it, added] = m_index.try_emplace(tag, m_run.series.size());
        if (added)
            m_run.series.push_back({tag, {}});
        return m_run.series[it->second];
    }

    SourceRun &m_run;
    tf::Event m_event;
    std::string m_file;
    std::unordered_set<std::string> m_scalarTags;
    std::unordered_map<std::string, std::size_t> m_index;
    double m_first = std::numeric_limits<double>::infinity();
    double m_last = -std::numeric_limits<double>::infinity();
};

std::string runName(const fs::path &root, const fs::path &folder)
{
    const auto relative = folder.lexically_relative(root).generic_string();
    if (relative.empty() || relative == ".") {
        const auto name = fs::absolute(root).lexically_normal().filename().string();
        return name.empty() ? "tensorboard" : name;
    }
    return relative;
}

RunSource makeSource(const fs::path &location, std::vector<fs::path> files, std::string name)
{
    std::sort(files.begin(), files.end());
    std::error_code ec;
    auto absolute = fs::weakly_canonical(fs::absolute(location), ec);
    if (ec)
        absolute = fs::absolute(location).lexically_normal();
    return {SourceFormat::TensorBoard, location, std::move(files), std::move(name),
            "import:" + absolute.string()};
}

} // namespace

bool isEventFileName(const fs::path &file)
{
    return file.filename().string().starts_with(kEventPrefix);
}

Result<std::vector<RunSource>> findTensorBoardRuns(const fs::path &path)
{
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
        if (!isEventFileName(path))
            return fail(ErrorCode::InvalidArgument,
                        "not a TensorBoard event file (expected a name events.out.tfevents.*)",
                        path.string());
        return std::vector<RunSource>{makeSource(path, {path},
                                                 path.parent_path().filename().string().empty()
                                                     ? path.filename().string()
                                                     : path.parent_path().filename().string())};
    }
    std::map<fs::path, std::vector<fs::path>> byFolder;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && isEventFileName(it->path()))
            byFolder[it->path().parent_path()].push_back(it->path());
    if (ec)
        return fail(ErrorCode::Io, "cannot read the folder: " + ec.message(), path.string());
    if (byFolder.empty())
        return fail(ErrorCode::NotFound, "no TensorBoard event files (events.out.tfevents.*)",
                    path.string());
    std::vector<RunSource> runs;
    for (auto &[folder, files] : byFolder)
        runs.push_back(makeSource(folder, std::move(files), runName(path, folder)));
    return runs;
}

Result<SourceRun> readTensorBoardRun(const RunSource &source)
{
    SourceRun run;
    run.source = source;
    run.name = source.name;
    run.tags = {"tensorboard"};
    EventCollector collector(run);
    for (const auto &file : source.files) {
        collector.startFile(file);
        auto scan = readTfRecordFile(file, [&](std::string_view data, std::int64_t offset) {
            collector.record(data, offset);
        });
        if (!scan)
            return std::unexpected(scan.error());
        for (auto &issue : scan->issues)
            run.issues.push_back({file.string(), issue.offset, 0, std::move(issue.message)});
    }
    // Issues in file order: the scan's and the parser's were appended separately.
    std::stable_sort(run.issues.begin(), run.issues.end(), [](const auto &a, const auto &b) {
        return a.file != b.file ? a.file < b.file : a.offset < b.offset;
    });
    collector.finish();
    return run;
}

} // namespace lathe::interop
