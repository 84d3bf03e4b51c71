#pragma once

#include "core/track/store_types.h"

#include <QStringList>
#include <QTableWidget>

#include <vector>

namespace lathe::panels {

/// The config diff of compared runs: one row per config key whose values differ (key | run A |
/// run B | ...), values missing in a run shown as "(not set)". Shows a hint when there is
/// nothing to list. GUI thread only.
class ConfigDiffView : public QTableWidget
{
    Q_OBJECT

public:
    explicit ConfigDiffView(QWidget *parent = nullptr);

    /// Shows `diff` (from RunStore::configDiff) with one column per run, titled by `runNames`.
    void setDiff(const QStringList &runNames, const std::vector<track::ParamDiff> &diff);
    /// Empties the table and shows `hint` instead.
    void clearDiff(const QString &hint);
    /// The keys listed, top to bottom.
    QStringList keys() const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_hint;
};

} // namespace lathe::panels
