#pragma once

#include <QRect>
#include <QSize>

namespace lathe::panels {

/// The share of a screen's available area a window takes where no saved geometry fits.
inline constexpr double kDefaultScreenShare = 0.9;

/// Where the window goes on a screen whose available area (without panels and docks of the
/// desktop) is `available`: `saved` when it is valid, at least `minimum` and lies wholly inside
/// `available`; else kDefaultScreenShare of `available`, centred, but never smaller than
/// `minimum` nor larger than `available`. Pure; any thread.
QRect fittedGeometry(const QRect &available, const QRect &saved, const QSize &minimum);

} // namespace lathe::panels
