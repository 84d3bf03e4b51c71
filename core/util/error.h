// Error, ErrorCode, Result<T> and fail(): core's name for the base layer's header (base/error.h,
// target lathe_base), so core and everything above it include errors from core/util like the
// rest of its utilities while kernels, below core, include base/error.h directly.
#pragma once

#include "base/error.h"
