#include "panels/bridge/sample_image.h"

#include <cstring>

namespace lathe::panels {

QImage planesToImage(const std::uint8_t *planes, int channels, int height, int width)
{
    const std::size_t plane = std::size_t(height) * std::size_t(width);
    if (channels == 3) {
        QImage image(width, height, QImage::Format_RGB888);
        for (int y = 0; y < height; ++y) {
            uchar *line = image.scanLine(y);
            const std::size_t row = std::size_t(y) * std::size_t(width);
            for (int x = 0; x < width; ++x) {
                line[3 * x] = planes[row + x];
                line[3 * x + 1] = planes[plane + row + x];
                line[3 * x + 2] = planes[2 * plane + row + x];
            }
        }
        return image;
    }
    QImage image(width, height, QImage::Format_Grayscale8);
    for (int y = 0; y < height; ++y)
        std::memcpy(image.scanLine(y), planes + std::size_t(y) * std::size_t(width),
                    std::size_t(width));
    return image;
}

QImage tensorToImage(const torch::Tensor &sample)
{
    if (!sample.defined() || sample.dim() != 3)
        return {};
    torch::Tensor bytes = sample;
    if (sample.scalar_type() != torch::kByte)
        bytes = sample.to(torch::kFloat).clamp(0.0, 1.0).mul(255.0).round().to(torch::kByte);
    bytes = bytes.cpu().contiguous();
    return planesToImage(bytes.data_ptr<std::uint8_t>(), int(bytes.size(0)), int(bytes.size(1)),
                         int(bytes.size(2)));
}

} // namespace lathe::panels
