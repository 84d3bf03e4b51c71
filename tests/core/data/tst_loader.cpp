#include "core/data/fashion_mnist.h"
#include "core/data/loader.h"
#include "core/util/threads.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QElapsedTimer>
#include <QtTest>

#include <stdexcept>

using namespace lathe::data;
using lathe::ErrorCode;

namespace {

/// 2,000 float images 1x4x4 whose every pixel is the sample's id; label = id % 10.
std::shared_ptr<TensorDataset> idDataset(std::int64_t n = 2000)
{
    const torch::Tensor ids = torch::arange(n, torch::kFloat);
    const torch::Tensor images = ids.view({n, 1, 1, 1}).expand({n, 1, 4, 4}).contiguous();
    const std::vector<std::string> names{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    return *TensorDataset::create(images, torch::arange(n, torch::kLong).remainder(10), names);
}

/// Fashion-MNIST-like random uint8 images, for augmentation.
std::shared_ptr<TensorDataset> imageDataset(std::int64_t n = 1000)
{
    torch::manual_seed(3);
    return *TensorDataset::create(torch::randint(0, 256, {n, 1, 28, 28}).to(torch::kByte),
                                  torch::randint(0, 10, {n}, torch::kLong),
                                  {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
}

/// A loader the test expects to be valid.
std::unique_ptr<Loader> makeLoader(std::shared_ptr<const Dataset> dataset,
                                   const torch::Tensor &indices, LoaderOptions options)
{
    auto loader = Loader::create(std::move(dataset), indices, std::move(options));
    if (!loader)
        qFatal("%s", loader.error().toString().c_str());
    return std::move(*loader);
}

/// Every batch of the current epoch; stops (and records the error) at the first failure.
std::vector<Batch> drain(Loader &loader, std::optional<lathe::Error> *error = nullptr)
{
    std::vector<Batch> batches;
    for (;;) {
        auto next = loader.next();
        if (!next) {
            if (error)
                *error = next.error();
            return batches;
        }
        if (!next->has_value())
            return batches;
        batches.push_back(std::move(**next));
    }
}

torch::Tensor idsOf(const std::vector<Batch> &batches)
{
    std::vector<torch::Tensor> ids;
    for (const Batch &b : batches)
        ids.push_back(b.x.select(1, 0).select(1, 0).select(1, 0).to(torch::kLong));
    return ids.empty() ? torch::empty({0}, torch::kLong) : torch::cat(ids);
}

bool identical(const std::vector<Batch> &a, const std::vector<Batch> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].x.equal(b[i].x) || !a[i].y.equal(b[i].y))
            return false;
    }
    return true;
}

AugmentConfig fullAugment()
{
    AugmentConfig a;
    a.enabled = true;
    a.cropPadding = 4;
    a.hflipProb = 0.5;
    a.rotateDeg = 10;
    a.translateFrac = 0.1;
    a.eraseProb = 0.5;
    return a;
}

/// A dataset that fails on one index, with a std::exception or a LibTorch error.
class PoisonedDataset : public TensorDataset
{
public:
    PoisonedDataset(const TensorDataset &base, std::int64_t poison, bool torchError)
        : TensorDataset(base.rawImages(), base.labels(), base.classNames(), "poisoned")
        , m_poison(poison)
        , m_torchError(torchError)
    {
    }
    torch::Tensor images(const torch::Tensor &indices) const override
    {
        const bool hit = indices.eq(m_poison).any().item<bool>();
        TORCH_CHECK(!(hit && m_torchError), "decoder exploded on sample ", m_poison);
        if (hit)
            throw std::runtime_error("decoder exploded on sample " + std::to_string(m_poison));
        return TensorDataset::images(indices);
    }

private:
    std::int64_t m_poison;
    bool m_torchError;
};

} // namespace

class TestLoader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { lathe::util::configureThreads(); }

    void coversEveryIndexOnce_data()
    {
        QTest::addColumn<std::int64_t>("count");
        QTest::addColumn<std::int64_t>("batchSize");
        QTest::addColumn<bool>("dropLast");
        QTest::addColumn<bool>("shuffle");
        QTest::newRow("shuffled, partial last")
            << std::int64_t(1000) << std::int64_t(128) << false << true;
        QTest::newRow("shuffled, drop last")
            << std::int64_t(1000) << std::int64_t(128) << true << true;
        QTest::newRow("ordered, exact")
            << std::int64_t(1000) << std::int64_t(100) << false << false;
        QTest::newRow("ordered, drop last") << std::int64_t(7) << std::int64_t(3) << true << false;
        QTest::newRow("one big batch") << std::int64_t(50) << std::int64_t(128) << false << true;
        QTest::newRow("all dropped") << std::int64_t(50) << std::int64_t(128) << true << true;
    }
    void coversEveryIndexOnce()
    {
        QFETCH(std::int64_t, count);
        QFETCH(std::int64_t, batchSize);
        QFETCH(bool, dropLast);
        QFETCH(bool, shuffle);
        const auto dataset = idDataset();
        const torch::Tensor indices = torch::randperm(2000, torch::kLong).narrow(0, 0, count);
        const auto loader
            = makeLoader(dataset, indices, {batchSize, shuffle, dropLast, 1, 2, {}, {}});
        QCOMPARE(loader->samples(), count);
        const std::int64_t full = count / batchSize;
        QCOMPARE(loader->batchesPerEpoch(), dropLast ? full : (count + batchSize - 1) / batchSize);
        for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
            loader->startEpoch(epoch);
            const std::vector<Batch> batches = drain(*loader);
            QCOMPARE(std::int64_t(batches.size()), loader->batchesPerEpoch());
            const torch::Tensor ids = idsOf(batches);
            if (!batches.empty()) {
                QCOMPARE(batches.front().x.scalar_type(), torch::kFloat);
                QCOMPARE(batches.front().y.scalar_type(), torch::kLong);
                QVERIFY(torch::cat({batches.front().y})
                            .equal(ids.narrow(0, 0, batches.front().y.size(0)).remainder(10)));
            }
            if (!shuffle)
                QVERIFY(ids.equal(indices.narrow(0, 0, ids.size(0))));
            const torch::Tensor sorted = std::get<0>(torch::sort(ids));
            if (dropLast) {
                QCOMPARE(ids.size(0), full * batchSize);
                QCOMPARE(std::get<0>(torch::unique_consecutive(sorted)).size(0), sorted.size(0));
                QVERIFY(torch::isin(ids, indices).all().item<bool>());
            } else {
                QVERIFY(sorted.equal(std::get<0>(torch::sort(indices))));
            }
        }
    }

    void orderDependsOnSeedAndEpoch()
    {
        const auto dataset = idDataset();
        const torch::Tensor all = torch::arange(2000, torch::kLong);
        const auto a = makeLoader(dataset, all, {100, true, false, 7, 2, {}, {}});
        const auto b = makeLoader(dataset, all, {100, true, false, 7, 3, {}, {}});
        const auto c = makeLoader(dataset, all, {100, true, false, 8, 2, {}, {}});
        a->startEpoch(0);
        const torch::Tensor a0 = idsOf(drain(*a));
        a->startEpoch(1);
        const torch::Tensor a1 = idsOf(drain(*a));
        b->startEpoch(0);
        c->startEpoch(0);
        QVERIFY(!a0.equal(a1));
        QVERIFY(!a0.equal(all));
        QVERIFY(a0.equal(idsOf(drain(*b))));
        QVERIFY(!a0.equal(idsOf(drain(*c))));
    }

    void resumeWithSkipIsBitIdentical_data()
    {
        QTest::addColumn<std::int64_t>("skip");
        QTest::newRow("skip 0") << std::int64_t(0);
        QTest::newRow("skip 5") << std::int64_t(5);
        QTest::newRow("skip to last") << std::int64_t(7);
        QTest::newRow("skip past end") << std::int64_t(100);
    }
    void resumeWithSkipIsBitIdentical()
    {
        QFETCH(std::int64_t, skip);
        const auto dataset = imageDataset();
        const torch::Tensor all = torch::arange(1000, torch::kLong);
        LoaderOptions options{128, true, false, 11, 2, fullAugment(), Normalization{{0.5}, {0.3}}};
        const auto full = makeLoader(dataset, all, options);
        full->startEpoch(3);
        const std::vector<Batch> reference = drain(*full);
        QCOMPARE(reference.size(), std::size_t(8));

        const auto resumed = makeLoader(dataset, all, options);
        resumed->startEpoch(3, skip);
        const std::vector<Batch> rest = drain(*resumed);
        const std::size_t from = std::min<std::size_t>(std::size_t(skip), reference.size());
        QVERIFY(identical(rest, {reference.begin() + std::ptrdiff_t(from), reference.end()}));

        // Restarting the same loader mid-epoch discards what was in flight.
        resumed->startEpoch(3);
        QVERIFY(resumed->next().has_value());
        resumed->startEpoch(9);
        resumed->startEpoch(3, skip);
        QVERIFY(identical(drain(*resumed),
                          {reference.begin() + std::ptrdiff_t(from), reference.end()}));
    }

    void prefetchDepthDoesNotChangeBatches()
    {
        const auto dataset = imageDataset();
        const torch::Tensor all = torch::arange(1000, torch::kLong);
        LoaderOptions options{64, true, false, 5, 1, fullAugment(), std::nullopt};
        const auto shallow = makeLoader(dataset, all, options);
        options.prefetch = 4;
        const auto deep = makeLoader(dataset, all, options);
        options.prefetch = 0; // no producer thread: batches made inside next()
        const auto inline_ = makeLoader(dataset, all, options);
        for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
            shallow->startEpoch(epoch);
            deep->startEpoch(epoch);
            inline_->startEpoch(epoch, epoch); // epoch 1 also skips a batch
            const std::vector<Batch> a = drain(*shallow);
            QCOMPARE(a.size(), std::size_t(16));
            QVERIFY(identical(a, drain(*deep)));
            const std::vector<Batch> b = drain(*inline_);
            QVERIFY(identical({a.begin() + epoch, a.end()}, b));
        }
        // And the augmentation really is on: x differs from the plain images.
        const auto plain = makeLoader(dataset, all, {64, true, false, 5, 1, {}, {}});
        plain->startEpoch(0);
        shallow->startEpoch(0);
        QVERIFY(!identical(drain(*plain), drain(*shallow)));
    }

    void destroyingMidEpochDoesNotHang()
    {
        const auto dataset = imageDataset();
        const torch::Tensor all = torch::arange(1000, torch::kLong);
        QElapsedTimer timer;
        timer.start();
        {
            const auto never = makeLoader(dataset, all, {});
        }
        {
            const auto started
                = makeLoader(dataset, all, {32, true, false, 0, 4, fullAugment(), {}});
            started->startEpoch(0);
        }
        {
            const auto midway
                = makeLoader(dataset, all, {32, true, false, 0, 4, fullAugment(), {}});
            midway->startEpoch(0);
            QVERIFY(midway->next().has_value());
            QVERIFY(midway->next().has_value());
        }
        QVERIFY2(timer.elapsed() < 5000, "the loader took too long to stop");
    }

    void producerErrorIsDelivered_data()
    {
        QTest::addColumn<bool>("torchError");
        QTest::newRow("std::exception") << false;
        QTest::newRow("c10::Error") << true;
    }
    void producerErrorIsDelivered()
    {
        QFETCH(bool, torchError);
        const auto dataset = std::make_shared<PoisonedDataset>(*idDataset(100), 35, torchError);
        const auto loader = makeLoader(dataset, torch::arange(100, torch::kLong),
                                       {10, false, false, 0, 3, {}, {}});
        loader->startEpoch(0);
        std::optional<lathe::Error> error;
        const std::vector<Batch> before = drain(*loader, &error);
        QCOMPARE(before.size(), std::size_t(3)); // batches 0..2 arrive, batch 3 fails
        QVERIFY(error.has_value());
        QCOMPARE(error->code, ErrorCode::BadInput);
        QVERIFY2(error->message.find("batch 3 of epoch 0") != std::string::npos,
                 error->message.c_str());
        QVERIFY2(error->message.find("decoder exploded on sample 35") != std::string::npos,
                 error->message.c_str());
        QVERIFY(error->message.find("frame #") == std::string::npos); // no C++ backtrace
        QVERIFY(!loader->next().has_value());                         // the epoch stays failed
        loader->startEpoch(0, 4); // skipping the bad batch works
        error.reset();
        QCOMPARE(drain(*loader, &error).size(), std::size_t(6));
        QVERIFY(!error.has_value());
    }

    void invalidUseIsAnError()
    {
        const auto dataset = idDataset(10);
        const auto outOfRange
            = Loader::create(dataset, torch::tensor({1, 2, 10}, torch::kLong), {});
        QVERIFY(!outOfRange);
        QCOMPARE(outOfRange.error().code, ErrorCode::InvalidArgument);
        QVERIFY(outOfRange.error().message.find("index 10 at position 2") != std::string::npos);

        const auto noDataset = Loader::create(nullptr, torch::arange(3), {});
        QVERIFY(!noDataset);
        QCOMPARE(noDataset.error().code, ErrorCode::InvalidArgument);

        const auto floating = Loader::create(dataset, torch::ones({3}), {});
        QVERIFY(!floating);
        QVERIFY(floating.error().message.find("1-D integer") != std::string::npos);

        const auto notStarted = makeLoader(dataset, torch::arange(10), {});
        auto early = notStarted->next();
        QVERIFY(!early.has_value());
        QVERIFY(early.error().message.find("startEpoch") != std::string::npos);
    }

    void fashionMnistThroughput()
    {
        auto train = loadFashionMnist(LATHE_TEST_FASHION_DIR, Split::Train);
        if (!train)
            QSKIP("Fashion-MNIST is not installed");
        const torch::Tensor all = torch::arange((*train)->size(), torch::kLong);
        const auto loader = makeLoader(
            *train, all, {128, true, true, 1, 2, fullAugment(), Normalization{{0.286}, {0.353}}});
        loader->startEpoch(0);
        constexpr int kBatches = 200;
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < kBatches; ++i) {
            auto batch = loader->next();
            QVERIFY(batch.has_value() && batch->has_value());
            QCOMPARE((*batch)->x.sizes().vec(), (std::vector<std::int64_t>{128, 1, 28, 28}));
        }
        const double seconds = double(timer.nsecsElapsed()) / 1e9;
        qInfo("Loader, Fashion-MNIST, batch 128, augmentation + normalisation: %.0f batches/s "
              "(%d intra-op threads)",
              kBatches / seconds, torch::get_num_threads());
        QVERIFY(kBatches / seconds > 20.0);
    }
};

LATHE_TEST_GUILESS_MAIN(TestLoader)
#include "tst_loader.moc"
