#pragma once

#include "panels/bridge/inspect_types.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QImage>
#include <QStringList>

namespace lathe::panels {

/// The samples of one confusion-matrix cell as table rows: thumbnail, true class, predicted
/// class, confidence and loss. Qt::UserRole gives each column's value for sorting (numbers for
/// confidence and loss) and the test index on every column. Thumbnails arrive later
/// (setThumbnails). GUI thread only.
class ErrorGalleryModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Image, True, Predicted, Confidence, Loss, ColumnCount };
    static constexpr int kIndexRole = Qt::UserRole + 1;

    explicit ErrorGalleryModel(QObject *parent = nullptr);

    /// Replaces the rows (in the given order) and forgets the thumbnails.
    void setRows(const QList<InspectPrediction> &rows, const QStringList &classNames);
    /// Sets the thumbnails of test samples `indices`.
    void setThumbnails(const QList<qint64> &indices, const QList<QImage> &images);
    const QList<InspectPrediction> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QList<InspectPrediction> m_rows;
    QStringList m_classNames;
    QHash<qint64, QImage> m_thumbnails;
};

} // namespace lathe::panels
