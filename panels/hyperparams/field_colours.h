// Colours the hyperparameter forms share.
#pragma once

namespace lathe::panels {

/// The text colour of a field's error message and the frame of a field in error.
inline constexpr auto kErrorColor = "#c62828";

} // namespace lathe::panels
