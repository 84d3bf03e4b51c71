#include "core/export/model_card.h"

#include "core/formats/atomic_file.h"
#include "core/util/sha256.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace lathe::exporting {

namespace {

constexpr const char *kCardFormat = "lathe-model-card-1";

bool isCardFile(const std::filesystem::path &relative)
{
    const std::string name = relative.generic_string();
    for (const std::string card : {kModelCardMarkdownName, kModelCardJsonName})
        if (name == card || name == card + ".tmp")
            return true;
    return false;
}

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

// A table cell: pipes and newlines would break the row.
std::string cell(const std::string &text)
{
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else
            out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out;
}

std::string runLabel(const std::string &name, std::int64_t id)
{
    return (name.empty() ? "(unnamed)" : cell(name)) + " (id " + std::to_string(id) + ")";
}

std::string parityText(const ParityResult &p)
{
    if (!p.checked)
        return "**Not checked.** " + p.detail;
    return std::string(p.passed ? "**Passed.**" : "**FAILED.**") + " Largest difference between "
           + "the exported model and Lathe: " + number(p.maxAbsDiff) + " (tolerance "
           + number(p.tolerance) + "). " + p.detail;
}

void writeSummary(std::ostringstream &md, const ModelCard &card)
{
    md << "# Model card: " << (card.runName.empty() ? "(unnamed run)" : card.runName) << "\n\n"
       << "| | |\n| --- | --- |\n"
       << "| Run | " << runLabel(card.runName, card.runId) << " |\n"
       << "| Parent run | "
       << (card.parentRunId ? runLabel(card.parentRunName, card.parentRunId)
                            : std::string("none (trained from scratch)"))
       << " |\n";
    if (!card.createdAt.empty())
        md << "| Exported | " << cell(card.createdAt) << " |\n";
    const auto &e = card.exportOptions;
    md << "\n## Export\n\n| format | quantize | prune |\n| --- | --- | --- |\n"
       << "| " << cell(e.format) << " | " << cell(e.quantize) << " | "
       << (e.prune > 0 ? number(e.prune * 100) + "% of weights zeroed" : std::string("none"))
       << " |\n\n## Parity\n\n"
       << parityText(card.parity) << "\n";
}

void writeTables(std::ostringstream &md, const ModelCard &card,
                 const std::vector<FileDigest> &files)
{
    const auto epsilon = card.metrics.find("privacy/epsilon");
    const auto delta = card.metrics.find("privacy/delta");
    if (epsilon != card.metrics.end() && delta != card.metrics.end())
        md << "\n## Privacy\n\nTrained with DP-SGD: (epsilon = " << number(epsilon->second)
           << ", delta = " << number(delta->second)
           << ")-differential privacy for each training example (RDP accountant, Poisson "
              "sampling; see the config's privacy section).\n";
    md << "\n## Metrics\n\n";
    if (card.metrics.empty())
        md << "No metrics recorded.\n";
    else
        md << "| metric | value |\n| --- | --- |\n";
    for (const auto &[name, value] : card.metrics)
        md << "| " << cell(name) << " | " << number(value) << " |\n";
    md << "\n## Trained on\n\n";
    if (!card.trainedOn)
        md << "Not recorded (the run is older than Lathe's environment records).\n";
    else
        md << "| | |\n| --- | --- |\n";
    if (card.trainedOn)
        for (const auto &[label, value] : util::environmentLines(*card.trainedOn))
            md << "| " << cell(label) << " | " << cell(value) << " |\n";
    md << "\n## Files\n\n| file | bytes | SHA-256 |\n| --- | --- | --- |\n";
    for (const auto &f : files)
        md << "| `" << cell(f.path) << "` | " << f.bytes << " | `" << f.sha256 << "` |\n";
    md << "\n## Config\n\n```json\n" << card.config.dump(2) << "\n```\n";
}

} // namespace

Result<std::vector<FileDigest>> hashExportFolder(const std::filesystem::path &folder)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        return fail(ErrorCode::NotFound, "export folder does not exist", folder.string());
    std::vector<FileDigest> files;
    std::filesystem::recursive_directory_iterator it(folder, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const auto relative = it->path().lexically_relative(folder);
        if (it->is_symlink(ec) || !it->is_regular_file(ec) || isCardFile(relative))
            continue;
        auto digest = util::sha256File(it->path());
        if (!digest)
            return std::unexpected(digest.error());
        files.push_back({relative.generic_string(), it->file_size(ec), *digest});
    }
    if (ec)
        return fail(ErrorCode::Io, "cannot list the export folder: " + ec.message(),
                    folder.string());
    std::ranges::sort(files, {}, &FileDigest::path);
    return files;
}

nlohmann::json modelCardJson(const ModelCard &card, const std::vector<FileDigest> &files)
{
    nlohmann::json fileList = nlohmann::json::array();
    for (const auto &f : files)
        fileList.push_back({{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    const auto &p = card.parity;
    nlohmann::json json
        = {{"format", kCardFormat},
           {"run", {{"id", card.runId}, {"name", card.runName}}},
           {"config", card.config},
           {"metrics", card.metrics},
           {"lineage",
            {{"parent_run_id", card.parentRunId ? nlohmann::json(card.parentRunId) : nullptr},
             {"parent_run_name", card.parentRunName}}},
           {"export",
            {{"format", card.exportOptions.format},
             {"quantize", card.exportOptions.quantize},
             {"prune", card.exportOptions.prune}}},
           {"parity",
            {{"checked", p.checked},
             {"max_abs_diff", p.maxAbsDiff},
             {"tolerance", p.tolerance},
             {"passed", p.passed},
             {"detail", p.detail}}},
           {"trained_on", card.trainedOn ? card.trainedOn->toJson() : nlohmann::json(nullptr)},
           {"files", fileList}};
    if (!card.createdAt.empty())
        json["created"] = card.createdAt;
    return json;
}

std::string modelCardMarkdown(const ModelCard &card, const std::vector<FileDigest> &files)
{
    std::ostringstream md;
    writeSummary(md, card);
    writeTables(md, card, files);
    return md.str();
}

Result<std::vector<FileDigest>> writeModelCard(const ModelCard &card,
                                               const std::filesystem::path &folder)
{
    auto files = hashExportFolder(folder);
    if (!files)
        return files;
    const std::string json = modelCardJson(card, *files).dump(2) + "\n";
    if (auto ok = formats::writeFileAtomically(folder / kModelCardJsonName, json); !ok)
        return std::unexpected(ok.error());
    if (auto ok = formats::writeFileAtomically(folder / kModelCardMarkdownName,
                                               modelCardMarkdown(card, *files));
        !ok)
        return std::unexpected(ok.error());
    return files;
}

} // namespace lathe::exporting
