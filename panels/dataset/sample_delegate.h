#pragma once

#include <QStyledItemDelegate>

namespace lathe::panels {

/// Paints one grid cell: the thumbnail centred in a fixed square, the class name elided
/// under it, and the selection/hover frame. Every cell has the same size (the view uses
/// uniform item sizes). GUI thread only.
class SampleDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit SampleDelegate(int thumbnailSide, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    int m_side;
};

} // namespace lathe::panels
