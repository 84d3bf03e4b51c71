// Writes an MLflow file store (mlruns/<experiment>/<run>/...) for the tests, as MLflow 2 lays it
// out: plain text files, metrics lines "timestamp_ms value step".
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace lathe::testing {

struct MlflowRunSpec
{
    std::string experimentId = "1";
    std::string runId;
    std::string runName;
    int status = 3; // FINISHED
    std::int64_t startMs = 1700000000000;
    std::int64_t endMs = 1700000600000;
    std::string lifecycle = "active";
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::pair<std::string, std::string>> tags;
    /// key -> lines as MLflow writes them
    std::vector<std::pair<std::string, std::vector<std::string>>> metrics;
};

inline void writeText(const std::filesystem::path &file, const std::string &text)
{
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

inline void writeExperiment(const std::filesystem::path &mlruns, const std::string &id,
                            const std::string &name)
{
    writeText(mlruns / id / "meta.yaml", "artifact_location: file://" + (mlruns / id).string()
                                             + "\ncreation_time: "
                                               "1700000000000\nexperiment_id: '"
                                             + id
                                             + "'\nlast_update_time: "
                                               "1700000000000\nlifecycle_stage: active\nname: "
                                             + name + "\n");
}

inline std::filesystem::path writeMlflowRun(const std::filesystem::path &mlruns,
                                            const MlflowRunSpec &run)
{
    const auto dir = mlruns / run.experimentId / run.runId;
    writeText(dir / "meta.yaml",
              "artifact_uri: file://" + (dir / "artifacts").string() + "\nend_time: "
                  + std::to_string(run.endMs) + "\nentry_point_name: ''\nexperiment_id: '"
                  + run.experimentId + "'\nlifecycle_stage: " + run.lifecycle + "\nrun_id: "
                  + run.runId + "\nrun_name: " + run.runName + "\nrun_uuid: " + run.runId
                  + "\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: "
                  + std::to_string(run.startMs) + "\nstatus: " + std::to_string(run.status)
                  + "\ntags: []\nuser_id: tester\n");
    std::filesystem::create_directories(dir / "artifacts");
    for (const auto &[key, value] : run.params)
        writeText(dir / "params" / key, value);
    for (const auto &[key, value] : run.tags)
        writeText(dir / "tags" / key, value);
    for (const auto &[key, lines] : run.metrics) {
        std::string text;
        for (const auto &line : lines)
            text += line + "\n";
        writeText(dir / "metrics" / key, text);
    }
    return dir;
}

} // namespace lathe::testing
