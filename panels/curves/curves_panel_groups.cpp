// The "Group" controls of the curves panel: runs drawn by group as a centre line and a band
// (see CurvesPanel and CurveGroups).
#include "panels/curves/curves_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace lathe::panels {

namespace {

// The "Group" choice whose key is typed in the field beside it.
const QString kByConfigKey = QStringLiteral("*");

} // namespace

QWidget *CurvesPanel::buildGroupControls()
{
    auto *bar = new QWidget(this);
    auto *row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel(tr("Group"), bar));
    m_groupBy = new QComboBox(bar);
    m_groupBy->setObjectName("groupBy");
    m_groupBy->addItem(tr("Off"), QString());
    m_groupBy->addItem(tr("By repeat"), QStringLiteral("repeat"));
    m_groupBy->addItem(tr("By sweep"), QStringLiteral("sweep"));
    m_groupBy->addItem(tr("By config key"), kByConfigKey);
    m_groupBy->setToolTip(tr("Draw the shown runs by group: the runs of one `train --repeat`, "
                             "of one sweep, or with one value of a config key, as one line "
                             "and a band."));
    row->addWidget(m_groupBy);
    m_groupKey = new QLineEdit(bar);
    m_groupKey->setObjectName("groupKey");
    m_groupKey->setPlaceholderText(QStringLiteral("optimizer.lr"));
    m_groupKey->setToolTip(tr("The config key whose value groups the runs (Enter applies)."));
    m_groupKey->setVisible(false);
    row->addWidget(m_groupKey);
    // In the order of stats::Centre and stats::Band.
    m_centre = new QComboBox(bar);
    m_centre->setObjectName("centre");
    m_centre->addItems({tr("Mean"), tr("Median")});
    row->addWidget(m_centre);
    m_band = new QComboBox(bar);
    m_band->setObjectName("band");
    m_band->addItems({tr("± std"), tr("± std error"), tr("min–max"), tr("95% bootstrap")});
    m_band->setToolTip(tr("The band around each group's line: one standard deviation, one "
                          "standard error, the runs' range, or a 95% bootstrap interval of "
                          "the mean."));
    row->addWidget(m_band);
    row->addStretch(1);
    for (auto *combo : {m_groupBy, m_centre, m_band})
        connect(combo, &QComboBox::currentIndexChanged, this, &CurvesPanel::applyGroupSettings);
    connect(m_groupKey, &QLineEdit::editingFinished, this, &CurvesPanel::applyGroupSettings);
    applyGroupSettings();
    return bar;
}

void CurvesPanel::applyGroupSettings()
{
    const QString choice = m_groupBy->currentData().toString();
    const bool byConfigKey = choice == kByConfigKey;
    m_groupKey->setVisible(byConfigKey);
    const QString key = byConfigKey ? m_groupKey->text().trimmed() : choice;
    m_centre->setEnabled(!key.isEmpty());
    m_band->setEnabled(!key.isEmpty());
    m_groups.setSettings({key.toStdString(), stats::Centre(m_centre->currentIndex()),
                          stats::Band(m_band->currentIndex())});
}

QString CurvesPanel::groupLegendNote() const
{
    if (!m_groups.active())
        return {};
    return tr(", line: each group's %1, shaded: %2")
        .arg(m_centre->currentText().toLower(), m_band->currentText());
}

} // namespace lathe::panels
