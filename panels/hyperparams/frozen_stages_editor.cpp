#include "panels/hyperparams/frozen_stages_editor.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

QString count(std::int64_t n)
{
    return QLocale(QLocale::English).toString(qlonglong(n));
}

} // namespace

FrozenStagesEditor::FrozenStagesEditor(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("finetune.freeze"));
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Stage (ticked = frozen)"), tr("Parameters")});
    m_tree->setRootIsDecorated(false);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("finetune.trainable"));
    m_label->setWordWrap(true);
    layout->addWidget(m_tree);
    layout->addWidget(m_label);
    connect(m_tree, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem *, int column) {
        if (m_filling || column != 0)
            return;
        m_frozen = frozen();
        updateLabel();
        Q_EMIT edited();
    });
}

void FrozenStagesEditor::setOutline(const ModelOutline &outline)
{
    m_outline = outline;
    m_filling = true;
    m_tree->clear();
    for (const auto &stage : m_outline.stages) {
        auto *item = new QTreeWidgetItem(m_tree);
        item->setText(0, QString::fromStdString(stage.name));
        item->setText(1, count(stage.parameterCount));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        // A stage without parameters (relu, pool) has nothing to freeze: listed, greyed, no box.
        if (stage.parameterCount > 0) {
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            item->setCheckState(0, Qt::Unchecked);
        } else {
            item->setFlags(Qt::NoItemFlags);
        }
    }
    // Show every stage without an inner scroll bar (cnn has 5, vit-tiny's default ~8).
    const int rows = std::max<int>(1, int(m_outline.stages.size()));
    const int rowHeight
        = m_tree->sizeHintForRow(0) > 0 ? m_tree->sizeHintForRow(0) : fontMetrics().height() + 6;
    m_tree->setFixedHeight(m_tree->header()->sizeHint().height() + rows * rowHeight
                           + 2 * m_tree->frameWidth() + 2);
    m_filling = false;
    const QString assumed = tr("Counts assume a 1×28×28 input and 10 classes; the dataset's own "
                               "shape may change the first and last stages.");
    m_tree->setToolTip(m_outline.assumedShape ? assumed
                                              : tr("Tick a stage to freeze its parameters "
                                                   "(finetune.freeze)"));
    applyFrozen();
}

void FrozenStagesEditor::setFrozen(const QStringList &names)
{
    m_frozen = names;
    applyFrozen();
}

void FrozenStagesEditor::applyFrozen()
{
    m_filling = true;
    const int n = m_tree->topLevelItemCount();
    const bool backbone = m_frozen.contains(QStringLiteral("backbone"));
    for (int i = 0; i < n; ++i) {
        auto *item = m_tree->topLevelItem(i);
        if (!(item->flags() & Qt::ItemIsUserCheckable))
            continue;
        const bool ticked = m_frozen.contains(item->text(0)) || (backbone && i < n - 1);
        item->setCheckState(0, ticked ? Qt::Checked : Qt::Unchecked);
    }
    m_filling = false;
    updateLabel();
}

QStringList FrozenStagesEditor::frozen() const
{
    QStringList names;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        const auto *item = m_tree->topLevelItem(i);
        if (item->checkState(0) == Qt::Checked)
            names << item->text(0);
    }
    return names;
}

void FrozenStagesEditor::setLoraRank(std::int64_t rank)
{
    m_loraRank = rank;
    updateLabel();
}

void FrozenStagesEditor::updateLabel()
{
    if (!m_outline.error.empty()) {
        m_label->setText(tr("Stages unknown: %1").arg(QString::fromStdString(m_outline.error)));
        return;
    }
    const std::int64_t total = m_outline.parameterCount();
    std::int64_t trainable = 0;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        if (m_tree->topLevelItem(i)->checkState(0) != Qt::Checked)
            trainable += m_outline.stages[std::size_t(i)].parameterCount;
    }
    const double percent = total > 0 ? 100.0 * double(trainable) / double(total) : 0.0;
    QString text = tr("Trainable: %1 of %2 parameters (%3%)")
                       .arg(count(trainable), count(total), QString::number(percent, 'f', 1));
    if (m_loraRank > 0)
        text += "\n" + tr("LoRA: only adapters and new heads train");
    m_label->setText(text);
    m_label->setToolTip(m_outline.assumedShape ? tr("Counts assume a 1×28×28 input and 10 classes")
                                               : QString());
}

} // namespace lathe::panels
