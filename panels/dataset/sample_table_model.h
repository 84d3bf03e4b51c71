#pragma once

#include <QAbstractTableModel>

namespace lathe::panels {

class DatasetSource;
class SampleGridModel;

/// The samples of a tabular DatasetSource as a table: one row per sample that `rows` shows (so
/// the class filter and duplicate groups apply alike), one column per feature, then the class.
/// The vertical header is the dataset index; SampleIndexRole (as SampleGridModel's) gives it
/// for every cell. GUI thread only.
class SampleTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    /// Follows `rows` (its resets become this model's resets); neither is owned.
    SampleTableModel(DatasetSource *source, SampleGridModel *rows, QObject *parent = nullptr);

    /// Dataset index of a row (-1 when out of range).
    qint64 sampleAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    DatasetSource *m_source;
    SampleGridModel *m_rows;
};

} // namespace lathe::panels
