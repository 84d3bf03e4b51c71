#pragma once

#include <QList>
#include <QStringList>
#include <QWidget>

namespace lathe::panels {

/// A horizontal bar chart of samples per class: the class name, a bar scaled to the largest
/// class and the count. Clicking a bar emits classClicked; the highlighted class is drawn in the
/// accent colour. GUI thread only.
class ClassHistogram : public QWidget
{
    Q_OBJECT

public:
    explicit ClassHistogram(QWidget *parent = nullptr);

    /// Shows `counts[i]` samples for `names[i]` (the lists have the same length).
    void setCounts(const QStringList &names, const QList<qint64> &counts);
    /// Highlights class `label` (-1: none).
    void setHighlighted(int label);
    /// The class whose bar covers the widget point `pos` (-1: none).
    int classAt(const QPoint &pos) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void classClicked(int label);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    int rowHeight() const;
    int nameWidth() const;

    QStringList m_names;
    QList<qint64> m_counts;
    int m_highlighted = -1;
};

} // namespace lathe::panels
