#pragma once

#include "panels/bridge/dataset_source.h"

#include <QList>
#include <QWidget>

namespace lathe::panels {

/// A grid of small histograms, one per feature of a tabular dataset: every sample's values in
/// grey, those of the highlighted class (the class filter) in the accent colour over them, the
/// feature's name above and its range below. As many columns as the width allows; the height
/// follows (put it in a scroll area). GUI thread only.
class FeatureHistograms : public QWidget
{
    Q_OBJECT

public:
    explicit FeatureHistograms(QWidget *parent = nullptr);

    /// Shows `histograms` (none: the "not tabular" placeholder); clears the highlight.
    void setHistograms(const QList<FeatureHistogram> &histograms);
    /// Highlights class `label`'s share of every bin (-1: none).
    void setHighlighted(int label);
    /// The number of histograms shown.
    int count() const { return int(m_histograms.size()); }
    /// The cell feature `index` is drawn in (for tests and tooltips).
    QRect cellRect(int index) const;

    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;

private:
    int columns() const;
    int cellHeight() const;
    void paintCell(QPainter &painter, const QRect &cell, const FeatureHistogram &histogram) const;

    QList<FeatureHistogram> m_histograms;
    int m_highlighted = -1;
};

} // namespace lathe::panels
