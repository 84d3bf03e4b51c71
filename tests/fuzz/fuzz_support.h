// What the fuzzing harnesses share: their entry points, a scratch folder for the files a parser
// reads by path, and the checks that turn a misbehaving parser into a crash libFuzzer keeps (and
// the replay test reports).
#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace lathe::fuzz {

/// A harness's entry points, as libFuzzer calls them: one input, and the once-only set-up.
using TestOneInput = int (*)(const std::uint8_t *data, std::size_t size);
using Initialize = int (*)(int *argc, char ***argv);

struct Harness
{
    TestOneInput testOneInput = nullptr;
    Initialize initialize = nullptr; ///< null: the harness sets nothing up
};

/// The harnesses linked into this executable, by name (the normal build's fuzz_replay holds
/// them all). Filled by the registrations below before main; read-only after.
inline std::map<std::string, Harness> &harnesses()
{
    static std::map<std::string, Harness> byName;
    return byName;
}

/// Records `testOneInput` or `initialize` (whichever is not null) for the harness `name`.
inline bool registerHarness(const char *name, TestOneInput testOneInput, Initialize initialize)
{
    auto &harness = harnesses()[name];
    if (testOneInput)
        harness.testOneInput = testOneInput;
    if (initialize)
        harness.initialize = initialize;
    return true;
}

} // namespace lathe::fuzz

// A harness defines its entry points with these, followed by the function's body:
//   LATHE_FUZZ_TEST_ONE_INPUT(csv) { ... uses data and size ... }
//   LATHE_FUZZ_INITIALIZE(csv) { ... }  (optional)
// In the fuzz build (LATHE_FUZZ_ENGINE, one executable per harness) they are libFuzzer's
// LLVMFuzzerTestOneInput and LLVMFuzzerInitialize. In the normal build every harness is linked
// into one replay executable (replay_main.cpp): there they are functions of their own, registered
// under the harness's name, which the replay takes as its first argument.
#ifdef LATHE_FUZZ_ENGINE
#define LATHE_FUZZ_TEST_ONE_INPUT(name)                                                            \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
#define LATHE_FUZZ_INITIALIZE(name) extern "C" int LLVMFuzzerInitialize(int *, char ***)
#else
#define LATHE_FUZZ_TEST_ONE_INPUT(name)                                                            \
    static int fuzzTestOneInput_##name(const std::uint8_t *data, std::size_t size);                \
    [[maybe_unused]] static const bool fuzzTestOneInputRegistered_##name                           \
        = ::lathe::fuzz::registerHarness(#name, fuzzTestOneInput_##name, nullptr);                 \
    static int fuzzTestOneInput_##name(const std::uint8_t *data, std::size_t size)
#define LATHE_FUZZ_INITIALIZE(name)                                                                \
    static int fuzzInitialize_##name(int *, char ***);                                             \
    [[maybe_unused]] static const bool fuzzInitializeRegistered_##name                             \
        = ::lathe::fuzz::registerHarness(#name, nullptr, fuzzInitialize_##name);                   \
    static int fuzzInitialize_##name(int *, char ***)
#endif

namespace lathe::fuzz {

/// Ends the process as a crash: libFuzzer saves the input, the replay test fails.
[[noreturn]] inline void finding(const std::string &what)
{
    std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
    std::abort();
}

/// This process's own folder in the temporary directory, made once under a unique name
/// (mkdtemp) and removed when the process exits; harnesses overwrite their files in it with
/// each input. Not thread-safe (libFuzzer runs one input at a time per process).
class ScratchDir
{
public:
    ScratchDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "lathe-fuzz-XXXXXX");
        if (!mkdtemp(pattern.data()))
            finding("cannot make a scratch folder like " + pattern);
        m_path = pattern;
    }
    ~ScratchDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    ScratchDir(const ScratchDir &) = delete;
    ScratchDir &operator=(const ScratchDir &) = delete;

    const std::filesystem::path &path() const { return m_path; }

    /// Replaces the file `name` (relative, its folders made as needed) with `bytes`; its path.
    std::filesystem::path write(const std::filesystem::path &name, std::string_view bytes) const
    {
        const auto file = m_path / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        if (!out.flush())
            finding("cannot write " + file.string());
        return file;
    }

private:
    std::filesystem::path m_path;
};

/// The input as text (a view, no copy).
inline std::string_view bytesOf(const std::uint8_t *data, std::size_t size)
{
    return {reinterpret_cast<const char *>(data), size};
}

/// Checks that a parser refused `file` the way a user can act on: not as an internal error (an
/// exception that escaped the parser's checks, or a broken invariant) and with a message or
/// context that names the file.
inline void expectRejection(const Error &error, const std::filesystem::path &file)
{
    if (error.code == ErrorCode::Internal)
        finding("internal error: " + error.toString());
    if (error.toString().find(file.string()) == std::string::npos)
        finding("the error does not name " + file.string() + ": " + error.toString());
}

} // namespace lathe::fuzz
