#include "panels/runs/config_diff_view.h"

#include <QHeaderView>
#include <QPainter>

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

void ConfigDiffView::setDiff(const QStringList &runNames, const std::vector<track::ParamDiff> &diff)
{
    clear();
    setColumnCount(int(runNames.size()) + 1);
    setHorizontalHeaderLabels(QStringList{tr("Key")} + runNames);
    setRowCount(int(diff.size()));
    for (int row = 0; row < int(diff.size()); ++row) {
        const auto &entry = diff[std::size_t(row)];
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

void ConfigDiffView::clearDiff(const QString &hint)
{
    clear();
    setRowCount(0);
    setColumnCount(0);
    m_hint = hint;
    viewport()->update();
}

QStringList ConfigDiffView::keys() const
{
    QStringList out;
    for (int row = 0; row < rowCount(); ++row)
        out.push_back(item(row, 0) ? item(row, 0)->text() : QString());
    return out;
}

void ConfigDiffView::paintEvent(QPaintEvent *event)
{
    QTableWidget::paintEvent(event);
    if (rowCount() > 0 || m_hint.isEmpty())
        return;
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(viewport()->rect().adjusted(12, 12, -12, -12),
                     Qt::AlignCenter | Qt::TextWordWrap, m_hint);
}

} // namespace lathe::panels
