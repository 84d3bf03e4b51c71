// Feature maps to pixels: kernels::featureMapGrid (normalise, colour-map, tile into RGBA8, then
// wrap as a QImage) against the straightforward per-pixel loop into a QImage, on a 64x14x14
// activation (and a larger 256x28x28 one). Reported as peer time / kernel time.
// Usage: bench_gui_featuremap [REPEATS] [THREADS]
#include "bench/bench_timing.h"
#include "core/util/threads.h"
#include "kernels/feature_map_grid/feature_map_grid.h"

#include <QImage>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

using namespace lathe;
using lathe::bench::bestPerCall;

namespace {

/// The peer: per-channel min/max with LibTorch, then one setPixel per pixel.
QImage perPixelLoop(const torch::Tensor &maps)
{
    const auto &table = kernels::colormapTable(kernels::Colormap::Viridis);
    const auto c = maps.size(0), h = maps.size(1), w = maps.size(2);
    const auto columns = std::int64_t(std::ceil(std::sqrt(double(c))));
    const auto rows = (c + columns - 1) / columns;
    QImage image(int(columns * (w + 1) - 1), int(rows * (h + 1) - 1), QImage::Format_RGBA8888);
    image.fill(Qt::transparent);
    const auto lo = maps.flatten(1).amin(1), hi = maps.flatten(1).amax(1);
    const auto values = maps.accessor<float, 3>();
    for (std::int64_t ch = 0; ch < c; ++ch) {
        const float l = lo[ch].item<float>(), range = hi[ch].item<float>() - l;
        const int left = int((ch % columns) * (w + 1)), top = int((ch / columns) * (h + 1));
        for (std::int64_t y = 0; y < h; ++y)
            for (std::int64_t x = 0; x < w; ++x) {
                const float t = range > 0 ? (values[ch][y][x] - l) / range : 0.0f;
                const auto &rgba = table[std::size_t(std::clamp(int(t * 255 + 0.5f), 0, 255))];
                image.setPixel(left + int(x), top + int(y), qRgba(rgba[0], rgba[1], rgba[2], 255));
            }
    }
    return image;
}

QImage kernelImage(const torch::Tensor &maps)
{
    auto grid = kernels::featureMapGrid(maps);
    if (!grid)
        std::exit(1);
    const auto &rgba = grid->rgba;
    return QImage(rgba.data_ptr<std::uint8_t>(), int(rgba.size(1)), int(rgba.size(0)),
                  int(rgba.size(1) * 4), QImage::Format_RGBA8888)
        .copy();
}

} // namespace

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const int threads = util::configureThreads(argc > 2 ? std::atoi(argv[2]) : 0);
    std::printf("bench_gui_featuremap: %d LibTorch threads, best of %d rounds\n", threads,
                repeats);
    for (const auto &shape : {std::vector<std::int64_t>{64, 14, 14}, {256, 28, 28}}) {
        const auto maps = torch::randn(shape);
        const double peer = bestPerCall([&] { (void)perPixelLoop(maps); }, 50, repeats);
        const double kernel = bestPerCall([&] { (void)kernelImage(maps); }, 50, repeats);
        std::printf("feature maps %lldx%lldx%lld -> QImage            peer %8.1f us  lathe "
                    "%8.1f us  ratio %5.2fx\n",
                    static_cast<long long>(shape[0]), static_cast<long long>(shape[1]),
                    static_cast<long long>(shape[2]), peer * 1e6, kernel * 1e6, peer / kernel);
    }
    return 0;
}
