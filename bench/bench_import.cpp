// The TensorBoard reader's share of `lathe-cli import` (bench/import.sh):
//   bench_import write FILE N   an event file of N scalars (4 tags, N/4 steps), written by the
//                               tests' helper from the published record layout
//   bench_import read FILE      reads it as the importer does (framing, CRCs, protobuf), no
//                               store: prints the scalars found and the wall seconds
//   bench_import import PATH DB importRuns into the store DB, as lathe-cli import does, without
//                               the program's start-up (plugins, logging)
#include "core/interop/run_importer.h"
#include "core/interop/tensorboard_reader.h"

#include "tests/core/interop/event_file_writer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char **argv)
{
    if (argc == 4 && !std::strcmp(argv[1], "write")) {
        const long long n = std::atoll(argv[3]);
        lathe::testing::EventFileBuilder file;
        file.add(lathe::testing::fileVersionEvent(1.7e9));
        const char *tags[] = {"train/loss", "train/accuracy", "lr", "val/loss"};
        for (long long i = 0; i < n; ++i)
            file.scalar(1.7e9 + double(i) * 0.01, i / 4, tags[i % 4], float(i % 1000) * 1e-3f);
        file.write(argv[2]);
        std::printf("%lld scalars, %zu bytes\n", n, file.bytes().size());
        return 0;
    }
    if (argc == 3 && !std::strcmp(argv[1], "read")) {
        const auto start = std::chrono::steady_clock::now();
        auto runs = lathe::interop::findTensorBoardRuns(argv[2]);
        if (!runs) {
            std::fprintf(stderr, "%s\n", runs.error().toString().c_str());
            return 3;
        }
        auto run = lathe::interop::readTensorBoardRun(runs->front());
        if (!run) {
            std::fprintf(stderr, "%s\n", run.error().toString().c_str());
            return 3;
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        std::printf("%lld scalars read in %.3f s\n", (long long)run->sampleCount(), took.count());
        return 0;
    }
    if (argc == 4 && !std::strcmp(argv[1], "import")) {
        const auto start = std::chrono::steady_clock::now();
        auto report = lathe::interop::importRuns(argv[3], argv[2]);
        if (!report) {
            std::fprintf(stderr, "%s\n", report.error().toString().c_str());
            return 3;
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        std::printf("%zu runs imported in %.3f s\n", report->importedCount(), took.count());
        return 0;
    }
    std::fprintf(stderr, "usage: bench_import write FILE N | read FILE | import PATH DB\n");
    return 2;
}
