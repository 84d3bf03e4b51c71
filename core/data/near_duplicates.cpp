#include "core/data/near_duplicates.h"

#include "core/data/dataset.h"
#include "core/data/sample_hash.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numbers>
#include <numeric>
#include <utility>

namespace lathe::data {

namespace {

constexpr std::int64_t kDuplicateChunk = 2048;
constexpr std::int64_t kSide = 32; // the perceptual hash's DCT size
constexpr std::int64_t kLow = 8;   // its kLow x kLow lowest frequencies make the 64 bits
constexpr std::int64_t kRowBlock = 2048;

/// The orthonormal DCT-II matrix of size n (row k: frequency k).
torch::Tensor dctMatrix(std::int64_t n)
{
    torch::Tensor d = torch::empty({n, n}, torch::kFloat);
    auto a = d.accessor<float, 2>();
    for (std::int64_t k = 0; k < n; ++k)
        for (std::int64_t i = 0; i < n; ++i)
            a[k][i] = float(
                std::sqrt((k == 0 ? 1.0 : 2.0) / double(n))
                * std::cos(std::numbers::pi * double(2 * i + 1) * double(k) / double(2 * n)));
    return d;
}

/// The 64-bit perceptual hashes of a batch [B,C,H,W] in [0, 1].
std::vector<std::uint64_t> perceptualHashes(const torch::Tensor &x, const torch::Tensor &dct)
{
    namespace F = torch::nn::functional;
    const torch::Tensor grey
        = F::interpolate(x.mean(1, true), F::InterpolateFuncOptions()
                                              .size(std::vector<std::int64_t>{kSide, kSide})
                                              .mode(torch::kBilinear)
                                              .align_corners(false));
    const torch::Tensor coeffs = torch::matmul(torch::matmul(dct, grey.squeeze(1)), dct.t());
    const torch::Tensor low = coeffs.narrow(1, 0, kLow).narrow(2, 0, kLow).reshape({-1, 64});
    const torch::Tensor bits = (low > std::get<0>(low.median(1, true))).contiguous();
    const auto *b = bits.data_ptr<bool>();
    std::vector<std::uint64_t> out(std::size_t(bits.size(0)), 0);
    for (std::size_t i = 0; i < out.size(); ++i)
        for (int k = 0; k < 64; ++k)
            out[i] |= std::uint64_t(b[i * 64 + std::size_t(k)]) << k;
    return out;
}

/// Every sample of every split, as 8-bit pixels and two hashes.
struct Samples
{
    torch::Tensor pixels; // uint8 [N, D], all splits one after the other
    std::vector<std::uint64_t> perceptual;
    std::vector<std::uint64_t> exact;
    std::vector<SampleRef> refs;
};

Result<void> readSplit(Samples &s, int splitIndex, const Dataset &dataset, std::stop_token stop,
                       const std::function<void(std::int64_t)> &advance)
{
    const torch::Tensor dct = dctMatrix(kSide);
    const torch::Tensor labels = dataset.labels().to(torch::kLong).contiguous();
    const auto *label = labels.data_ptr<std::int64_t>();
    std::vector<torch::Tensor> chunks;
    for (std::int64_t start = 0; start < dataset.size(); start += kDuplicateChunk) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "the duplicate search was cancelled");
        const std::int64_t n = std::min(kDuplicateChunk, dataset.size() - start);
        const torch::Tensor x = dataset.images(torch::arange(start, start + n, torch::kLong));
        const torch::Tensor bytes = (x.clamp(0, 1) * 255).round().to(torch::kByte).reshape({n, -1});
        chunks.push_back(bytes.contiguous());
        for (std::uint64_t h : perceptualHashes(x.to(torch::kFloat), dct))
            s.perceptual.push_back(h);
        const auto *data = chunks.back().data_ptr<std::uint8_t>();
        const auto stride = std::size_t(chunks.back().size(1));
        for (std::int64_t i = 0; i < n; ++i) {
            s.exact.push_back(hashBytes(data + std::size_t(i) * stride, stride));
            s.refs.push_back({splitIndex, start + i, label[start + i]});
        }
        advance(n);
    }
    if (!chunks.empty())
        s.pixels
            = s.pixels.defined() ? torch::cat({s.pixels, torch::cat(chunks)}) : torch::cat(chunks);
    return {};
}

struct Pair
{
    std::int64_t a, b;
    double rms;
    bool exact;
};

class SampleCompare
{
public:
    explicit SampleCompare(const torch::Tensor &pixels)
        : m_data(pixels.data_ptr<std::uint8_t>())
        , m_stride(std::size_t(pixels.size(1)))
    {
    }
    bool identical(std::int64_t a, std::int64_t b) const
    {
        return std::memcmp(row(a), row(b), m_stride) == 0;
    }
    double rms(std::int64_t a, std::int64_t b) const
    {
        std::int64_t sum = 0;
        for (std::size_t k = 0; k < m_stride; ++k) {
            const int d = int(row(a)[k]) - int(row(b)[k]);
            sum += d * d;
        }
        return std::sqrt(double(sum) / double(m_stride)) / 255.0;
    }

private:
    const std::uint8_t *row(std::int64_t i) const { return m_data + std::size_t(i) * m_stride; }
    const std::uint8_t *m_data;
    std::size_t m_stride;
};

/// Byte-identical pairs: equal hashes, confirmed by the bytes.
std::vector<Pair> exactPairs(const Samples &s, const SampleCompare &cmp)
{
    std::vector<std::pair<std::uint64_t, std::int64_t>> keyed;
    for (std::size_t i = 0; i < s.exact.size(); ++i)
        keyed.emplace_back(s.exact[i], std::int64_t(i));
    std::sort(keyed.begin(), keyed.end());
    std::vector<Pair> pairs;
    for (std::size_t i = 0; i < keyed.size(); ++i)
        for (std::size_t j = i + 1; j < keyed.size() && keyed[j].first == keyed[i].first; ++j)
            if (cmp.identical(keyed[i].second, keyed[j].second))
                pairs.push_back({keyed[i].second, keyed[j].second, 0.0, true});
    return pairs;
}

/// Pairs within the Hamming and RMS thresholds that are not byte-identical, rows
/// [begin, end) against every later sample, on LibTorch's intra-op threads.
void nearPairs(const Samples &s, const SampleCompare &cmp, const NearDuplicateOptions &options,
               std::int64_t begin, std::int64_t end, std::vector<Pair> &out)
{
    const auto n = std::int64_t(s.perceptual.size());
    const std::uint64_t *h = s.perceptual.data();
    std::mutex mutex;
    at::parallel_for(begin, end, 16, [&](std::int64_t from, std::int64_t to) {
        std::vector<Pair> found;
        for (std::int64_t i = from; i < to; ++i)
            for (std::int64_t j = i + 1; j < n; ++j) {
                if (std::popcount(h[i] ^ h[j]) > options.maxHamming)
                    continue;
                const double rms = cmp.rms(i, j); // 0: identical, an exact pair already
                if (rms > 0.0 && rms <= options.maxRms)
                    found.push_back({i, j, rms, false});
            }
        const std::lock_guard lock(mutex);
        out.insert(out.end(), found.begin(), found.end());
    });
}

std::int64_t findRoot(std::vector<std::int64_t> &parent, std::int64_t i)
{
    while (parent[std::size_t(i)] != i)
        i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
    return i;
}

std::vector<DuplicateCluster> clustersOf(const Samples &s, const std::vector<Pair> &pairs)
{
    std::vector<std::int64_t> parent(s.refs.size());
    std::iota(parent.begin(), parent.end(), 0);
    for (const Pair &p : pairs)
        parent[std::size_t(findRoot(parent, p.a))] = findRoot(parent, p.b);
    std::map<std::int64_t, std::vector<std::int64_t>> byRoot;
    for (const Pair &p : pairs)
        for (std::int64_t i : {p.a, p.b})
            byRoot[findRoot(parent, i)].push_back(i);
    std::map<std::int64_t, double> worst;
    for (const Pair &p : pairs)
        worst[findRoot(parent, p.a)] = std::max(worst[findRoot(parent, p.a)], p.rms);
    std::vector<DuplicateCluster> clusters;
    const SampleCompare cmp(s.pixels);
    for (auto &[root, members] : byRoot) {
        std::sort(members.begin(), members.end());
        members.erase(std::unique(members.begin(), members.end()), members.end());
        DuplicateCluster c{{}, true, false, worst[root]};
        for (std::int64_t m : members) {
            c.members.push_back(s.refs[std::size_t(m)]);
            c.exact &= cmp.identical(members.front(), m);
            c.mixedLabels |= s.refs[std::size_t(m)].label != s.refs[std::size_t(members[0])].label;
        }
        clusters.push_back(std::move(c));
    }
    std::sort(clusters.begin(), clusters.end(), [](const auto &a, const auto &b) {
        const SampleRef &x = a.members.front(), &y = b.members.front();
        return std::pair(x.split, x.index) < std::pair(y.split, y.index);
    });
    return clusters;
}

void countPairs(DuplicateReport &report, const Samples &s, const std::vector<Pair> &pairs)
{
    const std::size_t k = report.splitNames.size();
    report.pairs.assign(k, std::vector<std::int64_t>(k, 0));
    report.exactPairs = report.pairs;
    for (const Pair &p : pairs) {
        const auto a = std::size_t(s.refs[std::size_t(p.a)].split);
        const auto b = std::size_t(s.refs[std::size_t(p.b)].split);
        ++report.pairs[std::min(a, b)][std::max(a, b)];
        if (p.exact)
            ++report.exactPairs[std::min(a, b)][std::max(a, b)];
    }
}

Result<void> checkSplits(const std::vector<NamedSplit> &splits)
{
    if (splits.empty())
        return fail(ErrorCode::InvalidArgument, "no dataset split to search for duplicates");
    for (const NamedSplit &split : splits) {
        if (!split.dataset)
            return fail(ErrorCode::InvalidArgument, "split \"" + split.name + "\" has no dataset");
        if (split.dataset->sampleShape().size() != 3)
            return fail(ErrorCode::BadInput, "the samples are not {C,H,W} images",
                        split.dataset->description());
        if (split.dataset->sampleShape() != splits.front().dataset->sampleShape())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("splits \"{}\" and \"{}\" have different sample shapes",
                                    splits.front().name, split.name));
    }
    return {};
}

Result<DuplicateReport> search(const std::vector<NamedSplit> &splits,
                               const NearDuplicateOptions &options, std::stop_token stop,
                               const DuplicateProgress &progress)
{
    DuplicateReport report;
    std::int64_t total = 0;
    for (const NamedSplit &split : splits) {
        report.splitNames.push_back(split.name);
        report.splitSizes.push_back(split.dataset->size());
        total += split.dataset->size();
    }
    // Work units: each sample read once, then each sample's row of comparisons once.
    std::int64_t done = 0;
    const auto advance = [&](std::int64_t n) {
        done += n;
        if (progress)
            progress(done, 2 * total);
    };
    Samples s;
    for (std::size_t i = 0; i < splits.size(); ++i)
        if (auto ok = readSplit(s, int(i), *splits[i].dataset, stop, advance); !ok)
            return std::unexpected(ok.error());
    if (total == 0)
        return countPairs(report, s, {}), report;
    const SampleCompare cmp(s.pixels);
    std::vector<Pair> pairs = exactPairs(s, cmp);
    for (std::int64_t begin = 0; begin < total; begin += kRowBlock) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "the duplicate search was cancelled");
        const std::int64_t end = std::min(total, begin + kRowBlock);
        nearPairs(s, cmp, options, begin, end, pairs);
        advance(end - begin);
    }
    countPairs(report, s, pairs);
    report.clusters = clustersOf(s, pairs);
    return report;
}

} // namespace

Result<void> checkNearDuplicateOptions(const NearDuplicateOptions &options)
{
    if (options.maxHamming < 0 || options.maxHamming > 16)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} is out of range: the Hamming distance goes from 0 to 16 "
                                "(of 64 bits)",
                                options.maxHamming),
                    "max_hamming");
    if (!(options.maxRms >= 0.0 && options.maxRms <= 1.0))
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} is out of range: the RMS pixel difference goes from 0 to 1",
                                options.maxRms),
                    "max_rms");
    return {};
}

Result<DuplicateReport> findNearDuplicates(const std::vector<NamedSplit> &splits,
                                           const NearDuplicateOptions &options,
                                           std::stop_token stop, const DuplicateProgress &progress)
{
    if (auto ok = checkNearDuplicateOptions(options); !ok)
        return std::unexpected(ok.error());
    if (auto ok = checkSplits(splits); !ok)
        return std::unexpected(ok.error());
    try {
        return search(splits, options, std::move(stop), progress);
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, fmt::format("cannot read the dataset: {}", e.what()));
    }
}

} // namespace lathe::data
