#include "panels/bridge/dataset_source.h"

#include "core/data/dataset.h"
#include "core/train/trainer.h"
#include "panels/bridge/dataset_source_state.h"
#include "panels/bridge/sample_image.h"

#include <torch/torch.h>

#include <QtConcurrent>

#include <cmath>

namespace lathe::panels {

namespace {

constexpr qint64 kPageSize = 256;
constexpr int kCachedPages = 64;
constexpr int kFeatureBins = 24;

QString errorText(const Error &error)
{
    return QString::fromStdString(error.toString());
}

/// Bins feature `f` of `features` (float64 [N,F]) between its finite extremes, per class too.
FeatureHistogram featureHistogram(const torch::Tensor &features, std::int64_t f, QString name,
                                  const std::vector<int> &labels, qsizetype classes)
{
    FeatureHistogram histogram;
    histogram.name = std::move(name);
    histogram.counts = QList<qint64>(kFeatureBins, 0);
    histogram.classCounts = QList<QList<qint64>>(classes, histogram.counts);
    const std::int64_t n = features.size(0), stride = features.size(1);
    const double *values = features.data_ptr<double>() + f;
    double lo = INFINITY, hi = -INFINITY;
    for (std::int64_t i = 0; i < n; ++i) {
        if (std::isfinite(values[i * stride]))
            lo = std::min(lo, values[i * stride]), hi = std::max(hi, values[i * stride]);
    }
    if (lo > hi)
        return histogram; // no finite value: empty bins
    histogram.min = lo, histogram.max = hi;
    const double scale = hi > lo ? kFeatureBins / (hi - lo) : 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double value = values[i * stride];
        if (!std::isfinite(value))
            continue;
        const int bin = std::min(kFeatureBins - 1, int((value - lo) * scale));
        ++histogram.counts[bin];
        const int label = labels[std::size_t(i)];
        if (label >= 0 && label < classes)
            ++histogram.classCounts[label][bin];
    }
    return histogram;
}

/// The feature matrix, names and histograms of a tabular dataset (samples [F,1,1]).
void summariseFeatures(const data::Dataset &dataset, DatasetSource::State &state,
                       DatasetSummary &summary)
{
    const std::int64_t n = dataset.size(), f = state.channels;
    state.features = dataset.images(torch::arange(n, torch::kLong))
                         .reshape({n, f})
                         .to(torch::kDouble)
                         .contiguous();
    // Columns are named by the dataset's attributes when they are its features (the csv reader).
    const std::vector<std::string> attributes = dataset.attributeNames();
    for (std::int64_t i = 0; i < f; ++i)
        summary.featureNames << (std::int64_t(attributes.size()) == f
                                     ? QString::fromStdString(attributes[std::size_t(i)])
                                     : QStringLiteral("feature %1").arg(i + 1));
    for (std::int64_t i = 0; i < f; ++i)
        summary.featureHistograms << featureHistogram(state.features, i, summary.featureNames[i],
                                                      summary.labels, summary.classNames.size());
}

} // namespace

struct DatasetSource::LoadResult
{
    std::shared_ptr<const State> state;
    DatasetSummary summary;
    QString error;
};

namespace {

std::shared_ptr<DatasetSource::LoadResult> summarise(std::shared_ptr<const data::Dataset> dataset)
{
    auto result = std::make_shared<DatasetSource::LoadResult>();
    try {
        auto state = std::make_shared<DatasetSource::State>();
        const std::vector<std::int64_t> shape = dataset->sampleShape();
        if (shape.size() != 3)
            throw std::runtime_error("the dataset's samples are not {C,H,W} images");
        state->channels = int(shape[0]), state->height = int(shape[1]),
        state->width = int(shape[2]);
        if (const auto *tensors = dynamic_cast<const data::TensorDataset *>(dataset.get());
            tensors && tensors->rawImages().scalar_type() == torch::kByte)
            state->raw = tensors->rawImages().contiguous();
        DatasetSummary &summary = result->summary;
        summary.description = QString::fromStdString(dataset->description());
        summary.size = dataset->size();
        summary.channels = state->channels, summary.height = state->height;
        summary.width = state->width;
        for (const std::string &name : dataset->classNames())
            summary.classNames << QString::fromStdString(name);
        summary.classCounts = QList<qint64>(summary.classNames.size(), 0);
        const torch::Tensor labels = dataset->labels().to(torch::kLong).contiguous();
        const auto *label = labels.data_ptr<std::int64_t>();
        summary.labels.resize(std::size_t(labels.size(0)));
        for (std::int64_t i = 0; i < labels.size(0); ++i) {
            summary.labels[std::size_t(i)] = int(label[i]);
            if (label[i] >= 0 && label[i] < summary.classCounts.size())
                ++summary.classCounts[label[i]];
        }
        summary.tabular = state->height == 1 && state->width == 1;
        if (summary.tabular)
            summariseFeatures(*dataset, *state, summary);
        state->dataset = std::move(dataset);
        result->state = std::move(state);
    } catch (const std::exception &e) {
        result->error = QString::fromUtf8(e.what());
    }
    return result;
}

} // namespace

DatasetSource::DatasetSource(QObject *parent)
    : QObject(parent)
    , m_pages(kCachedPages)
{
    m_pool.setMaxThreadCount(2);
}

DatasetSource::~DatasetSource()
{
    m_statsStop.request_stop();
    m_pool.waitForDone();
}

std::shared_ptr<const data::Dataset> DatasetSource::dataset() const
{
    return m_state ? m_state->dataset : nullptr;
}

void DatasetSource::startLoad(const QString &what,
                              std::function<Result<std::shared_ptr<const data::Dataset>>()> load)
{
    cancelStats();
    const quint64 generation = ++m_generation;
    m_loading = true;
    Q_EMIT loadStarted(what);
    auto *watcher = new QFutureWatcher<std::shared_ptr<LoadResult>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        finishLoad(generation, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, [load]() -> std::shared_ptr<LoadResult> {
        try {
            Result<std::shared_ptr<const data::Dataset>> loaded = load();
            if (!loaded) {
                auto failed = std::make_shared<LoadResult>();
                failed->error = errorText(loaded.error());
                return failed;
            }
            return summarise(std::move(*loaded));
        } catch (const std::exception &e) {
            auto failed = std::make_shared<LoadResult>();
            failed->error = QString::fromUtf8(e.what());
            return failed;
        }
    }));
}

void DatasetSource::finishLoad(quint64 generation, const std::shared_ptr<LoadResult> &result)
{
    if (generation != m_generation)
        return;
    m_loading = false;
    if (!result || !result->state) {
        Q_EMIT loadFailed(result ? result->error : tr("loading failed"));
        return;
    }
    m_state = result->state;
    m_summary = std::move(result->summary);
    m_pages.clear();
    m_pendingPages.clear();
    Q_EMIT loaded();
}

void DatasetSource::open(const train::DataConfig &data)
{
    startLoad(tr("%1 from %2")
                  .arg(QString::fromStdString(data.dataset), QString::fromStdString(data.path)),
              [data]() -> Result<std::shared_ptr<const data::Dataset>> {
                  auto loaded = train::loadTrainData(data);
                  if (!loaded)
                      return std::unexpected(loaded.error());
                  return loaded->train;
              });
}

void DatasetSource::setDataset(std::shared_ptr<const data::Dataset> dataset)
{
    startLoad(QString::fromStdString(dataset ? dataset->description() : std::string()),
              [dataset]() -> Result<std::shared_ptr<const data::Dataset>> {
                  if (!dataset)
                      return fail(ErrorCode::InvalidArgument, "no dataset given");
                  return dataset;
              });
}

double DatasetSource::featureValue(qint64 index, int feature) const
{
    if (!m_state || !m_state->features.defined() || index < 0 || index >= m_summary.size
        || feature < 0 || feature >= m_state->channels)
        return std::nan("");
    return m_state->features.data_ptr<double>()[index * m_state->channels + feature];
}

QImage DatasetSource::thumbnail(qint64 index)
{
    if (!m_state || index < 0 || index >= m_summary.size)
        return {};
    const State &state = *m_state;
    if (state.raw.defined()) {
        const std::size_t sampleBytes = std::size_t(state.channels) * state.height * state.width;
        const auto *bytes = static_cast<const std::uint8_t *>(state.raw.data_ptr());
        return planesToImage(bytes + std::size_t(index) * sampleBytes, state.channels, state.height,
                             state.width);
    }
    const qint64 page = index / kPageSize;
    if (const QList<QImage> *images = m_pages.object(page))
        return images->value(index - page * kPageSize);
    requestPage(page);
    return {};
}

void DatasetSource::requestPage(qint64 page)
{
    if (m_pendingPages.contains(page))
        return;
    m_pendingPages.insert(page);
    const qint64 first = page * kPageSize;
    const qint64 count = std::min(kPageSize, m_summary.size - first);
    auto *watcher = new QFutureWatcher<QList<QImage>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, watcher, page, first, count, state = m_state] {
                watcher->deleteLater();
                if (state != m_state)
                    return;
                m_pendingPages.remove(page);
                m_pages.insert(page, new QList<QImage>(watcher->result()));
                Q_EMIT thumbnailsReady(first, count);
            });
    watcher->setFuture(QtConcurrent::run(&m_pool, [state = m_state, first, count] {
        QList<QImage> images;
        try {
            const torch::Tensor x = state->dataset->images(
                torch::arange(std::int64_t(first), std::int64_t(first + count), torch::kLong));
            for (std::int64_t i = 0; i < count; ++i)
                images << tensorToImage(x[i]);
        } catch (const std::exception &) {
            // A sample the dataset cannot produce stays blank; stats report the error.
        }
        return images;
    }));
}

} // namespace lathe::panels
