// Feature maps to an RGBA grid: geometry, checks and the dispatch by device.
#include "kernels/feature_map_grid/feature_map_grid.h"

#include "kernels/common/cuda_dispatch.h"
#include "kernels/feature_map_grid/feature_map_grid_cuda.h"

#include <ATen/ops/empty.h>

#include <cmath>
#include <cstring>

namespace lathe::kernels {

namespace detail {

Result<FeatureMapGrid> planFeatureMapGrid(const at::Tensor &maps,
                                          const FeatureMapGridOptions &options,
                                          at::Tensor &maps3)
{
    if (!maps.defined() || !maps.is_floating_point()
        || !(maps.dim() == 3 || (maps.dim() == 4 && maps.size(0) == 1)))
        return fail(ErrorCode::InvalidArgument,
                    "feature maps must be a floating [C, H, W] or [1, C, H, W] tensor", "maps");
    if (options.columns < 0 || options.padding < 0 || options.padding > 4096)
        return fail(ErrorCode::InvalidArgument, "columns must be >= 0 and padding in [0, 4096]");
    maps3 = maps.dim() == 4 ? maps[0] : maps;
    const std::int64_t channels = maps3.size(0), height = maps3.size(1), width = maps3.size(2);
    FeatureMapGrid grid;
    grid.tileHeight = height;
    grid.tileWidth = width;
    grid.columns = options.columns > 0
                       ? std::min(options.columns, std::max<std::int64_t>(channels, 1))
                       : std::max<std::int64_t>(
                             1, std::int64_t(std::ceil(std::sqrt(double(channels)))));
    grid.rows = (channels + grid.columns - 1) / grid.columns;
    const std::int64_t imageWidth =
        channels == 0 ? 0 : grid.columns * width + (grid.columns - 1) * options.padding;
    const std::int64_t imageHeight =
        channels == 0 ? 0 : grid.rows * height + (grid.rows - 1) * options.padding;
    if (double(imageWidth) * double(imageHeight) * 4.0 > double(std::int64_t(1) << 31))
        return fail(ErrorCode::InvalidArgument,
                    "the grid image would exceed 2 GiB; show fewer channels", "maps");
    grid.rgba = at::empty({imageHeight, imageWidth, 4}, maps.options().dtype(at::kByte));
    return grid;
}

} // namespace detail

#if LATHE_KERNELS_TORCH_CUDA
namespace {

Result<FeatureMapGrid> featureMapGridCuda(const at::Tensor &maps,
                                          const FeatureMapGridOptions &options)
{
    at::Tensor maps3;
    auto grid = detail::planFeatureMapGrid(maps, options, maps3);
    if (!grid)
        return grid;
    const c10::cuda::CUDAGuard guard(maps.device());
    const at::Tensor x = maps3.to(at::kFloat).contiguous();
    FeatureMapGridKernelArgs args;
    args.channels = x.size(0);
    args.height = x.size(1);
    args.width = x.size(2);
    args.columns = grid->columns;
    args.padding = options.padding;
    args.imageHeight = grid->rgba.size(0);
    args.imageWidth = grid->rgba.size(1);
    args.shared = options.normalization == MapNormalization::Shared;
    args.diverging = options.colormap == Colormap::Diverging;
    const auto &table = colormapTable(options.colormap);
    for (std::size_t i = 0; i < 256; ++i)
        std::memcpy(&args.lut[i], table[i].data(), 4);
    std::memcpy(&args.lut[256], options.background.data(), 4);
    at::Tensor range = at::empty({2 * (args.channels + 1)}, x.options());
    const auto status = featureMapGridKernel(
        x.data_ptr<float>(), args, range.data_ptr<float>(),
        reinterpret_cast<std::uint32_t *>(grid->rgba.data_ptr<std::uint8_t>()),
        detail::currentCudaStream());
    if (!status.ok())
        return fail(ErrorCode::Internal, status.error, "feature map grid (CUDA)");
    return grid;
}

} // namespace
#endif

Result<FeatureMapGrid> featureMapGrid(const at::Tensor &maps, const FeatureMapGridOptions &options)
{
    if (!maps.defined() || !maps.is_cuda())
        return featureMapGridCpu(maps, options);
#if LATHE_KERNELS_TORCH_CUDA
    return featureMapGridCuda(maps, options);
#else
    return std::unexpected(detail::noCudaError("feature map grid"));
#endif
}

} // namespace lathe::kernels
