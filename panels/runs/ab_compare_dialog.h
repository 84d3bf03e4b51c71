#pragma once

#include "core/compare/side_comparison.h"

#include <QDialog>
#include <QList>

#include <optional>

class QLabel;
class QPushButton;
class QTableWidget;

namespace lathe::panels {

class StoreClient;

/// "Compare A/B…": is the difference between two groups of runs real? For each final metric
/// the dialog shows each side's mean ± sd, the difference B − A with its 95% confidence
/// interval (Welch), the p-values of Welch's test and of the permutation test, and, above them,
/// the plain-words verdict on the headline metric (stats::verdict, the sentence `lathe-cli
/// compare A B --stats` prints); then the config keys whose values differ between the sides, and
/// where the sides ran when that differs (CPU, LibTorch build, ...: compare::environmentGroupDiff),
/// so "same config, the groups ran on different CPU" is not mistaken for the config's effect.
/// The header names each side and its run count; its tooltip lists the sides' run ids.
/// A run given as a side stands for its repeat group when it has one; a group (KEY=VALUE, or a
/// group of the Runs panel's tree on one key or two) for every run of the store with its values.
/// With a single run on a side no conclusion is possible, and "Repeat ×5" asks for that run to
/// be repeated (repeatRequested). Reads through the StoreClient (compare::compareSides() on its
/// thread), never on the GUI thread. GUI thread only.
class AbCompareDialog : public QDialog
{
    Q_OBJECT

public:
    /// The number of runs "Repeat ×5" asks for.
    static constexpr int kRepeatCount = 5;

    AbCompareDialog(StoreClient &store, compare::SideRef a, compare::SideRef b,
                    QWidget *parent = nullptr);

    /// Reads the sides again: their runs (a repeat group grows as its runs are stored), metrics
    /// and configs.
    void refresh();
    /// The repeats of `runId` are tagged repeat:`group`: a side that was that run alone (a run,
    /// or a group of one run) becomes the repeat group (read at the next refresh()).
    void followGroup(qint64 runId, const QString &group);

Q_SIGNALS:
    /// "Repeat ×5": `runIds` are the runs standing alone on their side, each to be trained
    /// `count` times as a repeat group.
    void repeatRequested(const QList<qint64> &runIds, int count);

private:
    void buildUi();
    void showComparison(const compare::Comparison &comparison);
    void showError(const QString &message);
    void fillMetrics(const std::vector<compare::MetricComparison> &metrics);
    void fillDifferences(const std::vector<compare::ConfigDifference> &differences);
    void fillEnvironment(const compare::EnvironmentGroupDiff &environment);
    /// The runs standing alone on their side in the comparison last read.
    QList<qint64> aloneOnASide() const;
    void requestRepeat();

    StoreClient &m_store;
    compare::SideRef m_a, m_b;
    std::optional<compare::Comparison> m_comparison; ///< as last read
    bool m_fitted = false;                           ///< sized to the first comparison read
    QLabel *m_sides = nullptr;
    QLabel *m_verdict = nullptr;
    QPushButton *m_repeat = nullptr;
    QTableWidget *m_metrics = nullptr;
    QLabel *m_sameConfig = nullptr;
    QTableWidget *m_differences = nullptr;
    QLabel *m_environment = nullptr;
    QTableWidget *m_environmentDiff = nullptr;
};

} // namespace lathe::panels
