// Fuzzes checkpoints as Lathe reads them (core/train/checkpoint.h): readCheckpointState (the run
// views' stored config) and loadCheckpoint as resuming a run does, into the net and optimizer of
// the seeds' run (tiny_net.h) and the CPU generator. A checkpoint is LibTorch's zip archive, read
// by LibTorch (not instrumented here): the harness finds what reaches Lathe's code or crashes.
#include "fuzz_support.h"
#include "tiny_net.h"

#include "core/train/checkpoint.h"

#include <cstddef>
#include <cstdint>

using namespace lathe;

LATHE_FUZZ_TEST_ONE_INPUT(checkpoint)
{
    static const fuzz::ScratchDir scratch;
    static model::Net net = fuzz::tinyWineNet();
    static const auto optimizer = fuzz::tinyWineOptimizer(net);
    const auto file = scratch.write("last.pt", fuzz::bytesOf(data, size));
    if (auto state = train::readCheckpointState(file); !state)
        fuzz::expectRejection(state.error(), file);
    if (auto state = train::loadCheckpoint(file, net, optimizer.get()); !state)
        fuzz::expectRejection(state.error(), file);
    return 0;
}
