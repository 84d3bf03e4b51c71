#include "panels/sweep/importance_bars.h"

#include <QPainter>

#include <algorithm>

namespace lathe::panels {

ImportanceBars::ImportanceBars(QWidget *parent)
    : QWidget(parent)
{
    setObjectName("sweepImportance");
}

void ImportanceBars::setImportance(std::vector<std::pair<QString, double>> items)
{
    m_items = std::move(items);
    update();
}

void ImportanceBars::setEmptyText(const QString &text)
{
    m_emptyText = text;
    update();
}

void ImportanceBars::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const QRect area = rect().adjusted(10, 10, -10, -10);
    if (m_items.empty()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, m_emptyText);
        return;
    }
    const QFontMetrics fm(font());
    int labelWidth = 0;
    for (const auto &[key, value] : m_items)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(key));
    labelWidth = std::min(labelWidth + 4, area.width() / 2);
    const int valueWidth = fm.horizontalAdvance(QStringLiteral("100.0 %"));
    const int rowHeight
        = std::clamp(area.height() / int(m_items.size()), fm.height() + 4, 2 * fm.height() + 8);
    double largest = 0;
    for (const auto &item : m_items)
        largest = std::max(largest, item.second);
    const int barSpace = std::max(10, area.width() - labelWidth - valueWidth - 16);
    const QColor bar = palette().highlight().color();
    for (std::size_t i = 0; i < m_items.size(); ++i) {
        const auto &[key, value] = m_items[i];
        const int top = area.top() + int(i) * rowHeight;
        if (top + fm.height() > area.bottom())
            break;
        const QRect label(area.left(), top, labelWidth, rowHeight);
        painter.setPen(palette().windowText().color());
        painter.drawText(label, Qt::AlignRight | Qt::AlignVCenter,
                         fm.elidedText(key, Qt::ElideMiddle, labelWidth));
        const int length = largest > 0 ? int(barSpace * value / largest + 0.5) : 0;
        const int barHeight = std::max(4, rowHeight - 8);
        painter.fillRect(QRect(label.right() + 8, top + (rowHeight - barHeight) / 2,
                               std::max(1, length), barHeight),
                         bar);
        painter.drawText(QRect(label.right() + 12 + length, top, valueWidth, rowHeight),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         QStringLiteral("%1 %").arg(100.0 * value, 0, 'f', 1));
    }
}

} // namespace lathe::panels
