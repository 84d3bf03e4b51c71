#pragma once

#include "core/train/run_config.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <cstdint>
#include <optional>

namespace lathe::panels {

/// What a run's data section makes of its dataset, counted as the trainer counts it.
struct DatasetCount
{
    train::DataConfig data; ///< what was counted
    std::uint64_t seed = 0; ///< training.seed, which the validation split depends on
    /// Training samples after data.classes, data.train_limit and data.subset.
    qint64 samples = 0;
    /// Of those, the ones that train: `samples` minus the stratified validation share.
    qint64 trainSamples = 0;
    QString error; ///< the reader's message (the file, what was expected) when it failed

    bool ok() const { return error.isEmpty(); }
    /// Whether this count is of `data` split with `seed` (data.normalize does not count).
    bool isOf(const train::DataConfig &data, std::uint64_t seed) const;
};

/// Counts a config's training samples on a worker thread, exactly as a run will have them:
/// train::loadTrainData (the registry's reader of data.dataset, so a path it cannot read yields
/// the reader's own message), then data::stratifiedSplit with training.seed. One read at a
/// time: a request made while one runs waits, replacing any request already waiting, so a burst
/// of edits costs at most one superseded read. Create, use and destroy on the GUI thread;
/// counted() is emitted there; the destructor waits for a read in progress.
class DatasetProbe : public QObject
{
    Q_OBJECT

public:
    explicit DatasetProbe(QObject *parent = nullptr);
    ~DatasetProbe() override;

    /// Counts `data` split with `seed`; counted() follows.
    void count(const train::DataConfig &data, std::uint64_t seed);

Q_SIGNALS:
    void counted(const lathe::panels::DatasetCount &count);

private:
    void startNext();

    QThreadPool m_pool;
    std::optional<DatasetCount> m_waiting; ///< the request to read next (data and seed only)
    bool m_running = false;
};

} // namespace lathe::panels
