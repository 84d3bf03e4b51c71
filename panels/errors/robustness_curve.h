#pragma once

#include <QList>
#include <QPointF>
#include <QWidget>

namespace lathe::panels {

/// Accuracy against epsilon: a line through (epsilon, accuracy) points, epsilon from 0 to the
/// largest on x, accuracy 0..1 on y, each point marked and labelled. GUI thread only.
class RobustnessCurve : public QWidget
{
    Q_OBJECT

public:
    explicit RobustnessCurve(QWidget *parent = nullptr);
    /// Ascending in epsilon; empty shows `message` instead.
    void setPoints(const QList<QPointF> &points, const QString &message = {});
    const QList<QPointF> &points() const { return m_points; }
    QSize sizeHint() const override { return {320, 220}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<QPointF> m_points;
    QString m_message;
};

} // namespace lathe::panels
