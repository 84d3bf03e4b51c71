#pragma once

// A tiny run trained for real into a temporary store: what the inspect and panel tests look at.

#include "core/train/run_config.h"
#include "core/train/run_job.h"
#include "core/util/sha256.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace lathe::testing {

/// The default experiment (resources/configs/fashion-cnn.json) cut down to seconds: `subset`
/// training and test images, `epochs` epochs, architecture `arch` with `widths`.
inline train::RunConfig tinyConfig(std::int64_t subset = 600, std::int64_t epochs = 1,
                                   const std::string &arch = "cnn",
                                   std::vector<std::int64_t> widths = {8, 16})
{
    std::ifstream file(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
    auto config = train::RunConfig::fromJson(nlohmann::json::parse(file));
    if (!config)
        qFatal("%s", config.error().toString().c_str());
    config->data.path = LATHE_TEST_FASHION_DIR;
    config->data.subset = subset;
    config->training.epochs = epochs;
    config->training.batchSize = 64;
    config->model.arch = arch;
    config->model.widths = std::move(widths);
    return *config;
}

/// Trains `config` to the end as run `name` in the store at `db` and returns its id (qFatal on
/// failure: every test of the file depends on it).
inline std::int64_t trainRun(const std::filesystem::path &db, const train::RunConfig &config,
                             const std::string &name)
{
    auto job = train::RunJob::createNew(config, {db, name, 0});
    if (!job)
        qFatal("%s", job.error().toString().c_str());
    if (auto outcome = (*job)->run(); !outcome)
        qFatal("%s", outcome.error().toString().c_str());
    return (*job)->runId();
}

/// Records `file` as checkpoint `name` ("best", "last", "epoch-N") of run `runId` with its
/// SHA-256, as RunRecorder does when training writes one (qFatal on failure).
inline void recordCheckpoint(const std::filesystem::path &db, std::int64_t runId,
                             const std::string &name, const std::filesystem::path &file)
{
    auto store = track::RunStore::open(db);
    auto sha = util::sha256File(file);
    if (!store || !sha)
        qFatal("%s", (store ? sha.error() : store.error()).toString().c_str());
    auto added = (*store)->addArtifact({0, runId, "checkpoint-" + name, file.string(),
                                        std::int64_t(std::filesystem::file_size(file)), *sha, 0});
    if (!added)
        qFatal("%s", added.error().toString().c_str());
}

} // namespace lathe::testing
