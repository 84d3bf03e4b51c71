#pragma once

#include <torch/torch.h>

#include <QImage>

#include <cstdint>

namespace lathe::panels {

/// One sample's planes (C x H x W bytes, contiguous) as a QImage: Grayscale8 for one channel,
/// RGB888 for three, the first channel as gray otherwise. Copies the pixels. Thread-safe.
QImage planesToImage(const std::uint8_t *planes, int channels, int height, int width);

/// A sample tensor [C,H,W] (uint8, or floating point in [0, 1], clamped) as a QImage, as
/// planesToImage. Null for a tensor that is not 3-D. Thread-safe.
QImage tensorToImage(const torch::Tensor &sample);

} // namespace lathe::panels
