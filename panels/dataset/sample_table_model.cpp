#include "panels/dataset/sample_table_model.h"

#include "panels/bridge/dataset_source.h"
#include "panels/dataset/sample_grid_model.h"

#include <QLocale>

#include <cmath>

namespace lathe::panels {

SampleTableModel::SampleTableModel(DatasetSource *source, SampleGridModel *rows, QObject *parent)
    : QAbstractTableModel(parent)
    , m_source(source)
    , m_rows(rows)
{
    connect(m_rows, &QAbstractItemModel::modelAboutToBeReset, this,
            &SampleTableModel::beginResetModel);
    connect(m_rows, &QAbstractItemModel::modelReset, this, &SampleTableModel::endResetModel);
}

qint64 SampleTableModel::sampleAt(int row) const
{
    return m_rows->sampleAt(row);
}

int SampleTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_source->summary().tabular ? 0 : m_rows->rowCount();
}

int SampleTableModel::columnCount(const QModelIndex &parent) const
{
    const DatasetSummary &summary = m_source->summary();
    return parent.isValid() || !summary.tabular ? 0 : int(summary.featureNames.size()) + 1;
}

QVariant SampleTableModel::data(const QModelIndex &index, int role) const
{
    const qint64 sample = sampleAt(index.row());
    if (sample < 0)
        return {};
    const DatasetSummary &summary = m_source->summary();
    const bool isClass = index.column() == summary.featureNames.size();
    if (role == SampleGridModel::SampleIndexRole)
        return sample;
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::AlignVCenter | (isClass ? Qt::AlignLeft : Qt::AlignRight));
    if (role != Qt::DisplayRole)
        return {};
    if (isClass)
        return summary.classNames.value(summary.labels[std::size_t(sample)]);
    const double value = m_source->featureValue(sample, index.column());
    return std::isnan(value) ? QString() : QLocale().toString(value, 'g', 6);
}

QVariant SampleTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return sampleAt(section);
    const QStringList &names = m_source->summary().featureNames;
    return section < names.size() ? names[section] : tr("class");
}

} // namespace lathe::panels
