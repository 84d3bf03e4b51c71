// ThreadGeneratorScope: random draws on one thread that leave LibTorch's global generator, and
// every other thread's draws from it, exactly as they were.
#include "core/train/thread_generator.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <torch/torch.h>

#include <thread>

using namespace lathe::train;

namespace {

torch::Tensor globalState()
{
    return at::detail::getDefaultCPUGenerator().get_state();
}

} // namespace

class TestThreadGenerator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void drawsFromItsOwnSeededGenerator()
    {
        torch::manual_seed(5);
        const auto before = globalState();
        torch::Tensor weight, noise, mask;
        {
            ThreadGeneratorScope scope(42);
            weight = torch::nn::Linear(16, 8)->weight.detach().clone();
            noise = torch::randn({4});
            mask = torch::dropout(torch::ones({64}), 0.5, true);
            (void)torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3));
            (void)torch::randperm(10);
        }
        QVERIFY(torch::equal(before, globalState()));
        // The same stream as the global generator seeded with 42.
        torch::manual_seed(42);
        QVERIFY(torch::equal(weight, torch::nn::Linear(16, 8)->weight));
        QVERIFY(torch::equal(noise, torch::randn({4})));
        QVERIFY(mask.eq(0).any().item<bool>());
    }

    void nestedScopesRestoreTheOuterOne()
    {
        const auto before = globalState();
        ThreadGeneratorScope outer(1);
        const auto a = torch::rand({3});
        {
            ThreadGeneratorScope inner(1);
            QVERIFY(torch::equal(a, torch::rand({3}))); // a fresh stream with the same seed
        }
        const auto b = torch::rand({3});
        QVERIFY(!torch::equal(a, b)); // the outer stream went on
        QVERIFY(torch::equal(before, globalState()));
    }

    void otherThreadsKeepTheGlobalStream()
    {
        const auto draws = [] {
            std::vector<torch::Tensor> parts;
            for (int i = 0; i < 1000; ++i) {
                parts.push_back(torch::rand({1}));
                std::this_thread::yield();
            }
            return torch::cat(parts);
        };
        torch::manual_seed(3);
        const auto alone = draws();
        torch::manual_seed(3);
        std::atomic<bool> done{false};
        std::thread scoped([&] {
            ThreadGeneratorScope scope(7);
            while (!done)
                (void)torch::nn::Linear(64, 64);
        });
        const auto together = draws();
        done = true;
        scoped.join();
        QVERIFY(torch::equal(alone, together));
    }
};

LATHE_TEST_GUILESS_MAIN(TestThreadGenerator)
#include "tst_thread_generator.moc"
