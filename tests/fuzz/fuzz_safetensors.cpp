// Fuzzes safetensors files as a fine-tune (finetune.safetensors) and an export's parity check read
// them (core/formats/safetensors.h): readSafetensorsFile (the header, core/formats/
// safetensors_header.h, then the data) and loadSafetensorsInto the net the seeds were exported
// from (tiny_net.h), which adds names, shapes, dtypes and int8 dequantisation. A file that reads
// must write back (writeSafetensors) to one that reads the same tensors and metadata.
#include "fuzz_support.h"
#include "tiny_net.h"

#include "core/formats/safetensors.h"

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

using namespace lathe;

bool sameBytes(const torch::Tensor &a, const torch::Tensor &b)
{
    // Bytes, not values: a file's floats may be NaN.
    return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes()
           && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

void checkRoundTrip(const formats::SafetensorsFile &read, const fuzz::ScratchDir &scratch)
{
    const auto copy = scratch.path() / "copy.safetensors";
    if (auto written = formats::writeSafetensors(read.tensors, read.metadata, copy); !written)
        fuzz::finding("a file that reads cannot be written back: " + written.error().toString());
    auto again = formats::readSafetensorsFile(copy);
    if (!again)
        fuzz::finding("a file written back does not read: " + again.error().toString());
    bool same = again->metadata == read.metadata && again->tensors.size() == read.tensors.size();
    for (std::size_t i = 0; same && i < read.tensors.size(); ++i)
        same = again->tensors[i].first == read.tensors[i].first
               && sameBytes(again->tensors[i].second, read.tensors[i].second);
    if (!same)
        fuzz::finding("a file written back reads differently");
}

} // namespace

LATHE_FUZZ_TEST_ONE_INPUT(safetensors)
{
    static const fuzz::ScratchDir scratch;
    static model::Net net = fuzz::tinyWineNet();
    const auto file = scratch.write("model.safetensors", fuzz::bytesOf(data, size));
    auto read = formats::readSafetensorsFile(file);
    if (!read) {
        fuzz::expectRejection(read.error(), file);
        return 0;
    }
    checkRoundTrip(*read, scratch);
    if (auto loaded = formats::loadSafetensorsInto(net, file); !loaded)
        fuzz::expectRejection(loaded.error(), file);
    return 0;
}
