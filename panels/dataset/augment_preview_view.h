#pragma once

#include "panels/bridge/dataset_source.h"

#include <QImage>
#include <QList>
#include <QWidget>

class QGridLayout;
class QLabel;
class QPushButton;

namespace lathe::panels {

/// Shows one sample next to N copies of it drawn through the training augmentation, with a
/// Re-roll button (the panel supplies new seeds), or says plainly that augmentation is off in
/// the config. GUI thread only.
class AugmentPreviewView : public QWidget
{
    Q_OBJECT

public:
    explicit AugmentPreviewView(QWidget *parent = nullptr);

    /// Back to the empty state (no dataset).
    void clear();
    /// Shows `preview`; `caption` names the sample ("#12: Shirt").
    void setPreview(const AugmentPreview &preview, const QString &caption);
    /// The augmented images shown now (empty when augmentation is off).
    const QList<QImage> &images() const { return m_images; }
    /// The line above the images (what is shown, or why nothing is).
    QString note() const;

Q_SIGNALS:
    void rerollRequested();

private:
    QLabel *m_note;
    QLabel *m_original;
    QPushButton *m_reroll;
    QGridLayout *m_grid;
    QList<QLabel *> m_cells;
    QList<QImage> m_images;
};

} // namespace lathe::panels
