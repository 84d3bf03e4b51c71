// The normal build's replay of the seed corpora and of the inputs that once crashed a parser:
// `fuzz_replay HARNESS FOLDER|FILE...` runs the harness of that name (one of those linked in,
// fuzz_support.h) once on every file of the folders and on the files named, in name order, after
// its set-up. Each file's name is printed before its run, so a crash names its input.
// Exit status 2 for an unknown harness, an argument that is neither a file nor a folder, or no
// input at all.
#include "fuzz_support.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
    const auto &harnesses = lathe::fuzz::harnesses();
    const auto found = argc > 1 ? harnesses.find(argv[1]) : harnesses.end();
    if (found == harnesses.end() || !found->second.testOneInput) {
        std::string names;
        for (const auto &[name, harness] : harnesses)
            names += " " + name;
        std::fprintf(stderr, "usage: %s HARNESS FOLDER|FILE...\nharnesses:%s\n", argv[0],
                     names.c_str());
        return 2;
    }
    const auto &harness = found->second;
    if (harness.initialize)
        harness.initialize(&argc, &argv);
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i) {
        const fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            for (const auto &entry : fs::directory_iterator(arg))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        } else if (fs::is_regular_file(arg)) {
            files.push_back(arg);
        } else {
            std::fprintf(stderr, "%s: no such file or folder\n", argv[i]);
            return 2;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "no inputs: give the folders or files to replay\n");
        return 2;
    }
    std::sort(files.begin(), files.end());
    for (const auto &file : files) {
        std::fprintf(stderr, "replaying %s\n", file.c_str());
        std::ifstream in(file, std::ios::binary);
        const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
        // A buffer of exactly the input's size, as libFuzzer passes it.
        auto data = std::make_unique<std::uint8_t[]>(bytes.size());
        std::copy(bytes.begin(), bytes.end(), data.get());
        harness.testOneInput(data.get(), bytes.size());
    }
    std::fprintf(stderr, "replayed %zu inputs\n", files.size());
    return 0;
}
