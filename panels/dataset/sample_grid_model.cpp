#include "panels/dataset/sample_grid_model.h"

#include "panels/bridge/dataset_source.h"

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kCachedThumbnails = 4000;

QPixmap scaledThumbnail(const QImage &image, int side)
{
    const int longest = std::max(image.width(), image.height());
    if (longest <= 0)
        return {};
    if (longest <= side) {
        // Enlarge by a whole factor with nearest neighbour: pixels stay crisp squares.
        const int factor = std::max(1, side / longest);
        return QPixmap::fromImage(
            image.scaled(image.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation));
    }
    return QPixmap::fromImage(
        image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation));
}

} // namespace

SampleGridModel::SampleGridModel(DatasetSource *source, QObject *parent)
    : QAbstractListModel(parent)
    , m_source(source)
    , m_cache(kCachedThumbnails)
{
    connect(m_source, &DatasetSource::thumbnailsReady, this, &SampleGridModel::onThumbnailsReady);
}

void SampleGridModel::reload()
{
    beginResetModel();
    m_cache.clear();
    m_rows.clear();
    m_all = true;
    m_classFilter = -1;
    endResetModel();
}

void SampleGridModel::setClassFilter(int label)
{
    beginResetModel();
    m_classFilter = label;
    m_rows.clear();
    m_all = label < 0;
    if (!m_all) {
        const std::vector<int> &labels = m_source->summary().labels;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (labels[i] == label)
                m_rows.push_back(qint64(i));
        }
    }
    endResetModel();
}

void SampleGridModel::setIndexFilter(const std::vector<qint64> &indices)
{
    beginResetModel();
    m_classFilter = -1;
    m_all = false;
    m_rows = indices;
    endResetModel();
}

qint64 SampleGridModel::sampleAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return -1;
    return m_all ? qint64(row) : m_rows[std::size_t(row)];
}

int SampleGridModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_all ? int(m_source->summary().size) : int(m_rows.size());
}

QVariant SampleGridModel::data(const QModelIndex &index, int role) const
{
    const qint64 sample = sampleAt(index.row());
    if (sample < 0)
        return {};
    const DatasetSummary &summary = m_source->summary();
    const int label = summary.labels[std::size_t(sample)];
    switch (role) {
    case Qt::DisplayRole: return summary.classNames.value(label);
    case Qt::ToolTipRole: return tr("#%1: %2").arg(sample).arg(summary.classNames.value(label));
    case Qt::DecorationRole: return pixmap(sample);
    case SampleIndexRole: return sample;
    case ClassRole: return label;
    default: return {};
    }
}

QPixmap SampleGridModel::pixmap(qint64 sample) const
{
    if (const QPixmap *cached = m_cache.object(sample))
        return *cached;
    const QImage image = m_source->thumbnail(sample);
    if (image.isNull())
        return {}; // rendering on the worker: thumbnailsReady repaints it
    QPixmap scaled = scaledThumbnail(image, thumbnailSide());
    m_cache.insert(sample, new QPixmap(scaled));
    return scaled;
}

void SampleGridModel::onThumbnailsReady(qint64 first, qint64 count)
{
    const int rows = rowCount();
    if (rows == 0)
        return;
    if (m_all) {
        const int top = int(std::min<qint64>(first, rows - 1));
        const int bottom = int(std::min<qint64>(first + count - 1, rows - 1));
        Q_EMIT dataChanged(index(top), index(bottom), {Qt::DecorationRole});
        return;
    }
    Q_EMIT dataChanged(index(0), index(rows - 1), {Qt::DecorationRole});
}

} // namespace lathe::panels
