#include "panels/dataset/class_histogram.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kHistogramMargin = 8;
constexpr int kBarGap = 8;
constexpr int kMinBarWidth = 80;

} // namespace

ClassHistogram::ClassHistogram(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void ClassHistogram::setCounts(const QStringList &names, const QList<qint64> &counts)
{
    m_names = names;
    m_counts = counts;
    m_highlighted = -1;
    updateGeometry();
    update();
}

void ClassHistogram::setHighlighted(int label)
{
    m_highlighted = label;
    update();
}

int ClassHistogram::rowHeight() const
{
    return fontMetrics().height() + 6;
}

int ClassHistogram::nameWidth() const
{
    int width = 0;
    for (const QString &name : m_names)
        width = std::max(width, fontMetrics().horizontalAdvance(name));
    return std::min(width + 4, 200); // slack: elidedText needs a little more than the advance
}

QSize ClassHistogram::sizeHint() const
{
    const int countWidth = fontMetrics().horizontalAdvance(QStringLiteral("000,000"));
    return {2 * kHistogramMargin + nameWidth() + 2 * kBarGap + 2 * kMinBarWidth + countWidth,
            2 * kHistogramMargin + int(std::max<qsizetype>(m_names.size(), 1)) * rowHeight()};
}

QSize ClassHistogram::minimumSizeHint() const
{
    QSize hint = sizeHint();
    hint.setWidth(hint.width() - kMinBarWidth);
    return hint;
}

int ClassHistogram::classAt(const QPoint &pos) const
{
    const int row = (pos.y() - kHistogramMargin) / rowHeight();
    if (pos.y() < kHistogramMargin || row >= m_names.size())
        return -1;
    return row;
}

void ClassHistogram::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    if (m_names.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("No dataset loaded"));
        return;
    }
    const qint64 largest = std::max<qint64>(1, *std::max_element(m_counts.begin(), m_counts.end()));
    const QLocale locale;
    const int names = nameWidth();
    int maxCountWidth = 0;
    for (qint64 count : m_counts)
        maxCountWidth
            = std::max(maxCountWidth, fontMetrics().horizontalAdvance(locale.toString(count)));
    const int barLeft = kHistogramMargin + names + kBarGap;
    const int barSpace
        = std::max(10, width() - barLeft - kBarGap - maxCountWidth - kHistogramMargin);
    const QColor bar = palette().color(QPalette::Mid);
    const QColor accent = palette().color(QPalette::Highlight);
    for (int i = 0; i < m_names.size(); ++i) {
        const int top = kHistogramMargin + i * rowHeight();
        const QRect nameRect(kHistogramMargin, top, names, rowHeight());
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(nameRect, Qt::AlignRight | Qt::AlignVCenter,
                         fontMetrics().elidedText(m_names[i], Qt::ElideRight, names));
        const qint64 count = m_counts.value(i);
        const int length = int(double(barSpace) * double(count) / double(largest));
        const QRect barRect(barLeft, top + 3, std::max(length, count > 0 ? 1 : 0), rowHeight() - 6);
        painter.fillRect(barRect, i == m_highlighted ? accent : bar);
        painter.drawText(
            QRect(barRect.right() + kBarGap, top, maxCountWidth + kBarGap, rowHeight()),
            Qt::AlignLeft | Qt::AlignVCenter, locale.toString(count));
    }
}

void ClassHistogram::mousePressEvent(QMouseEvent *event)
{
    const int label = classAt(event->position().toPoint());
    if (label >= 0)
        Q_EMIT classClicked(label);
    QWidget::mousePressEvent(event);
}

} // namespace lathe::panels
