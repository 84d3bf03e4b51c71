#pragma once

#include "panels/bridge/model_outline.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace lathe::panels {

/// The Fine-tune group's "Frozen stages": a tree with one checkable item per stage of the
/// config's model (its name and parameter count; ticked = frozen; stages without parameters
/// are listed greyed, without a box; an imported model's layers nested by name, everything
/// under a ticked layer ticked and locked) and a live label "Trainable:
/// N of M parameters (x%)" under it, with a note when LoRA makes only adapters train. The tree
/// is named "finetune.freeze", the label "finetune.trainable". GUI thread only.
class FrozenStagesEditor : public QWidget
{
    Q_OBJECT

public:
    explicit FrozenStagesEditor(QWidget *parent = nullptr);

    /// Lists `outline`'s stages (or its error), ticking those in frozen(); emits nothing.
    void setOutline(const ModelOutline &outline);
    /// Ticks the stages named in `names` ("backbone" = every stage but the last); emits nothing.
    void setFrozen(const QStringList &names);
    /// The ticked stage names (not those only covered by a ticked parent), in model order.
    QStringList frozen() const;
    /// Shows the LoRA note in the label while `rank` > 0.
    void setLoraRank(std::int64_t rank);

Q_SIGNALS:
    /// The user ticked or unticked a stage.
    void edited();

private:
    void applyFrozen();
    /// Ticks and locks every item under a ticked one (frozen with it).
    void showCoverage();
    void fitHeight();
    void updateLabel();

    QTreeWidget *m_tree = nullptr;
    QLabel *m_label = nullptr;
    ModelOutline m_outline;
    QStringList m_frozen;
    std::int64_t m_loraRank = 0;
    bool m_filling = false;
};

} // namespace lathe::panels
