#pragma once

// Weight compression for export: int8 per-output-channel symmetric quantisation of the weight
// matrices and filters (kernels/quantize_int8), and global magnitude pruning.
// A "weight" here is a floating tensor with dim >= 2 whose name's last component ends in
// "weight" (Linear and Conv weights, "in_proj_weight"): biases, norms (1-D), BatchNorm
// buffers, ViT's class token and position embedding stay float.

#include "core/formats/state_dict.h"
#include "core/model/net.h"
#include "core/util/error.h"

#include <cstdint>
#include <string>

namespace lathe::formats {

/// The suffix of the per-channel scales of an int8 weight: "conv1.weight" (I8) goes with
/// "conv1.weight.scale" (F32, one scale per output channel).
inline constexpr const char *kInt8ScaleSuffix = ".scale";

/// Whether `name` / `tensor` is a weight that int8 export quantises and pruning prunes.
bool isCompressibleWeight(const std::string &name, const torch::Tensor &tensor);

/// Replaces every weight of `tensors` by its int8 values (per output channel, axis 0:
/// q = round(w / s_c), s_c = max|w_c| / 127) followed by "<name>.scale" (float32 [channels]);
/// every other tensor is kept as it is. Errors (InvalidArgument, naming the tensor): a NaN or
/// Inf weight, a name "<name>.scale" that is already taken. Thread-safety: pure function.
Result<NamedTensors> quantizeWeightsInt8(const NamedTensors &tensors);

/// The inverse: every int8 tensor "x" that has a float32 "x.scale" becomes float32 x * scale
/// (per channel, axis 0) and the scale disappears; other tensors pass through unchanged.
/// BadInput (context `source`) when a scale does not fit its values. Thread-safety: pure.
Result<NamedTensors> dequantizeWeightsInt8(const NamedTensors &tensors,
                                           const std::string &source = {});

/// Quantises the net's weights to int8 and writes the dequantised values back, so that the net
/// computes what an int8 export computes (for measuring the accuracy it costs). Returns how
/// many weight tensors were quantised. Errors: quantizeWeightsInt8's; the net is then
/// unchanged. Thread-safety: writes the net; no other thread may use it meanwhile.
Result<std::int64_t> applyInt8RoundTrip(model::Net &net);

/// Global magnitude pruning: pools every weight of the net (all layers together), and zeroes
/// the floor(fraction × count) with the smallest |w|; among equal |w| the one earlier in
/// stateDict() order (then in memory order) goes first, so the result is deterministic.
/// Returns how many weights were set to zero (weights already zero count when chosen).
/// InvalidArgument when fraction is outside [0, 1) or NaN. Thread-safety: writes the net.
Result<std::int64_t> prune(model::Net &net, double fraction);

/// Zeros among the weights of a state dict.
struct Sparsity
{
    std::int64_t weights = 0; ///< elements of the weights
    std::int64_t zeros = 0;   ///< of which exactly 0
    double fraction() const { return weights ? double(zeros) / double(weights) : 0.0; }
};

/// Counts the zeros of the weights of `tensors` (stateDict(net) for a net). Pure function.
Sparsity sparsity(const NamedTensors &tensors);

/// The bytes `tensors` take with every floating tensor stored as float32 (others as they are).
std::int64_t float32Bytes(const NamedTensors &tensors);

/// The bytes they take after quantizeWeightsInt8: weights as int8 plus 4 bytes per output
/// channel of scales, other floating tensors as float32, the rest as they are.
std::int64_t int8Bytes(const NamedTensors &tensors);

} // namespace lathe::formats
