// GCC's coverage hooks, turned into what libFuzzer reads (LATHE_FUZZ builds only). Clang would
// give libFuzzer inline 8-bit counters; GCC's -fsanitize-coverage=trace-pc calls
// __sanitizer_cov_trace_pc() in every basic block instead. Here each call bumps one of 2^16
// 8-bit counters, chosen by the edge from the previous block to this one (AFL's hash of the two
// blocks), and the counters are registered with libFuzzer before main with a table of one
// pseudo-PC per counter: libFuzzer's cov: counts the counters hit, its ft: the features they
// give. A block is named by its offset in its module, not its address, so that every process
// (libFuzzer's -fork jobs, each with its own address layout) counts an edge in the same counter.
// GCC's trace-cmp hooks (comparisons, switches) go to libFuzzer itself, except the
// floating-point ones, which libFuzzer does not have. Nothing here is instrumented, nor calls
// what is.
#include <link.h>

#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t *begin, std::uint8_t *end);
extern "C" void __sanitizer_cov_pcs_init(const std::uintptr_t *begin, const std::uintptr_t *end);

#define LATHE_UNINSTRUMENTED                                                                       \
    __attribute__((no_sanitize_coverage, no_sanitize("address", "undefined")))

namespace {

constexpr std::size_t kCounters = std::size_t(1) << 16;

alignas(4096) std::uint8_t g_counters[kCounters];

/// libFuzzer's PC table entry: a PC and its flags (1 = a function's entry).
struct PcEntry
{
    std::uintptr_t pc;
    std::uintptr_t flags;
};
PcEntry g_pcs[kCounters];

/// The code of one loaded module: its addresses, and what a block's address there becomes.
struct Module
{
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    std::uintptr_t base = 0; ///< subtracted: the module's load address
    std::uintptr_t salt = 0; ///< added: its name's hash, so that modules differ
};
constexpr std::size_t kMaxModules = 1024;
Module g_modules[kMaxModules];
std::size_t g_moduleCount = 0;
std::size_t g_lastModule = 0; ///< where the last block was: most blocks follow one in their module

/// Whether the counters are registered: blocks that run before (the dynamic linker calls GNU
/// ifunc resolvers while it relocates, before libc can list modules) are not counted.
bool g_ready = false;

/// The previous block, shifted so that A->B and B->A are different edges.
thread_local std::uintptr_t g_previous = 0;

LATHE_UNINSTRUMENTED int addModule(dl_phdr_info *info, std::size_t, void *)
{
    // No library calls here: they would be instrumented, and call back in.
    std::uintptr_t salt = 0;
    for (const char *c = info->dlpi_name; c && *c; ++c)
        salt = salt * 131 + std::uint8_t(*c);
    for (int i = 0; i < info->dlpi_phnum && g_moduleCount < kMaxModules; ++i) {
        const auto &segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X))
            continue;
        const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
        g_modules[g_moduleCount++] = {begin, begin + segment.p_memsz, info->dlpi_addr, salt};
    }
    return 0;
}

/// Lists the loaded modules again: a block outside them is in a module loaded since (a plugin).
LATHE_UNINSTRUMENTED void findModules()
{
    g_moduleCount = 0;
    dl_iterate_phdr(addModule, nullptr);
}

LATHE_UNINSTRUMENTED bool inModule(std::uintptr_t pc, std::size_t i)
{
    return i < g_moduleCount && pc - g_modules[i].begin < g_modules[i].end - g_modules[i].begin;
}

LATHE_UNINSTRUMENTED std::uintptr_t blockId(std::uintptr_t pc)
{
    for (int attempt = 0; !inModule(pc, g_lastModule) && attempt < 2; ++attempt) {
        for (g_lastModule = 0; g_lastModule < g_moduleCount; ++g_lastModule)
            if (inModule(pc, g_lastModule))
                break;
        if (g_lastModule == g_moduleCount && attempt == 0)
            findModules();
    }
    if (!inModule(pc, g_lastModule))
        return pc;
    return pc - g_modules[g_lastModule].base + g_modules[g_lastModule].salt;
}

// Early (priority 101), so that the constructors of instrumented code are counted.
LATHE_UNINSTRUMENTED __attribute__((constructor(101))) void registerCounters()
{
    for (std::size_t i = 0; i < kCounters; ++i)
        g_pcs[i] = {i + 1, 0};
    __sanitizer_cov_8bit_counters_init(g_counters, g_counters + kCounters);
    __sanitizer_cov_pcs_init(&g_pcs[0].pc, &g_pcs[0].pc + 2 * kCounters);
    findModules();
    g_ready = true;
}

} // namespace

extern "C" LATHE_UNINSTRUMENTED void __sanitizer_cov_trace_pc()
{
    if (!g_ready)
        return;
    const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    const std::uintptr_t block = (blockId(pc) * 0x9E3779B97F4A7C15ull) >> 48; // 16 bits
    ++g_counters[(block ^ g_previous) % kCounters];
    g_previous = block >> 1;
}

extern "C" LATHE_UNINSTRUMENTED void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" LATHE_UNINSTRUMENTED void __sanitizer_cov_trace_cmpd(double, double) {}
