#include "panels/bridge/dataset_probe.h"

#include "core/data/split.h"
#include "core/train/run_setup.h"

#include <torch/torch.h>

#include <QFutureWatcher>
#include <QtConcurrent>

namespace lathe::panels {

namespace {

DatasetCount countSamples(DatasetCount request)
{
    DatasetCount count = std::move(request);
    try {
        auto loaded = train::loadTrainData(count.data);
        if (!loaded) {
            count.error = QString::fromStdString(loaded.error().toString());
            return count;
        }
        count.samples = loaded->train->size();
        if (count.samples == 0) {
            count.error = QObject::tr("no training samples are left after data.classes, "
                                      "data.train_limit and data.subset");
            return count;
        }
        const auto split
            = data::stratifiedSplit(loaded->train->labels(), count.data.valFraction, count.seed);
        count.trainSamples = split.train.size(0);
    } catch (const std::exception &e) {
        count.error = QString::fromUtf8(e.what());
    }
    return count;
}

} // namespace

bool DatasetCount::isOf(const train::DataConfig &other, std::uint64_t otherSeed) const
{
    train::DataConfig same = other;
    same.normalize = data.normalize;
    return seed == otherSeed && same == data;
}

DatasetProbe::DatasetProbe(QObject *parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

DatasetProbe::~DatasetProbe()
{
    m_pool.waitForDone();
}

void DatasetProbe::count(const train::DataConfig &data, std::uint64_t seed)
{
    DatasetCount request;
    request.data = data;
    request.seed = seed;
    m_waiting = std::move(request);
    if (!m_running)
        startNext();
}

void DatasetProbe::startNext()
{
    if (!m_waiting)
        return;
    m_running = true;
    auto *watcher = new QFutureWatcher<DatasetCount>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        m_running = false;
        const DatasetCount count = watcher->result();
        Q_EMIT counted(count);
        startNext();
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, countSamples, std::move(*m_waiting)));
    m_waiting.reset();
}

} // namespace lathe::panels
