#include "core/interop/source_run.h"

namespace lathe::interop {

std::string_view toString(SourceFormat format)
{
    return format == SourceFormat::MLflow ? "mlflow" : "tensorboard";
}

std::optional<SourceFormat> parseSourceFormat(std::string_view text)
{
    if (text == "tensorboard")
        return SourceFormat::TensorBoard;
    if (text == "mlflow")
        return SourceFormat::MLflow;
    return std::nullopt;
}

std::string ImportIssue::toString() const
{
    std::string where = file;
    if (offset >= 0)
        where += ": byte " + std::to_string(offset);
    else if (line > 0)
        where += ": line " + std::to_string(line);
    return where + ": " + message;
}

std::int64_t SourceRun::sampleCount() const
{
    std::int64_t n = 0;
    for (const auto &s : series)
        n += static_cast<std::int64_t>(s.samples.size());
    return n;
}

} // namespace lathe::interop
