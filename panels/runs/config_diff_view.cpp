#include "panels/runs/config_diff_view.h"

#include "panels/bridge/run_row.h"

#include <QHeaderView>
#include <QPainter>

#include <cmath>

namespace lathe::panels {

ConfigDiffView::ConfigDiffView(QWidget *parent)
    : QTableWidget(parent)
{
    setObjectName(QStringLiteral("configDiffView"));
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setAlternatingRowColors(true);
    verticalHeader()->hide();
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    clearDiff(tr("Select two or more runs to compare their configs."));
}

void ConfigDiffView::setDiff(const QStringList &runNames, const std::vector<track::ParamDiff> &diff,
                             const std::vector<DiffResult> &results)
{
    clear();
    setColumnCount(int(runNames.size()) + 1);
    setHorizontalHeaderLabels(QStringList{tr("Key")} + runNames);
    m_resultRows = int(results.size());
    setRowCount(m_resultRows + int(diff.size()));
    for (int row = 0; row < m_resultRows; ++row)
        addResultRow(row, results[std::size_t(row)]);
    for (int i = 0; i < int(diff.size()); ++i) {
        const int row = m_resultRows + i;
        const auto &entry = diff[std::size_t(i)];
        setItem(row, 0, new QTableWidgetItem(QString::fromStdString(entry.key)));
        for (int run = 0; run < int(entry.values.size()) && run < runNames.size(); ++run) {
            const auto &value = entry.values[std::size_t(run)];
            auto *item
                = new QTableWidgetItem(value ? QString::fromStdString(*value) : tr("(not set)"));
            if (!value)
                item->setForeground(palette().brush(QPalette::PlaceholderText));
            setItem(row, run + 1, item);
        }
    }
    m_hint = diff.empty() ? tr("The selected runs have the same config.") : QString();
    resizeColumnsToContents();
    viewport()->update();
}

void ConfigDiffView::addResultRow(int row, const DiffResult &result)
{
    QFont bold = font();
    bold.setBold(true);
    const QBrush tint = palette().brush(QPalette::AlternateBase);
    auto *label = new QTableWidgetItem(result.label);
    label->setFont(bold);
    label->setBackground(tint);
    setItem(row, 0, label);
    std::optional<double> best;
    for (const auto &value : result.values)
        if (value && !std::isnan(*value)
            && (!best || (result.higherIsBetter ? *value > *best : *value < *best)))
            best = value;
    for (int run = 0; run < int(result.values.size()) && run + 1 < columnCount(); ++run) {
        const auto &value = result.values[std::size_t(run)];
        auto *item = new QTableWidgetItem(result.percent ? formatPercent(value)
                                          : value        ? QString::number(*value, 'g', 4)
                                                         : QStringLiteral("—"));
        item->setBackground(tint);
        if (value && value == best && result.values.size() > 1)
            item->setFont(bold);
        setItem(row, run + 1, item);
    }
}

void ConfigDiffView::clearDiff(const QString &hint)
{
    clear();
    setRowCount(0);
    setColumnCount(0);
    m_hint = hint;
    m_resultRows = 0;
    viewport()->update();
}

QStringList ConfigDiffView::keys() const
{
    QStringList out;
    for (int row = m_resultRows; row < rowCount(); ++row)
        out.push_back(item(row, 0) ? item(row, 0)->text() : QString());
    return out;
}

QStringList ConfigDiffView::resultLabels() const
{
    QStringList out;
    for (int row = 0; row < m_resultRows; ++row)
        out.push_back(item(row, 0) ? item(row, 0)->text() : QString());
    return out;
}

void ConfigDiffView::paintEvent(QPaintEvent *event)
{
    QTableWidget::paintEvent(event);
    if (m_hint.isEmpty())
        return;
    // Below the result rows, if any.
    QRect area = viewport()->rect();
    if (rowCount() > 0)
        area.setTop(rowViewportPosition(rowCount() - 1) + rowHeight(rowCount() - 1));
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(area.adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, m_hint);
}

} // namespace lathe::panels
