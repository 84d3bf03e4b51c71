#include "panels/dataset/feature_histograms.h"

#include <QHelpEvent>
#include <QLocale>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kCellWidth = 180;
constexpr int kPlotHeight = 56;
constexpr int kFeatureMargin = 6;

QString localised(double value)
{
    return QLocale().toString(value, 'g', 4);
}

} // namespace

FeatureHistograms::FeatureHistograms(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void FeatureHistograms::setHistograms(const QList<FeatureHistogram> &histograms)
{
    m_histograms = histograms;
    m_highlighted = -1;
    setMinimumHeight(sizeHint().height());
    updateGeometry();
    update();
}

void FeatureHistograms::setHighlighted(int label)
{
    m_highlighted = label;
    update();
}

int FeatureHistograms::columns() const
{
    return std::max(1, width() / kCellWidth);
}

int FeatureHistograms::cellHeight() const
{
    return 2 * fontMetrics().height() + kPlotHeight + 3 * kFeatureMargin;
}

QRect FeatureHistograms::cellRect(int index) const
{
    const int cols = columns(), cellWidth = width() / cols;
    return {(index % cols) * cellWidth, (index / cols) * cellHeight(), cellWidth, cellHeight()};
}

QSize FeatureHistograms::sizeHint() const
{
    const int rows = (int(m_histograms.size()) + columns() - 1) / columns();
    return {2 * kCellWidth, std::max(1, rows) * cellHeight()};
}

void FeatureHistograms::resizeEvent(QResizeEvent *event)
{
    // The rows follow the width: a scroll area learns the new height from the minimum.
    setMinimumHeight(sizeHint().height());
    QWidget::resizeEvent(event);
}

bool FeatureHistograms::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const QPoint pos = static_cast<QHelpEvent *>(event)->pos();
        for (int i = 0; i < m_histograms.size(); ++i) {
            if (cellRect(i).contains(pos)) {
                const FeatureHistogram &h = m_histograms[i];
                QToolTip::showText(
                    static_cast<QHelpEvent *>(event)->globalPos(),
                    tr("%1: %2 to %3").arg(h.name, localised(h.min), localised(h.max)), this);
                return true;
            }
        }
        QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void FeatureHistograms::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    if (m_histograms.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Feature histograms show for tabular data"));
        return;
    }
    for (int i = 0; i < m_histograms.size(); ++i)
        paintCell(painter, cellRect(i), m_histograms[i]);
}

void FeatureHistograms::paintCell(QPainter &painter, const QRect &cell,
                                  const FeatureHistogram &histogram) const
{
    const int line = fontMetrics().height();
    const QRect inner
        = cell.adjusted(kFeatureMargin, kFeatureMargin, -kFeatureMargin, -kFeatureMargin);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     fontMetrics().elidedText(histogram.name, Qt::ElideRight, inner.width()));
    const QRect plot(inner.left(), inner.top() + line + kFeatureMargin / 2, inner.width(),
                     kPlotHeight);
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    const qint64 largest
        = std::max<qint64>(1, *std::max_element(histogram.counts.begin(), histogram.counts.end()));
    const QList<qint64> &highlighted
        = m_highlighted >= 0 && m_highlighted < histogram.classCounts.size()
              ? histogram.classCounts[m_highlighted]
              : QList<qint64>();
    const int bins = int(histogram.counts.size());
    for (int b = 0; b < bins; ++b) {
        const int left = plot.left() + plot.width() * b / bins;
        const int right = plot.left() + plot.width() * (b + 1) / bins - 1;
        auto bar = [&](qint64 count, const QColor &colour) {
            const int height = int(double(plot.height()) * double(count) / double(largest));
            if (count > 0)
                painter.fillRect(QRect(left, plot.bottom() - std::max(height, 1) + 1,
                                       std::max(right - left, 1), std::max(height, 1)),
                                 colour);
        };
        bar(histogram.counts[b], palette().color(QPalette::Mid));
        if (!highlighted.isEmpty())
            bar(highlighted.value(b), palette().color(QPalette::Highlight));
    }
    const QRect range(inner.left(), plot.bottom() + kFeatureMargin / 2, inner.width(), line);
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(range, Qt::AlignLeft | Qt::AlignVCenter, localised(histogram.min));
    painter.drawText(range, Qt::AlignRight | Qt::AlignVCenter, localised(histogram.max));
}

} // namespace lathe::panels
