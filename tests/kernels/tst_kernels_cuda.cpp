// Each CUDA kernel against its CPU reference, called through the launchers with device buffers
// (LibTorch here has no CUDA, so no CUDA tensors). Skipped where the build has no CUDA code or
// no GPU is present.
#include "kernels/device/device_query.h"
#include "kernels/feature_map_grid/feature_map_grid.h"
#include "kernels/fused_adamw/fused_adamw.h"
#include "kernels/histogram/histogram.h"
#include "kernels/quantize_int8/quantize_int8.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"
#include "kernel_check.h"

#include <QtTest>

#if LATHE_KERNELS_HAVE_CUDA
#include "kernels/feature_map_grid/feature_map_grid_cuda.h"
#include "kernels/fused_adamw/fused_adamw_cuda.h"
#include "kernels/histogram/histogram_cuda.h"
#include "kernels/quantize_int8/quantize_int8_cuda.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy_cuda.h"
#include "tests/test_registry.h"

#include <cuda_runtime.h>
#endif

#include <cstring>

using namespace lathe;
using namespace lathe::kernels;

#if LATHE_KERNELS_HAVE_CUDA
namespace {

/// A device copy of a contiguous CPU tensor; back() returns its current contents.
class DeviceBuffer
{
public:
    explicit DeviceBuffer(const torch::Tensor &host)
        : m_host(host.contiguous().clone())
    {
        m_bytes = std::size_t(m_host.numel()) * m_host.element_size();
        if (cudaMalloc(&m_device, std::max<std::size_t>(m_bytes, 1)) != cudaSuccess)
            qFatal("cudaMalloc failed");
        cudaMemcpy(m_device, m_host.data_ptr(), m_bytes, cudaMemcpyHostToDevice);
    }
    ~DeviceBuffer() { cudaFree(m_device); }
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    template<typename T>
    T *get() const
    {
        return static_cast<T *>(m_device);
    }
    torch::Tensor back() const
    {
        cudaDeviceSynchronize();
        auto out = torch::empty_like(m_host);
        cudaMemcpy(out.data_ptr(), m_device, m_bytes, cudaMemcpyDeviceToHost);
        return out;
    }

private:
    torch::Tensor m_host;
    void *m_device = nullptr;
    std::size_t m_bytes = 0;
};

#define LATHE_VERIFY_LAUNCH(status)                                                                \
    do {                                                                                           \
        const auto s = (status);                                                                   \
        QVERIFY2(s.ok(), s.error.c_str());                                                         \
    } while (false)

} // namespace
#endif

class TestKernelsCuda : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
#if LATHE_KERNELS_HAVE_CUDA
        const auto report = queryDevices();
        if (report.devices.empty())
            QSKIP(qPrintable("no GPU: " + QString::fromStdString(report.problem)));
#else
        QSKIP("this build has no CUDA code (nvcc was not found at configure time)");
#endif
    }

#if LATHE_KERNELS_HAVE_CUDA
    void fusedAdamW()
    {
        torch::manual_seed(1);
        const std::vector<std::vector<std::int64_t>> shapes{{3000}, {1}, {0}, { 70000 }};
        AdamWTensors cpu;
        std::vector<std::unique_ptr<DeviceBuffer>> buffers;
        std::vector<AdamWKernelTensor> list;
        AdamWHyper h;
        h.lr = 0.01;
        h.weightDecay = 0.1;
        h.maxGradNorm = 0.5;
        for (const auto &shape : shapes) {
            cpu.params.push_back(torch::randn(shape));
            cpu.grads.push_back(torch::randn(shape));
            cpu.expAvg.push_back(torch::randn(shape).abs() * 0.1);
            cpu.expAvgSq.push_back(torch::randn(shape).abs() * 0.01);
            cpu.steps.push_back(3);
            for (const auto *t :
                 {&cpu.params.back(), &cpu.grads.back(), &cpu.expAvg.back(), &cpu.expAvgSq.back()})
                buffers.push_back(std::make_unique<DeviceBuffer>(*t));
            const auto b = buffers.size() - 4;
            list.push_back({buffers[b]->get<float>(), buffers[b + 1]->get<float>(),
                            buffers[b + 2]->get<float>(), buffers[b + 3]->get<float>(),
                            cpu.params.back().numel(), float(h.lr / (1.0 - std::pow(h.beta1, 3.0))),
                            float(std::sqrt(1.0 - std::pow(h.beta2, 3.0)))});
        }
        double squares = 0.0;
        LATHE_VERIFY_LAUNCH(
            adamWGradSquaresKernel(list.data(), int(list.size()), &squares, nullptr));
        const auto norm = fusedAdamWCpu(cpu, h);
        QVERIFY(norm.has_value());
        QVERIFY(std::abs(std::sqrt(squares) - *norm) <= 1e-5 * *norm);
        const float scale = std::min(float(h.maxGradNorm) / (float(*norm) + 1e-6f), 1.0f);
        const AdamWKernelScalars k{0.9f, 0.999f, 1e-8f, 0.1f, float(1.0 - h.lr * 0.1), true, scale};
        LATHE_VERIFY_LAUNCH(fusedAdamWKernel(list.data(), int(list.size()), k, nullptr));
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            LATHE_COMPARE_TENSORS(buffers[4 * i]->back(), cpu.params[i], 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(buffers[4 * i + 2]->back(), cpu.expAvg[i], 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(buffers[4 * i + 3]->back(), cpu.expAvgSq[i], 1e-6, 1e-5);
        }
    }

    void softmaxCrossEntropy()
    {
        using Size = std::pair<std::int64_t, std::int64_t>;
        for (const auto &[rows, classes] : {Size{256, 10}, Size{64, 1000}, Size{1, 1}, Size {
                                                300,
                                                2000
                                            }}) {
            torch::manual_seed(rows);
            const auto logits = torch::randn({rows, classes}) * 3;
            const auto targets = torch::randint(0, classes, {rows});
            const auto cpu = softmaxCrossEntropyCpu(logits, targets, 0.1, 0.5);
            QVERIFY(cpu.has_value());
            DeviceBuffer z(logits), y(targets), grad(torch::zeros({rows, classes}));
            DeviceBuffer rowLoss(torch::zeros({rows})), bad(torch::zeros({1}, torch::kInt));
            LATHE_VERIFY_LAUNCH(softmaxCrossEntropyKernel(
                z.get<float>(), y.get<std::int64_t>(), rows, classes, classes, 0.1f, 0.5f,
                grad.get<float>(), rowLoss.get<float>(), bad.get<int>(), nullptr));
            LATHE_COMPARE_TENSORS(grad.back(), cpu->grad, 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(rowLoss.back().mean(), cpu->loss, 1e-5, 1e-5);
            QCOMPARE(bad.back().item<int>(), 0);
        }
    }

    void histogram()
    {
        torch::manual_seed(2);
        for (const std::int64_t bins : {std::int64_t(1), std::int64_t(64), std::int64_t(5000)}) {
            auto x = torch::randn({200000});
            x[7] = std::numeric_limits<float>::quiet_NaN();
            const auto cpu = histogramCpu(x, bins);
            QVERIFY(cpu.has_value());
            DeviceBuffer data(x);
            float lo = 0, hi = 0;
            std::int64_t nonFinite = 0;
            LATHE_VERIFY_LAUNCH(
                finiteRangeKernel(data.get<float>(), x.numel(), &lo, &hi, &nonFinite, nullptr));
            QCOMPARE(double(lo), cpu->min);
            QCOMPARE(double(hi), cpu->max);
            QCOMPARE(nonFinite, std::int64_t(1));
            DeviceBuffer counts(torch::zeros({bins}, torch::kLong));
            LATHE_VERIFY_LAUNCH(histogramKernel(data.get<float>(), x.numel(), float(cpu->min),
                                                float(cpu->max), bins, counts.get<std::int64_t>(),
                                                nullptr));
            QVERIFY(torch::equal(counts.back(), cpu->counts));
        }
    }

    void quantizeInt8()
    {
        torch::manual_seed(3);
        const auto w = torch::randn({32, 16, 3, 3});
        const auto cpu = quantizeInt8Cpu(w, 1);
        QVERIFY(cpu.has_value());
        DeviceBuffer weights(w), scales(torch::zeros({16})),
            values(torch::zeros_like(w, torch::kChar));
        DeviceBuffer bad(torch::zeros({1}, torch::kInt));
        LATHE_VERIFY_LAUNCH(quantizeInt8Kernel(weights.get<float>(), 32, 16, 9, scales.get<float>(),
                                               values.get<std::int8_t>(), bad.get<int>(), nullptr));
        LATHE_COMPARE_TENSORS(scales.back(), cpu->scales, 0.0, 1e-6);
        QVERIFY(torch::equal(values.back(), cpu->values));
        QCOMPARE(bad.back().item<int>(), 0);
        DeviceBuffer restored(torch::zeros_like(w));
        LATHE_VERIFY_LAUNCH(dequantizeInt8Kernel(values.get<std::int8_t>(), scales.get<float>(), 32,
                                                 16, 9, restored.get<float>(), nullptr));
        LATHE_COMPARE_TENSORS(restored.back(), *dequantizeInt8Cpu(*cpu), 0.0, 1e-6);
    }

    void featureMapGrid()
    {
        torch::manual_seed(4);
        const std::pair<MapNormalization, Colormap> cases[]
            = {{MapNormalization::PerChannel, Colormap::Viridis},
               {MapNormalization::Shared, Colormap::Viridis},
               {MapNormalization::PerChannel, Colormap::Diverging},
               { MapNormalization::Shared,
                 Colormap::Diverging }};
        for (const auto &[normalization, colormap] : cases) {
            auto maps = torch::randn({64, 14, 14});
            maps[3][2][2] = std::numeric_limits<float>::quiet_NaN();
            maps[5].zero_();
            FeatureMapGridOptions o;
            o.normalization = normalization;
            o.colormap = colormap;
            o.background = {1, 2, 3, 4};
            const auto cpu = featureMapGridCpu(maps, o);
            QVERIFY(cpu.has_value());
            FeatureMapGridKernelArgs args;
            args.channels = 64;
            args.height = 14;
            args.width = 14;
            args.columns = cpu->columns;
            args.padding = o.padding;
            args.imageHeight = cpu->rgba.size(0);
            args.imageWidth = cpu->rgba.size(1);
            args.shared = normalization == MapNormalization::Shared;
            args.diverging = colormap == Colormap::Diverging;
            const auto &table = colormapTable(o.colormap);
            for (std::size_t i = 0; i < 256; ++i)
                std::memcpy(&args.lut[i], table[i].data(), 4);
            std::memcpy(&args.lut[256], o.background.data(), 4);
            DeviceBuffer data(maps), range(torch::zeros({2 * 65})),
                image(torch::zeros_like(cpu->rgba));
            LATHE_VERIFY_LAUNCH(featureMapGridKernel(data.get<float>(), args, range.get<float>(),
                                                     image.get<std::uint32_t>(), nullptr));
            QVERIFY(torch::equal(image.back(), cpu->rgba));
        }
    }
#else
    void cudaKernels() {}
#endif
};

LATHE_TEST_GUILESS_MAIN(TestKernelsCuda)
#include "tst_kernels_cuda.moc"
