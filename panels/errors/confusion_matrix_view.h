#pragma once

#include <QList>
#include <QStringList>
#include <QWidget>

namespace lathe::panels {

/// A confusion matrix drawn as a grid: rows are true classes, columns predictions, each cell
/// shows its count and is shaded by its share of the row (the diagonal in green, errors in
/// red). Hovering a cell shows its classes and rate; clicking selects it (cellClicked). Shows
/// a hint while empty. GUI thread only.
class ConfusionMatrixView : public QWidget
{
    Q_OBJECT

public:
    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    /// Shows `confusion` ([true][predicted], square, one row per class name).
    void setMatrix(const QList<QList<qint64>> &confusion, const QStringList &classNames);
    /// Removes the matrix and shows `hint` instead.
    void clear(const QString &hint);
    /// Highlights cell (label, predicted); (-1, -1) for none.
    void setSelectedCell(int label, int predicted);

    int classCount() const { return int(m_confusion.size()); }
    QPoint selectedCell() const { return m_selected; }
    /// Where cell (label, predicted) is drawn, in widget coordinates (empty when none).
    QRect cellRect(int label, int predicted) const;

    QSize sizeHint() const override { return {460, 420}; }
    QSize minimumSizeHint() const override { return {240, 220}; }

Q_SIGNALS:
    /// The user clicked cell (label, predicted).
    void cellClicked(int label, int predicted);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRect gridRect() const;
    QPoint cellAt(const QPoint &pos) const;
    QColor cellColour(int label, int predicted) const;

    QList<QList<qint64>> m_confusion;
    QStringList m_classNames;
    QString m_hint;
    QPoint m_selected{-1, -1}; ///< x = predicted, y = label
};

} // namespace lathe::panels
