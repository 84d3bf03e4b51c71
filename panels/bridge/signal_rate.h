// How often the bridge signals the GUI thread: at most ~30 times a second, whatever the rate
// of the events behind it (training steps, samples evaluated, export progress).
#pragma once

namespace lathe::panels {

/// The shortest interval between two progress signals, in milliseconds.
constexpr int kSignalIntervalMs = 33;

} // namespace lathe::panels
