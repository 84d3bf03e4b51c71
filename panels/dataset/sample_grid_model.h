#pragma once

#include <QAbstractListModel>
#include <QCache>
#include <QPixmap>

#include <vector>

namespace lathe::panels {

class DatasetSource;

/// The samples of a DatasetSource as a flat list for the thumbnail grid: all samples, one
/// class, or an explicit set of indices (a duplicate group). DecorationRole is the thumbnail
/// scaled to thumbnailSide() (integer nearest-neighbour when enlarging), built lazily and kept
/// in a small cache; DisplayRole the class name; SampleIndexRole the dataset index. GUI thread
/// only.
class SampleGridModel : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Role { SampleIndexRole = Qt::UserRole + 1, ClassRole };

    explicit SampleGridModel(DatasetSource *source, QObject *parent = nullptr);

    /// Rebuilds the rows after the source loaded a new dataset (shows every sample).
    void reload();
    /// Shows only class `label` (-1: every class).
    void setClassFilter(int label);
    /// Shows exactly these dataset indices (e.g. a duplicate group); clears the class filter.
    void setIndexFilter(const std::vector<qint64> &indices);
    int classFilter() const { return m_classFilter; }

    /// Dataset index of a row (-1 when out of range).
    qint64 sampleAt(int row) const;
    /// Side of the square box thumbnails are scaled into, in pixels.
    static constexpr int thumbnailSide() { return 84; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;

private:
    QPixmap pixmap(qint64 sample) const;
    void onThumbnailsReady(qint64 first, qint64 count);

    DatasetSource *m_source;
    std::vector<qint64> m_rows; ///< dataset index per row; empty with m_all = every sample
    bool m_all = true;
    int m_classFilter = -1;
    mutable QCache<qint64, QPixmap> m_cache;
};

} // namespace lathe::panels
