#include "panels/hyperparams/frozen_stages_editor.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <string>

namespace lathe::panels {

namespace {

QString englishCount(std::int64_t n)
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
    connect(m_tree, &QTreeWidget::itemExpanded, this, &FrozenStagesEditor::fitHeight);
    connect(m_tree, &QTreeWidget::itemCollapsed, this, &FrozenStagesEditor::fitHeight);
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
        m_filling = true;
        showCoverage();
        m_filling = false;
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
    // An imported model's layers nest by their dotted names ("layer1.0.conv1" under "layer1.0").
    std::map<std::string, QTreeWidgetItem *> items;
    bool nested = false;
    for (const auto &stage : m_outline.stages) {
        const auto dot = stage.name.rfind('.');
        const auto parent
            = dot == std::string::npos ? items.end() : items.find(stage.name.substr(0, dot));
        auto *item = parent == items.end() ? new QTreeWidgetItem(m_tree)
                                           : new QTreeWidgetItem(parent->second);
        nested = nested || parent != items.end();
        items[stage.name] = item;
        item->setText(0, QString::fromStdString(stage.name));
        item->setText(1, englishCount(stage.parameterCount));
        item->setData(1, Qt::UserRole, qlonglong(stage.parameterCount));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        // A stage without parameters (relu, pool) has nothing to freeze: listed, greyed, no box.
        if (stage.parameterCount > 0) {
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            item->setCheckState(0, Qt::Unchecked);
        } else {
            item->setFlags(Qt::NoItemFlags);
        }
    }
    m_tree->setRootIsDecorated(nested);
    fitHeight();
    m_filling = false;
    const QString assumed = tr("Counts assume a 1×28×28 input and 10 classes; the dataset's own "
                               "shape may change the first and last stages.");
    m_tree->setToolTip(m_outline.assumedShape ? assumed
                                              : tr("Tick a stage to freeze its parameters "
                                                   "(finetune.freeze)"));
    applyFrozen();
}

void FrozenStagesEditor::fitHeight()
{
    // Every visible row without an inner scroll bar (cnn has 5 stages, vit-tiny's default ~8),
    // up to 14 rows: an imported model's expanded layers scroll.
    int rows = 0;
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        rows += (*it)->parent() == nullptr || (*it)->parent()->isExpanded() ? 1 : 0;
    rows = std::clamp(rows, 1, 14);
    const int rowHeight
        = m_tree->sizeHintForRow(0) > 0 ? m_tree->sizeHintForRow(0) : fontMetrics().height() + 6;
    m_tree->setFixedHeight(m_tree->header()->sizeHint().height() + rows * rowHeight
                           + 2 * m_tree->frameWidth() + 2);
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
    // "backbone": every top-level stage but the last one with parameters (the head).
    int head = n - 1;
    while (head > 0 && !(m_tree->topLevelItem(head)->flags() & Qt::ItemIsUserCheckable))
        --head;
    const bool backbone = m_frozen.contains(QStringLiteral("backbone"));
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        auto *item = *it;
        if (item->data(1, Qt::UserRole).toLongLong() == 0)
            continue;
        const int top = item->parent() ? -1 : m_tree->indexOfTopLevelItem(item);
        const bool ticked
            = m_frozen.contains(item->text(0)) || (backbone && top >= 0 && top != head);
        item->setCheckState(0, ticked ? Qt::Checked : Qt::Unchecked);
    }
    showCoverage();
    m_filling = false;
    updateLabel();
}

void FrozenStagesEditor::showCoverage()
{
    // Under a frozen layer everything is frozen: ticked and locked (pre-order: parents first).
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        auto *item = *it;
        const auto *parent = item->parent();
        const bool covered
            = parent
              && (parent->checkState(0) == Qt::Checked || parent->data(0, Qt::UserRole).toBool());
        const bool wasCovered = item->data(0, Qt::UserRole).toBool();
        item->setData(0, Qt::UserRole, covered);
        if (item->data(1, Qt::UserRole).toLongLong() == 0)
            continue;
        item->setFlags(covered ? Qt::ItemIsUserCheckable
                               : Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        if (covered || wasCovered)
            item->setCheckState(0, covered ? Qt::Checked : Qt::Unchecked);
    }
}

QStringList FrozenStagesEditor::frozen() const
{
    QStringList names;
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        const auto *item = *it;
        const bool covered = item->data(0, Qt::UserRole).toBool();
        if (item->checkState(0) == Qt::Checked && !covered)
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
    std::int64_t trainable = total;
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        const auto *item = *it;
        if (item->checkState(0) == Qt::Checked && !item->data(0, Qt::UserRole).toBool())
            trainable -= item->data(1, Qt::UserRole).toLongLong();
    }
    const double percent = total > 0 ? 100.0 * double(trainable) / double(total) : 0.0;
    QString text
        = tr("Trainable: %1 of %2 parameters (%3%)")
              .arg(englishCount(trainable), englishCount(total), QString::number(percent, 'f', 1));
    if (m_loraRank > 0)
        text += "\n" + tr("LoRA: only adapters and new heads train");
    m_label->setText(text);
    m_label->setToolTip(m_outline.assumedShape ? tr("Counts assume a 1×28×28 input and 10 classes")
                                               : QString());
}

} // namespace lathe::panels
