// The Sweep panel's plots of the shown sweep: the objective over trials, the slice and the
// contour's keys.
#include "panels/sweep/sweep_panel.h"

#include "panels/common/plot_widget.h"
#include "panels/sweep/sweep_contour_view.h"
#include "panels/sweep/trial_table_model.h"

#include <QComboBox>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

void SweepPanel::updateObjective()
{
    PlotSeries completed{tr("completed"), trialStateColor(track::TrialState::Completed), {}};
    PlotSeries pruned{tr("pruned (last value)"), trialStateColor(track::TrialState::Pruned), {}};
    PlotSeries best{tr("best so far"), QColor(0x20, 0x20, 0x20), {}};
    completed.scatter = pruned.scatter = true;
    std::vector<PlotMarker> failed;
    const auto &trials = m_snapshot.trials;
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const TrialItem &trial = trials[i];
        const double x = trial.number;
        if (trial.state == track::TrialState::Completed && trial.value
            && std::isfinite(*trial.value))
            completed.points.push_back({x, *trial.value});
        else if (trial.state == track::TrialState::Pruned && trial.lastValue
                 && std::isfinite(*trial.lastValue))
            pruned.points.push_back({x, *trial.lastValue});
        else if (trial.state == track::TrialState::Failed)
            failed.push_back({x, QString(), trialStateColor(track::TrialState::Failed)});
        if (i < m_snapshot.bestSoFar.size() && std::isfinite(m_snapshot.bestSoFar[i]))
            best.points.push_back({x, m_snapshot.bestSoFar[i]});
    }
    std::vector<PlotSeries> series;
    // The line first, so that the trials' dots are drawn over it.
    for (auto *s : {&best, &completed, &pruned})
        if (!s->points.empty())
            series.push_back(std::move(*s));
    m_objective->setAxisTitles(tr("trial"), m_snapshot.metric);
    m_objective->setSeries(std::move(series));
    m_objective->setMarkers(std::move(failed));
}

void SweepPanel::updateSliceKeys()
{
    const QSignalBlocker blocker(m_sliceKey);
    m_sliceKey->clear();
    for (const auto &axis : m_snapshot.axes)
        m_sliceKey->addItem(axis.key);
}

void SweepPanel::updateContourKeys()
{
    for (auto *key : {m_contourX, m_contourY}) {
        const QSignalBlocker blocker(key);
        key->clear();
        for (const auto &axis : m_snapshot.axes)
            key->addItem(axis.key);
    }
    m_contourX->setCurrentIndex(m_snapshot.axes.empty() ? -1 : 0);
    m_contourY->setCurrentIndex(std::min(1, int(m_snapshot.axes.size()) - 1));
    m_contour->setKeys(m_contourX->currentIndex(), m_contourY->currentIndex());
}

void SweepPanel::updateSlice()
{
    const int axis = m_sliceKey->currentIndex();
    PlotSeries trials{tr("completed"), trialStateColor(track::TrialState::Completed), {}};
    trials.scatter = true;
    if (axis < 0 || std::size_t(axis) >= m_snapshot.axes.size()) {
        m_slice->setSeries({});
        return;
    }
    const SweepAxis &key = m_snapshot.axes[std::size_t(axis)];
    for (const auto &trial : m_snapshot.trials)
        if (trial.state == track::TrialState::Completed && trial.value
            && std::isfinite(*trial.value) && std::size_t(axis) < trial.coords.size()
            && std::isfinite(trial.coords[std::size_t(axis)]))
            trials.points.push_back({trial.coords[std::size_t(axis)], *trial.value});
    std::sort(trials.points.begin(), trials.points.end(),
              [](const auto &a, const auto &b) { return a.x < b.x; });
    // A choice key is placed by the index of its value: its ticks name the values.
    if (key.kind == sweep::Kind::Choice) {
        const QStringList names = key.choices;
        m_slice->setXFormatter([names](double x) {
            const double index = std::round(x);
            return std::abs(x - index) < 1e-6 ? names.value(qsizetype(index)) : QString();
        });
    } else {
        m_slice->setXFormatter({});
    }
    m_slice->setLogX(key.kind == sweep::Kind::LogUniform);
    m_slice->setAxisTitles(key.key, m_snapshot.metric);
    m_slice->setSeries({std::move(trials)});
}

} // namespace lathe::panels
