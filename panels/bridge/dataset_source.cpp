#include "panels/bridge/dataset_source.h"

#include "core/data/dataset.h"
#include "core/data/fashion_mnist.h"
#include "core/data/idx_reader.h"
#include "core/data/image_folder.h"
#include "panels/bridge/dataset_source_state.h"
#include "panels/bridge/sample_image.h"

#include <torch/torch.h>

#include <QtConcurrent>

namespace lathe::panels {

namespace fs = std::filesystem;

namespace {

constexpr qint64 kPageSize = 256;
constexpr int kCachedPages = 64;

QString errorText(const Error &error)
{
    return QString::fromStdString(error.toString());
}

std::vector<std::string> numberedClasses(std::int64_t count)
{
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < count; ++i)
        names.push_back(std::to_string(i));
    return names;
}

/// Loads an IDX pair whose classes are not known in advance: named "0".."max label".
Result<std::shared_ptr<const data::Dataset>> loadNumberedIdx(const fs::path &images,
                                                             const fs::path &labels)
{
    auto pair = data::loadIdxPair(images, labels, numberedClasses(256));
    if (!pair)
        return std::unexpected(pair.error());
    const std::int64_t classes
        = (*pair)->size() ? (*pair)->labels().max().item<std::int64_t>() + 1 : 1;
    return std::make_shared<data::TensorDataset>((*pair)->rawImages(), (*pair)->labels(),
                                                 numberedClasses(classes), (*pair)->description());
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
    m_loadStop.request_stop();
    m_statsStop.request_stop();
    m_pool.waitForDone();
}

std::shared_ptr<const data::Dataset> DatasetSource::dataset() const
{
    return m_state ? m_state->dataset : nullptr;
}

template<typename Load>
void DatasetSource::startLoad(const QString &what, Load load)
{
    m_loadStop.request_stop();
    m_loadStop = std::stop_source();
    cancelStats();
    const quint64 generation = ++m_generation;
    m_loading = true;
    Q_EMIT loadStarted(what);
    auto *watcher = new QFutureWatcher<std::shared_ptr<LoadResult>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        finishLoad(generation, watcher->result());
        watcher->deleteLater();
    });
    auto progress = [this, generation,
                     throttle = std::make_shared<ProgressThrottle>()](qint64 done, qint64 total) {
        if (!throttle->due(done, total))
            return;
        QMetaObject::invokeMethod(this, [this, generation, done, total] {
            if (generation == m_generation)
                Q_EMIT loadProgress(done, total);
        });
    };
    watcher->setFuture(QtConcurrent::run(
        &m_pool, [load, stop = m_loadStop.get_token(), progress]() -> std::shared_ptr<LoadResult> {
            try {
                Result<std::shared_ptr<const data::Dataset>> loaded = load(stop, progress);
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

fs::path DatasetSource::defaultFashionDir()
{
    return data::defaultFashionMnistDir();
}

void DatasetSource::loadFashionMnist(const fs::path &dir)
{
    startLoad(tr("Fashion-MNIST from %1").arg(QString::fromStdString(dir.string())),
              [dir](std::stop_token, auto &&) -> Result<std::shared_ptr<const data::Dataset>> {
                  auto loaded = data::loadFashionMnist(dir, data::Split::Train);
                  if (!loaded)
                      return std::unexpected(loaded.error());
                  return *loaded;
              });
}

void DatasetSource::loadIdxPair(const fs::path &images, const fs::path &labels)
{
    startLoad(
        tr("IDX %1").arg(QString::fromStdString(images.filename().string())),
        [images, labels](std::stop_token, auto &&) { return loadNumberedIdx(images, labels); });
}

void DatasetSource::loadImageFolder(const fs::path &root)
{
    startLoad(tr("image folder %1").arg(QString::fromStdString(root.string())),
              [root](std::stop_token stop,
                     auto &&progress) -> Result<std::shared_ptr<const data::Dataset>> {
                  auto loaded = data::loadImageFolder(root, {}, stop, progress);
                  if (!loaded)
                      return std::unexpected(loaded.error());
                  return *loaded;
              });
}

void DatasetSource::setDataset(std::shared_ptr<const data::Dataset> dataset)
{
    startLoad(QString::fromStdString(dataset ? dataset->description() : std::string()),
              [dataset](std::stop_token, auto &&) -> Result<std::shared_ptr<const data::Dataset>> {
                  if (!dataset)
                      return fail(ErrorCode::InvalidArgument, "no dataset given");
                  return dataset;
              });
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
