#include "core/dist/dist_options.h"

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace lathe::dist {

namespace {

// A whole number in [lo, hi] from `text`, or an InvalidArgument naming `name`.
Result<int> parseBounded(const char *name, const std::string &text, long lo, long hi)
{
    char *end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || value < lo || value > hi)
        return fail(ErrorCode::InvalidArgument,
                    "\"" + text + "\" is not a whole number from " + std::to_string(lo) + " to "
                        + std::to_string(hi),
                    name);
    return int(value);
}

} // namespace

std::string DistOptions::where() const
{
    if (!fileStorePath.empty())
        return "file store " + fileStorePath.string();
    return masterAddr + ":" + std::to_string(masterPort);
}

Result<void> validate(const DistOptions &o)
{
    if (o.worldSize < 1)
        return fail(ErrorCode::InvalidArgument,
                    "the world size must be at least 1, not " + std::to_string(o.worldSize),
                    "WORLD_SIZE");
    if (o.rank < 0 || o.rank >= o.worldSize)
        return fail(ErrorCode::InvalidArgument,
                    "rank " + std::to_string(o.rank) + " is outside 0.."
                        + std::to_string(o.worldSize - 1) + " (world size "
                        + std::to_string(o.worldSize) + ")",
                    "RANK");
    if (o.localRank < 0 || o.localRank > o.rank)
        return fail(ErrorCode::InvalidArgument,
                    "local rank " + std::to_string(o.localRank) + " must be from 0 to the rank ("
                        + std::to_string(o.rank) + ")",
                    "LOCAL_RANK");
    if (o.localWorldSize < 0 || o.localWorldSize > o.worldSize
        || (o.localWorldSize > 0 && o.localRank >= o.localWorldSize))
        return fail(ErrorCode::InvalidArgument,
                    "local world size " + std::to_string(o.localWorldSize)
                        + " must be from 1 to the world size (" + std::to_string(o.worldSize)
                        + ") and above the local rank (" + std::to_string(o.localRank) + ")",
                    "LOCAL_WORLD_SIZE");
    if (o.fileStorePath.empty()) {
        if (o.masterAddr.empty())
            return fail(ErrorCode::InvalidArgument, "no master address", "MASTER_ADDR");
        if (o.masterPort < 1 || o.masterPort > 65535)
            return fail(ErrorCode::InvalidArgument,
                        "port " + std::to_string(o.masterPort) + " is outside 1..65535",
                        "MASTER_PORT");
    }
    if (o.timeout.count() <= 0)
        return fail(ErrorCode::InvalidArgument, "the timeout must be positive", "timeout");
    return {};
}

Result<std::optional<DistOptions>> optionsFromEnvironment(const EnvLookup &lookup)
{
    const EnvLookup env = lookup ? lookup : EnvLookup([](const char *n) { return std::getenv(n); });
    const char *world = env("WORLD_SIZE");
    if (!world)
        return std::optional<DistOptions>();
    constexpr long kMaxInt = std::numeric_limits<int>::max();
    DistOptions o;
    auto size = parseBounded("WORLD_SIZE", world, 1, kMaxInt);
    if (!size)
        return std::unexpected(size.error());
    o.worldSize = *size;
    const char *rank = env("RANK");
    if (!rank)
        return fail(ErrorCode::InvalidArgument, "WORLD_SIZE is set but RANK is not", "RANK");
    auto r = parseBounded("RANK", rank, 0, o.worldSize - 1);
    if (!r)
        return std::unexpected(r.error());
    o.rank = *r;
    o.localRank = o.rank;
    if (const char *local = env("LOCAL_RANK")) {
        auto l = parseBounded("LOCAL_RANK", local, 0, o.rank);
        if (!l)
            return std::unexpected(l.error());
        o.localRank = *l;
    }
    if (const char *localWorld = env("LOCAL_WORLD_SIZE")) {
        auto l = parseBounded("LOCAL_WORLD_SIZE", localWorld, 1, o.worldSize);
        if (!l)
            return std::unexpected(l.error());
        o.localWorldSize = *l;
    }
    if (const char *addr = env("MASTER_ADDR"))
        o.masterAddr = addr;
    if (const char *port = env("MASTER_PORT")) {
        auto p = parseBounded("MASTER_PORT", port, 1, 65535);
        if (!p)
            return std::unexpected(p.error());
        o.masterPort = *p;
    }
    if (auto ok = validate(o); !ok)
        return std::unexpected(ok.error());
    return std::optional<DistOptions>(o);
}

} // namespace lathe::dist
