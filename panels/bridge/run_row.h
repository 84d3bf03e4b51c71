#pragma once

#include "core/track/run_timing.h"
#include "core/track/store_types.h"

#include <QColor>
#include <QString>
#include <QStringList>

#include <optional>

namespace lathe::track {
struct RunSummary;
}

namespace lathe::panels {

/// One run as the runs table shows it: plain values read from the store (times in unix
/// seconds, 0 = unset; metrics absent until logged). A value type; thread-safe to build.
struct RunRow
{
    qint64 id = 0;
    QString name;
    track::RunStatus status = track::RunStatus::Created;
    double createdAt = 0;
    double startedAt = 0;
    double endedAt = 0;
    QString model;
    QString dataset;    ///< what it trains on: data.path's file or folder name, else the reader
    QString dataSource; ///< "image-folder: /data/flowers" (the reader and data.path)
    QString optimizer;
    std::optional<double> lr;
    std::optional<double> bestValAccuracy;
    std::optional<double> testAccuracy;
    std::optional<double> finalTrainLoss;
    std::optional<double> privacyEpsilon; ///< DP-SGD: its last privacy/epsilon; absent: not private
    std::optional<double> privacyDelta;   ///< DP-SGD: its last privacy/delta
    QStringList tags;
    QString notes;
    QString errorMessage;
    qint64 parentId = 0;  ///< the run this one was fine-tuned from; 0 = none
    int worldSize = 1;    ///< its data-parallel workers (param dist.world_size); 1: one process
    track::IdleTime idle; ///< paused or between attempts (not training)
    QString filterText;   ///< lowercased name, tags, notes, model, dataset, optimizer, status

    /// Builds a row (and its filterText) from a store summary.
    static RunRow fromSummary(const track::RunSummary &summary);
    /// Recomputes filterText from the other fields (after an edit).
    void updateFilterText();
    /// Training time: seconds from start to end (to `now` while unfinished) less the paused
    /// time and the gaps between an end and a resume; 0 when never started.
    double durationSeconds(double now) const;
    /// Seconds from start to end (to `now` while unfinished), idle time included.
    double wallSeconds(double now) const;
    bool operator==(const RunRow &other) const = default;
};

/// "Running" for RunStatus::Running.
QString runStatusText(track::RunStatus status);
/// The colour a status is drawn in; invalid for states shown in the default colour.
QColor runStatusColor(track::RunStatus status);
/// "12s", "3m 05s", "2h 07m"; "—" for 0.
QString formatDuration(double seconds);
/// "86.20 %" for 0.862; "—" when absent or NaN.
QString formatPercent(const std::optional<double> &value);
/// "0.2345" (four significant digits); "—" when absent or NaN.
QString formatLoss(const std::optional<double> &value);
/// "fine-tuned from run 3 (alpha)", or "fine-tuned from run 3" when the name is unknown.
QString lineageText(qint64 parentId, const QString &parentName);
/// Comma-separated tags, trimmed, without empties or duplicates, sorted like the store's.
QStringList parseTags(const QString &text);

} // namespace lathe::panels
