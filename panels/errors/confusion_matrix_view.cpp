#include "panels/errors/confusion_matrix_view.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <numeric>

namespace lathe::panels {

namespace {

constexpr int kLabelWidth = 96;   ///< room for the true-class names on the left
constexpr int kHeaderHeight = 22; ///< the "predicted" caption
constexpr int kFooterHeight = 64; ///< the rotated predicted-class names below
/// The last column's rotated name runs right of the grid by up to half its length (cos 60°).
constexpr int kRightMargin = (kFooterHeight + 10) / 2 + 8;

qint64 rowTotal(const QList<qint64> &row)
{
    return std::accumulate(row.begin(), row.end(), qint64(0));
}

} // namespace

ConfusionMatrixView::ConfusionMatrixView(QWidget *parent)
    : QWidget(parent)
    , m_hint(tr("Pick a checkpoint and press Compute"))
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ConfusionMatrixView::setMatrix(const QList<QList<qint64>> &confusion,
                                    const QStringList &classNames)
{
    m_confusion = confusion;
    m_classNames = classNames;
    m_selected = {-1, -1};
    setCursor(Qt::PointingHandCursor);
    update();
}

void ConfusionMatrixView::clear(const QString &hint)
{
    m_confusion.clear();
    m_classNames.clear();
    m_hint = hint;
    m_selected = {-1, -1};
    unsetCursor();
    update();
}

void ConfusionMatrixView::setSelectedCell(int label, int predicted)
{
    m_selected = {predicted, label};
    update();
}

QRect ConfusionMatrixView::gridRect() const
{
    const int k = classCount();
    if (k == 0)
        return {};
    const QRect area
        = rect().adjusted(kLabelWidth, kHeaderHeight, -kRightMargin, -kFooterHeight);
    const int cell = std::max(4, std::min(area.width(), area.height()) / k);
    return {area.left(), area.top(), cell * k, cell * k};
}

QRect ConfusionMatrixView::cellRect(int label, int predicted) const
{
    const int k = classCount();
    if (label < 0 || predicted < 0 || label >= k || predicted >= k)
        return {};
    const QRect grid = gridRect();
    const int cell = grid.width() / k;
    return {grid.left() + predicted * cell, grid.top() + label * cell, cell, cell};
}

QPoint ConfusionMatrixView::cellAt(const QPoint &pos) const
{
    const QRect grid = gridRect();
    if (!grid.contains(pos))
        return {-1, -1};
    const int cell = grid.width() / classCount();
    return {(pos.x() - grid.left()) / cell, (pos.y() - grid.top()) / cell};
}

QColor ConfusionMatrixView::cellColour(int label, int predicted) const
{
    const qint64 total = rowTotal(m_confusion[label]);
    const double rate = total > 0 ? double(m_confusion[label][predicted]) / double(total) : 0.0;
    // Correct predictions in green, errors in red; stronger as the row's share grows (errors
    // are scaled up so a 5% confusion is already visible).
    const double strength = label == predicted ? rate : std::min(1.0, rate * 4.0);
    const QColor base = label == predicted ? QColor(46, 125, 50) : QColor(198, 40, 40);
    const QColor paper = palette().color(QPalette::Base);
    auto mix = [&](int a, int b) { return int(a + (b - a) * strength); };
    return {mix(paper.red(), base.red()), mix(paper.green(), base.green()),
            mix(paper.blue(), base.blue())};
}

void ConfusionMatrixView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    const int k = classCount();
    if (k == 0) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, m_hint);
        return;
    }
    const QRect grid = gridRect();
    const int cell = grid.width() / k;
    QFont small = font();
    small.setPointSizeF(std::clamp(cell / 3.2, 6.0, font().pointSizeF()));
    painter.setFont(small);
    for (int t = 0; t < k; ++t) {
        for (int p = 0; p < k; ++p) {
            const QRect r = cellRect(t, p);
            const QColor fill = cellColour(t, p);
            painter.fillRect(r, fill);
            painter.setPen(fill.lightness() < 128 ? Qt::white : palette().color(QPalette::Text));
            if (m_confusion[t][p] > 0)
                painter.drawText(r, Qt::AlignCenter, QString::number(m_confusion[t][p]));
        }
    }
    painter.setPen(palette().color(QPalette::Mid));
    for (int i = 0; i <= k; ++i) {
        painter.drawLine(grid.left(), grid.top() + i * cell, grid.right() + 1,
                         grid.top() + i * cell);
        painter.drawLine(grid.left() + i * cell, grid.top(), grid.left() + i * cell,
                         grid.bottom() + 1);
    }
    if (m_selected.x() >= 0) {
        painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
        painter.drawRect(cellRect(m_selected.y(), m_selected.x()).adjusted(1, 1, -1, -1));
    }
    painter.setFont(font());
    painter.setPen(palette().color(QPalette::Text));
    const QFontMetrics metrics(font());
    for (int i = 0; i < k; ++i) {
        const QString name
            = metrics.elidedText(m_classNames.value(i), Qt::ElideRight, kLabelWidth - 8);
        painter.drawText(QRect(0, grid.top() + i * cell, kLabelWidth - 6, cell),
                         Qt::AlignRight | Qt::AlignVCenter, name);
        painter.save();
        painter.translate(grid.left() + i * cell + cell / 2 + metrics.ascent() / 2,
                          grid.bottom() + 4);
        painter.rotate(60);
        painter.drawText(
            0, 0, metrics.elidedText(m_classNames.value(i), Qt::ElideRight, kFooterHeight + 10));
        painter.restore();
    }
    painter.drawText(QRect(grid.left(), 0, grid.width(), kHeaderHeight), Qt::AlignCenter,
                     tr("predicted →   (rows: true class)"));
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent *event)
{
    const QPoint cell = cellAt(event->position().toPoint());
    if (event->button() != Qt::LeftButton || cell.x() < 0)
        return QWidget::mousePressEvent(event);
    setSelectedCell(cell.y(), cell.x());
    Q_EMIT cellClicked(cell.y(), cell.x());
}

bool ConfusionMatrixView::event(QEvent *event)
{
    if (event->type() != QEvent::ToolTip)
        return QWidget::event(event);
    auto *help = static_cast<QHelpEvent *>(event);
    const QPoint cell = cellAt(help->pos());
    if (cell.x() < 0) {
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    const int t = cell.y(), p = cell.x();
    const qint64 total = rowTotal(m_confusion[t]);
    QToolTip::showText(
        help->globalPos(),
        tr("true %1, predicted %2: %3 of %4 (%5%) · click to list them")
            .arg(m_classNames.value(t), m_classNames.value(p))
            .arg(m_confusion[t][p])
            .arg(total)
            .arg(total ? 100.0 * double(m_confusion[t][p]) / double(total) : 0.0, 0, 'f', 1),
        this, cellRect(t, p));
    return true;
}

} // namespace lathe::panels
