#pragma once

#include <QList>
#include <QtGlobal>

namespace lathe::panels {

/// What the window shows, handed whole to every panel through its one setSelection() slot (as
/// Tiled's docks take a document through setMapDocument()): each panel picks what concerns it
/// and ignores what did not change. 0 means "none" for every id.
struct RunSelection
{
    qint64 active = 0;        ///< the run training in this window (the live curves follow it)
    QList<qint64> selected{}; ///< the runs picked in the Runs table, in its order (overlaid)
    qint64 inspected = 0;     ///< the run to look inside: the first picked or the one activated
    qint64 watched = 0;       ///< the run followed live: `inspected`, or `active` if started since

    /// The run offered for side-by-side views: the second picked one (0 when fewer).
    qint64 compared() const { return selected.size() > 1 ? selected[1] : 0; }
    bool operator==(const RunSelection &) const = default;
};

} // namespace lathe::panels
