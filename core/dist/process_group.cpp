#include "core/dist/process_group.h"

#include "core/dist/c10d.h"
#include "core/train/data_parallel.h"
#include "core/util/torch_error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace lathe::dist {

namespace {

using Clock = std::chrono::steady_clock;
using WorkPtr
    = decltype(std::declval<C10dGroup &>().allreduce(std::declval<std::vector<at::Tensor> &>()));

constexpr const char *kVerdictKey = "lathe/verdict";
constexpr const char *kVerdictReadKey = "lathe/verdict_read"; // a counter: ranks that read it

std::string rankKey(int rank)
{
    return "lathe/rank/" + std::to_string(rank);
}

std::string seconds(std::chrono::milliseconds timeout)
{
    return fmt::format("{:g} s", double(timeout.count()) / 1000.0);
}

std::vector<std::uint8_t> bytes(const std::string &text)
{
    return {text.begin(), text.end()};
}

std::string text(const std::vector<std::uint8_t> &bytes)
{
    return {bytes.begin(), bytes.end()};
}

bool contains(const std::string &haystack, const char *needle)
{
    return haystack.find(needle) != std::string::npos;
}

bool isLoopback(const std::string &addr)
{
    return addr == "127.0.0.1" || addr == "localhost" || addr == "::1";
}

// The store every rank meets at, as c10d builds it; TCPStore's failures turned into what a user
// can act on.
Result<c10::intrusive_ptr<c10d::Store>> openStore(const DistOptions &o)
{
    const std::string where = o.where();
    try {
        if (!o.fileStorePath.empty()) {
            auto store
                = c10::make_intrusive<c10d::FileStore>(o.fileStorePath.string(), o.worldSize);
            store->setTimeout(o.timeout);
            return c10::intrusive_ptr<c10d::Store>(store);
        }
        c10d::TCPStoreOptions options;
        options.port = std::uint16_t(o.masterPort);
        options.isServer = o.rank == 0;
        options.waitWorkers = false; // the handshake below waits, and says who is missing
        options.timeout = o.timeout;
        return c10::intrusive_ptr<c10d::Store>(
            c10::make_intrusive<c10d::TCPStore>(o.masterAddr, options));
    } catch (const std::exception &e) {
        const std::string cause = util::describe(e);
        if (o.rank == 0 && o.fileStorePath.empty()
            && (contains(cause, "Address already in use") || contains(cause, "errno: 98")))
            return fail(ErrorCode::InvalidArgument,
                        "rank 0 cannot listen on port " + std::to_string(o.masterPort)
                            + ": it is in use (another run or program holds it); choose "
                              "another master port",
                        where);
        if (o.rank != 0 && o.fileStorePath.empty()
            && (contains(cause, "timed out") || contains(cause, "Timed out")))
            return fail(ErrorCode::InvalidArgument,
                        "rank " + std::to_string(o.rank) + " could not reach the master at " + where
                            + " within " + seconds(o.timeout)
                            + ": is rank 0 running there, and the address and port right?",
                        where);
        return fail(ErrorCode::InvalidArgument, "cannot open the rendezvous store: " + cause,
                    where);
    }
}

// Every rank's claim (world size, config hash) checked by rank 0, which publishes one verdict.
Result<void> handshake(c10d::Store &store, const DistOptions &o, const std::string &configHash)
{
    const std::string where = o.where();
    const nlohmann::json mine{{"world_size", o.worldSize}, {"config_hash", configHash}};
    if (o.rank != 0) {
        store.set(rankKey(o.rank), bytes(mine.dump()));
        try {
            store.wait({kVerdictKey}, o.timeout);
        } catch (const std::exception &e) {
            return fail(ErrorCode::InvalidArgument,
                        "rank " + std::to_string(o.rank) + " heard nothing from rank 0 within "
                            + seconds(o.timeout) + " (" + util::describe(e) + ")",
                        where);
        }
        const auto verdict = nlohmann::json::parse(text(store.get(kVerdictKey)));
        store.add(kVerdictReadKey, 1);
        if (!verdict.value("ok", false))
            return fail(ErrorCode::InvalidArgument, verdict.value("message", "rank 0 refused"),
                        where);
        // A stray worker whose rank is outside rank 0's world never got compared: it checks.
        if (verdict.value("world_size", 0) != o.worldSize)
            return fail(ErrorCode::InvalidArgument,
                        "rank " + std::to_string(o.rank) + " has world size "
                            + std::to_string(o.worldSize) + " but rank 0 has "
                            + std::to_string(verdict.value("world_size", 0)),
                        where);
        return {};
    }

    const auto publish = [&](bool ok, const std::string &message) {
        store.set(kVerdictKey, bytes(nlohmann::json{
                                   {"ok", ok}, {"message", message}, {"world_size", o.worldSize}}
                                         .dump()));
        if (ok)
            return;
        // A refusal ends rank 0, and its TCPStore with it: first let the ranks that joined read
        // why (a few seconds at most), so that each fails with this message.
        std::int64_t joined = 0;
        for (int r = 1; r < o.worldSize; ++r)
            joined += store.check({rankKey(r)}) ? 1 : 0;
        const auto until
            = Clock::now()
              + std::min<std::chrono::milliseconds>(o.timeout, std::chrono::seconds(5));
        while (store.add(kVerdictReadKey, 0) < joined && Clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    };
    std::vector<int> missing;
    for (int r = 1; r < o.worldSize; ++r)
        missing.push_back(r);
    const auto deadline = Clock::now() + o.timeout;
    while (!missing.empty()) {
        for (auto it = missing.begin(); it != missing.end();) {
            if (!store.check({rankKey(*it)})) {
                ++it;
                continue;
            }
            const auto claim = nlohmann::json::parse(text(store.get(rankKey(*it))));
            std::string problem;
            if (claim.value("world_size", 0) != o.worldSize)
                problem = "rank " + std::to_string(*it) + " was started with world size "
                          + std::to_string(claim.value("world_size", 0)) + " but rank 0 with "
                          + std::to_string(o.worldSize);
            else if (claim.value("config_hash", "") != configHash)
                problem = "rank " + std::to_string(*it)
                          + " trains a different config than rank 0 (config hash "
                          + claim.value("config_hash", "").substr(0, 12) + " vs "
                          + configHash.substr(0, 12)
                          + "): start every worker with the same config and overrides";
            if (!problem.empty()) {
                publish(false, problem);
                return fail(ErrorCode::InvalidArgument, problem, where);
            }
            it = missing.erase(it);
        }
        if (missing.empty())
            break;
        if (Clock::now() >= deadline) {
            std::string names;
            for (int r : missing)
                names += (names.empty() ? "" : ", ") + std::to_string(r);
            const std::string problem = std::to_string(missing.size()) + " of "
                                        + std::to_string(o.worldSize - 1)
                                        + " workers did not join within " + seconds(o.timeout)
                                        + " (missing ranks: " + names + ")";
            publish(false, problem);
            return fail(ErrorCode::InvalidArgument, problem, where);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    publish(true, "");
    return {};
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const DistOptions &o)
{
    // GLOO_SOCKET_IFNAME is the variable PyTorch's own launch reads for the same choice.
    if (const char *interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
        return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    if (!o.fileStorePath.empty() || isLoopback(o.masterAddr))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

// A collective that failed: in a run that was going, another rank is gone.
Error lostWorker(const std::string &what, const DistOptions &o, const std::string &cause)
{
    return Error{ErrorCode::Training,
                 what + " failed on rank " + std::to_string(o.rank) + " of " + o.where()
                     + ": another worker stopped, was killed or stayed silent for "
                     + seconds(o.timeout) + " (" + cause + ")",
                 train::kLostWorkerContext};
}

} // namespace

struct Pending::Impl
{
    WorkPtr work;
    std::string what;
    DistOptions options;
    std::optional<Result<void>> answer;
};

struct ProcessGroup::Impl
{
    DistOptions options;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<C10dGroup> group;
    bool nccl = false; // NCCL takes CUDA tensors only

    Error collectiveError(const std::string &what, const std::exception &e) const
    {
        return lostWorker(what, options, util::describe(e));
    }
};

Pending::Pending() = default;
Pending::~Pending() = default;
Pending::Pending(Pending &&) noexcept = default;
Pending &Pending::operator=(Pending &&) noexcept = default;

Result<void> Pending::wait()
{
    if (!m_impl)
        return fail(ErrorCode::Internal, "waiting on a collective that was never started");
    if (!m_impl->answer) {
        try {
            m_impl->work->wait();
            m_impl->answer = Result<void>{};
        } catch (const std::exception &e) {
            m_impl->answer
                = std::unexpected(lostWorker(m_impl->what, m_impl->options, util::describe(e)));
        }
    }
    return *m_impl->answer;
}

ProcessGroup::ProcessGroup()
    : m_impl(std::make_unique<Impl>())
{
}

ProcessGroup::~ProcessGroup() = default;

Result<std::unique_ptr<ProcessGroup>>
ProcessGroup::connect(const DistOptions &options, const std::string &configHash, Backend backend)
{
    if (backend == Backend::Nccl && !ncclBuilt()) // before any rank waits for the others
        return std::unexpected(connectNccl({}, options).error());
    if (auto ok = validate(options); !ok)
        return std::unexpected(ok.error());
    auto store = openStore(options);
    if (!store)
        return std::unexpected(store.error());
    try {
        if (auto ok = handshake(**store, options, configHash); !ok)
            return std::unexpected(ok.error());
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    "rendezvous failed on rank " + std::to_string(options.rank) + ": "
                        + util::describe(e),
                    options.where());
    }
    std::unique_ptr<ProcessGroup> group(new ProcessGroup());
    group->m_impl->options = options;
    group->m_impl->store = *store;
    if (backend == Backend::Nccl) {
        auto nccl = connectNccl(*store, options);
        if (!nccl)
            return std::unexpected(nccl.error());
        group->m_impl->group = std::move(*nccl);
        group->m_impl->nccl = true;
        return group;
    }
    try {
        auto glooOptions = c10d::ProcessGroupGloo::Options::create(options.timeout);
        glooOptions->devices.push_back(glooDevice(options));
        group->m_impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gloo", *store), options.rank, options.worldSize,
            glooOptions);
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    "cannot connect the Gloo process group on rank " + std::to_string(options.rank)
                        + ": " + util::describe(e),
                    options.where());
    }
    return group;
}

int ProcessGroup::rank() const
{
    return m_impl->options.rank;
}

int ProcessGroup::worldSize() const
{
    return m_impl->options.worldSize;
}

const DistOptions &ProcessGroup::options() const
{
    return m_impl->options;
}

Pending ProcessGroup::allreduceSumAsync(torch::Tensor tensor)
{
    Pending pending;
    pending.m_impl = std::make_unique<Pending::Impl>();
    pending.m_impl->what = "all-reduce";
    pending.m_impl->options = m_impl->options;
    try {
        std::vector<at::Tensor> tensors{std::move(tensor)};
        pending.m_impl->work = m_impl->group->allreduce(tensors);
    } catch (const std::exception &e) {
        pending.m_impl->answer = std::unexpected(m_impl->collectiveError("all-reduce", e));
    }
    return pending;
}

Result<void> ProcessGroup::allreduceSum(torch::Tensor tensor)
{
    if (m_impl->nccl && !tensor.is_cuda()) { // the evaluation's sums: through this rank's GPU
        auto onDevice = tensor.to(torch::kCUDA);
        if (auto ok = allreduceSumAsync(onDevice).wait(); !ok)
            return ok;
        tensor.copy_(onDevice);
        return {};
    }
    return allreduceSumAsync(std::move(tensor)).wait();
}

Result<void> ProcessGroup::broadcast(torch::Tensor tensor, int root)
{
    if (m_impl->nccl && !tensor.is_cuda()) {
        auto onDevice = tensor.to(torch::kCUDA);
        if (auto ok = broadcast(onDevice, root); !ok)
            return ok;
        tensor.copy_(onDevice);
        return {};
    }
    try {
        std::vector<at::Tensor> tensors{std::move(tensor)};
        c10d::BroadcastOptions options;
        options.rootRank = root;
        m_impl->group->broadcast(tensors, options)->wait();
        return {};
    } catch (const std::exception &e) {
        return std::unexpected(m_impl->collectiveError("broadcast", e));
    }
}

Result<std::vector<torch::Tensor>> ProcessGroup::allgather(const torch::Tensor &tensor)
{
    if (m_impl->nccl && !tensor.is_cuda()) { // the step's shares: through this rank's GPU
        auto all = allgather(tensor.to(torch::kCUDA));
        if (all)
            for (auto &part : *all)
                part = part.cpu();
        return all;
    }
    try {
        std::vector<at::Tensor> input{tensor.contiguous()};
        std::vector<std::vector<at::Tensor>> output(1);
        for (int r = 0; r < worldSize(); ++r)
            output[0].push_back(torch::empty_like(input[0]));
        m_impl->group->allgather(output, input)->wait();
        return output[0];
    } catch (const std::exception &e) {
        return std::unexpected(m_impl->collectiveError("all-gather", e));
    }
}

} // namespace lathe::dist
