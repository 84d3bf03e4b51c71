#include "panels/errors/error_gallery_model.h"

#include <QPixmap>

namespace lathe::panels {

namespace {

constexpr int kThumbnailSize = 56;

} // namespace

ErrorGalleryModel::ErrorGalleryModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ErrorGalleryModel::setRows(const QList<InspectPrediction> &rows, const QStringList &classNames)
{
    beginResetModel();
    m_rows = rows;
    m_classNames = classNames;
    m_thumbnails.clear();
    endResetModel();
}

void ErrorGalleryModel::setThumbnails(const QList<qint64> &indices, const QList<QImage> &images)
{
    for (qsizetype i = 0; i < indices.size() && i < images.size(); ++i)
        m_thumbnails.insert(indices[i],
                            images[i].scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio,
                                             Qt::FastTransformation));
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, Image), index(int(m_rows.size()) - 1, Image),
                           {Qt::DecorationRole});
}

int ErrorGalleryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ErrorGalleryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ErrorGalleryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const auto &row = m_rows[index.row()];
    if (role == kIndexRole)
        return row.index;
    auto name = [this](qint64 c) { return m_classNames.value(int(c), QString::number(c)); };
    const int column = index.column();
    if (role == Qt::DecorationRole && column == Image) {
        const auto it = m_thumbnails.constFind(row.index);
        return it == m_thumbnails.constEnd() ? QVariant() : QVariant(QPixmap::fromImage(*it));
    }
    if (role == Qt::DisplayRole) {
        switch (column) {
        case Image: return tr("#%1").arg(row.index);
        case True: return name(row.label);
        case Predicted: return name(row.predicted);
        case Confidence: return QString("%1%").arg(double(row.confidence) * 100.0, 0, 'f', 1);
        case Loss: return QString::number(double(row.loss), 'f', 3);
        default: break;
        }
    }
    if (role == Qt::UserRole) {
        switch (column) {
        case Image: return row.index;
        case True: return name(row.label);
        case Predicted: return name(row.predicted);
        case Confidence: return double(row.confidence);
        case Loss: return double(row.loss);
        default: break;
        }
    }
    if (role == Qt::TextAlignmentRole && column >= Confidence)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return tr("Test sample %1: double-click to see its attributions").arg(row.index);
    return {};
}

QVariant ErrorGalleryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Image: return tr("Sample");
    case True: return tr("True");
    case Predicted: return tr("Predicted");
    case Confidence: return tr("Confidence");
    case Loss: return tr("Loss");
    default: return {};
    }
}

} // namespace lathe::panels
