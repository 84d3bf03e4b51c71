#include "panels/dataset/sample_delegate.h"

#include <QPainter>
#include <QPixmap>

namespace lathe::panels {

namespace {

constexpr int kCellPadding = 4;

} // namespace

SampleDelegate::SampleDelegate(int thumbnailSide, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_side(thumbnailSide)
{
}

QSize SampleDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    return {m_side + 2 * kCellPadding, m_side + 3 * kCellPadding + option.fontMetrics.height()};
}

void SampleDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                           const QModelIndex &index) const
{
    painter->save();
    const QRect cell = option.rect.adjusted(1, 1, -1, -1);
    const QPalette &palette = option.palette;
    if (option.state & QStyle::State_Selected)
        painter->fillRect(cell, palette.highlight());
    else if (option.state & QStyle::State_MouseOver)
        painter->fillRect(cell, palette.alternateBase());

    const QRect box(cell.left() + (cell.width() - m_side) / 2, cell.top() + kCellPadding, m_side,
                    m_side);
    const QPixmap pixmap = index.data(Qt::DecorationRole).value<QPixmap>();
    if (pixmap.isNull()) {
        painter->fillRect(box, palette.midlight()); // still rendering on the worker
    } else {
        QRect target(QPoint(0, 0), pixmap.size());
        target.moveCenter(box.center());
        painter->drawPixmap(target, pixmap);
    }

    const QRect textRect(cell.left() + 2, box.bottom() + kCellPadding, cell.width() - 4,
                         option.fontMetrics.height());
    const QString text = option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(),
                                                       Qt::ElideRight, textRect.width());
    painter->setPen(option.state & QStyle::State_Selected ? palette.highlightedText().color()
                                                          : palette.text().color());
    painter->drawText(textRect, Qt::AlignHCenter | Qt::AlignVCenter, text);
    painter->restore();
}

} // namespace lathe::panels
