#pragma once

#include "core/track/store_types.h"
#include "panels/bridge/run_selection.h"
#include "panels/histograms/histogram_series.h"
#include "panels/histograms/histograms_poll.h"

#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QToolButton;

namespace lathe::panels {

class HistogramView;
class StoreClient;

/// The Histograms panel: the weights, gradients and activations histograms a run recorded
/// while it trained (every histograms.every steps), one tensor series at a time, as a heatmap
/// or a ridgeline over training. Pick the tensor (parameter or stage) and the kind; hover for
/// the step, bin range and count. While the run is live the panel polls the store once a
/// second for new steps only (through StoreClient, off the GUI thread). GUI thread only.
class HistogramsPanel : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kPollMs = 1000;

    /// Reads through `store`, which must outlive the panel.
    explicit HistogramsPanel(StoreClient &store, QWidget *parent = nullptr);

    std::int64_t runId() const { return m_runId; }
    /// The series shown, when there is one.
    std::optional<track::HistogramKey> currentKey() const;
    const HistogramSeries &series() const { return m_series; }
    HistogramView *view() const { return m_view; }
    /// The line under the plot: the hover read-out, else a summary of the series.
    QString statusText() const;

public Q_SLOTS:
    /// Shows the watched run (0 = none): its first series, read whole, then polled while live.
    void setSelection(const lathe::panels::RunSelection &selection);
    /// Polls the store now (and resumes polling a run that had stopped changing).
    void refresh();

Q_SIGNALS:
    /// A poll's result was applied (tests wait for it).
    void polled();

private:
    void setRun(std::int64_t runId);
    void buildUi();
    void poll();
    void applyPoll(Result<HistogramPollResult> result, std::uint64_t generation);
    void updateKeys(const std::vector<track::HistogramKey> &keys);
    void fillKinds();
    void selectionChanged();
    void updateEmptyText();
    void updateSummary();
    void setMode(bool ridgeline);

    StoreClient *m_store;
    QComboBox *m_tensor = nullptr;
    QComboBox *m_kind = nullptr;
    QToolButton *m_heatmapButton = nullptr;
    QToolButton *m_ridgelineButton = nullptr;
    QCheckBox *m_logColour = nullptr;
    QLabel *m_status = nullptr;
    HistogramView *m_view = nullptr;
    QTimer m_timer;

    HistogramSeries m_series;
    std::vector<track::HistogramKey> m_keys;
    std::int64_t m_runId = 0;
    std::int64_t m_every = -1; ///< the run's histograms.every; -1 until read
    bool m_live = true;        ///< the run may still record (created, running or paused)
    bool m_missing = false;
    bool m_inFlight = false;
    std::uint64_t m_generation = 0; ///< bumped when the run or the series changes
    QString m_readout;
    QString m_error;
};

} // namespace lathe::panels
