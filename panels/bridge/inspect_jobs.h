// The work behind InspectSession's requests, run on its pool: core/inspect calls turned into
// the plain values of inspect_types.h. Private to panels/bridge (it includes LibTorch).
#pragma once

#include "core/train/open_run.h"
#include "core/util/error.h"
#include "panels/bridge/inspect_types.h"

#include <QImage>
#include <QList>

#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

namespace lathe::panels::inspect_jobs {

/// One checkpoint, loaded on first use. Hold `mutex` while using `model`.
struct ModelSlot
{
    InspectKey key;
    std::mutex mutex;
    std::optional<train::OpenedRun> model;
    std::filesystem::file_time_type written{}; ///< the file's time when `model` was loaded
};

/// The most recently used checkpoints of one store. A checkpoint file rewritten since it was
/// loaded (last.pt and best.pt of a run that trained on) is loaded again. Thread-safe.
class ModelCache
{
public:
    explicit ModelCache(std::filesystem::path db, std::size_t capacity = 4);

    /// Runs `use(model)` with the checkpoint `key` loaded and locked. Errors: the load's.
    Result<void> with(const InspectKey &key,
                      const std::function<Result<void>(train::OpenedRun &)> &use);
    /// Loads a private copy of the checkpoint (for long jobs that should not block the cache).
    Result<train::OpenedRun> load(const InspectKey &key) const;

private:
    std::shared_ptr<ModelSlot> slot(const InspectKey &key);

    std::filesystem::path m_db;
    std::size_t m_capacity;
    std::mutex m_mutex;
    std::list<std::shared_ptr<ModelSlot>> m_slots; ///< most recently used first
};

using Progress = std::function<void(qint64, qint64)>;

Result<QList<InspectCheckpoint>> listCheckpoints(const std::filesystem::path &db, qint64 runId);
Result<InspectModelInfo> describe(train::OpenedRun &model, const InspectKey &key);
Result<InspectSampleInfo> sampleInfo(train::OpenedRun &model, const InspectSample &sample);
/// One view; IG and occlusion stop early when `stop` is requested (ErrorCode::Cancelled).
Result<InspectRender> render(train::OpenedRun &model, const InspectSample &sample,
                             const InspectOptions &options, std::stop_token stop);
Result<InspectErrors> errors(train::OpenedRun &model, const InspectKey &key, std::stop_token stop,
                             const Progress &progress);
/// Images `indices` of the samples errors() evaluates (inspect::evaluationSet: the test set,
/// else the validation split).
Result<QList<QImage>> testImages(train::OpenedRun &model, const QList<qint64> &indices);

/// The sample's raw image [C,H,W] in [0,1] and label (-1 unknown). InvalidArgument for an
/// index out of range or a sample whose shape is not the model's input.
Result<std::pair<torch::Tensor, qint64>> sampleTensor(const train::OpenedRun &model,
                                                      const InspectSample &sample);
/// A [H,W] map coloured with `colormap` by inspect::heatmapRgba (signed maps centred on 0) as
/// RGBA8888; null for a map that is not 2-D floating point.
QImage heatmapImage(const torch::Tensor &map, InspectColormap colormap, double *low = nullptr,
                    double *high = nullptr);

} // namespace lathe::panels::inspect_jobs
