#include "panels/dataset/augment_preview_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kColumns = 4;
constexpr int kTileSide = 84;

QPixmap enlarged(const QImage &image)
{
    if (image.isNull())
        return {};
    const int longest = std::max(image.width(), image.height());
    if (longest <= kTileSide) {
        const int factor = std::max(1, kTileSide / longest);
        return QPixmap::fromImage(
            image.scaled(image.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation));
    }
    return QPixmap::fromImage(
        image.scaled(kTileSide, kTileSide, Qt::KeepAspectRatio, Qt::SmoothTransformation));
}

QLabel *imageCell(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setFixedSize(kTileSide + 4, kTileSide + 4);
    label->setAlignment(Qt::AlignCenter);
    label->setFrameShape(QFrame::StyledPanel);
    return label;
}

} // namespace

AugmentPreviewView::AugmentPreviewView(QWidget *parent)
    : QWidget(parent)
    , m_note(new QLabel(this))
    , m_original(imageCell(this))
    , m_reroll(new QPushButton(tr("Re-roll"), this))
    , m_grid(new QGridLayout)
{
    m_note->setObjectName(QStringLiteral("augmentNote"));
    m_note->setWordWrap(true);
    m_original->setObjectName(QStringLiteral("augmentOriginal"));
    m_reroll->setObjectName(QStringLiteral("rerollButton"));
    m_reroll->setToolTip(tr("Draw new random augmentations of the same sample"));

    auto *originalColumn = new QVBoxLayout;
    originalColumn->addWidget(new QLabel(tr("Original"), this), 0, Qt::AlignHCenter);
    originalColumn->addWidget(m_original);
    originalColumn->addWidget(m_reroll);
    originalColumn->addStretch(1);
    auto *row = new QHBoxLayout;
    row->addLayout(originalColumn);
    row->addSpacing(12);
    row->addLayout(m_grid);
    row->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_note);
    layout->addLayout(row);
    layout->addStretch(1);
    connect(m_reroll, &QPushButton::clicked, this, &AugmentPreviewView::rerollRequested);
    clear();
}

void AugmentPreviewView::clear()
{
    qDeleteAll(m_cells);
    m_cells.clear();
    m_images.clear();
    m_original->clear();
    m_reroll->setEnabled(false);
    m_note->setText(tr("Load a dataset and select a sample to preview its augmentation."));
}

void AugmentPreviewView::setPreview(const AugmentPreview &preview, const QString &caption)
{
    clear();
    if (preview.original.isNull()) {
        m_note->setText(tr("Sample %1 could not be read.").arg(caption));
        return;
    }
    m_original->setPixmap(enlarged(preview.original));
    if (preview.augmentationOff) {
        m_note->setText(tr("Sample %1. Augmentation is off in this config: the sample is "
                           "trained exactly as shown.")
                            .arg(caption));
        return;
    }
    m_images = preview.images;
    m_note->setText(tr("Sample %1 through this config's training augmentation, %2 random "
                       "draws.")
                        .arg(caption)
                        .arg(preview.images.size()));
    for (int i = 0; i < m_images.size(); ++i) {
        QLabel *cell = imageCell(this);
        cell->setObjectName(QStringLiteral("augmentImage%1").arg(i));
        cell->setPixmap(enlarged(m_images[i]));
        m_grid->addWidget(cell, i / kColumns, i % kColumns);
        m_cells << cell;
    }
    m_reroll->setEnabled(true);
}

QString AugmentPreviewView::note() const
{
    return m_note->text();
}

} // namespace lathe::panels
