#pragma once

#include <QColor>
#include <QtGlobal>

namespace lathe::panels {

/// The colour run `runId` is drawn in, in every view (live curves, Compare, parallel
/// coordinates): derived from the id alone, so a run keeps its colour across views and
/// restarts. Tableau 10 by id (run 1 blue, run 2 orange, ...), then darker and lighter rounds
/// of it for runs 11 to 30, and so on. Thread-safe.
QColor runColour(qint64 runId);

/// `colour` with alpha `alpha` (0-255): a run's colour drawn faint. Thread-safe.
QColor faded(QColor colour, int alpha);

} // namespace lathe::panels
