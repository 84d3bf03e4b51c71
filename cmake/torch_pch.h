// The precompiled header every LibTorch-using target reuses (see LatheTargets.cmake).
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
