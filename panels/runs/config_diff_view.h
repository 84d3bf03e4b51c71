#pragma once

#include "core/track/store_types.h"

#include <QStringList>
#include <QTableWidget>

#include <optional>
#include <vector>

namespace lathe::panels {

/// A result of the compared runs, shown above the differing config keys ("best val/accuracy").
struct DiffResult
{
    QString label;
    std::vector<std::optional<double>> values; ///< one per compared run, in order
    bool percent = false;                      ///< an accuracy, shown as "86.20 %"
    bool higherIsBetter = true;                ///< which value is bold
};

/// The config diff of compared runs: their results first (the best of each row in bold), then
/// one row per config key whose values differ (key | run A | run B | ...), values missing in a
/// run shown as "(not set)". Shows a hint when no key differs. GUI thread only.
class ConfigDiffView : public QTableWidget
{
    Q_OBJECT

public:
    explicit ConfigDiffView(QWidget *parent = nullptr);

    /// Shows `results`, then `diff` (from RunStore::configDiff), with one column per run,
    /// titled by `runNames`.
    void setDiff(const QStringList &runNames, const std::vector<track::ParamDiff> &diff,
                 const std::vector<DiffResult> &results = {});
    /// Empties the table and shows `hint` instead.
    void clearDiff(const QString &hint);
    /// The config keys listed, top to bottom (not the results).
    QStringList keys() const;
    /// The labels of the result rows, top to bottom.
    QStringList resultLabels() const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    void addResultRow(int row, const DiffResult &result);

    QString m_hint;
    int m_resultRows = 0;
};

} // namespace lathe::panels
