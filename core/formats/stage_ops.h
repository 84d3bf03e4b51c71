// A Net lowered to a small inference graph that the TorchScript and ONNX exporters both write:
// named float32 constants and a list of ops over named values, in execution order. Eval-mode
// semantics only: dropout is gone, batch norm uses its running statistics (folded into the
// convolution before it when there is one).
#pragma once

#include "core/util/error.h"

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::model {
class NetImpl;
}

namespace lathe::formats {

/// What an op computes. "x" is inputs[0]; the rest of `inputs` and the attributes are listed
/// per kind. Every op has exactly one output.
enum class OpKind {
    Linear,        ///< x W^T (+ b) over the last dim; inputs {x, W [out,in], b [out]?}
    Conv2d,        ///< inputs {x, W, b?}; ints {strideH, strideW, padH, padW, dilH, dilW, groups}
    ChannelAffine, ///< x * scale + shift per channel; inputs {x, scale [C,1,1], shift [C,1,1]}
    Relu,
    Gelu,          ///< exact (erf) GELU
    MaxPool2d,     ///< ints {kH, kW, strideH, strideW, padH, padW}; floor mode, dilation 1
    AvgPool2d,     ///< ints {kH, kW, strideH, strideW, padH, padW, countIncludePad}
    GlobalAvgPool, ///< [B,C,H,W] -> [B,C,1,1]
    Flatten,       ///< [B, ...] -> [B, prod(...)]
    Reshape,       ///< ints: the target shape, -1 for the batch dim
    Transpose,     ///< ints: the permutation
    Select,        ///< ints {dim, index}: drops dim (torch.select, ONNX Gather with a scalar)
    MatMul,        ///< inputs {a, b}, batched matrix product
    DivScalar,     ///< x / scalar
    Softmax,       ///< ints {dim}
    Add,           ///< inputs {a, b}, broadcasting
    LayerNorm,     ///< over the last dim; inputs {x, W, b}; scalar = eps
    PrependToken,  ///< inputs {x [B,T,D], token [1,1,D]} -> [B, 1+T, D]
    Mul,           ///< inputs {a, b}, broadcasting
    Sub,           ///< inputs {a, b}, broadcasting: a - b
    Sigmoid,
    Hardsigmoid, ///< min(max(x + 3, 0), 6) / 6
    Hardswish,   ///< x * min(max(x + 3, 0), 6) / 6
    Concat,      ///< inputs: the parts; ints {dim}
    Slice,       ///< ints {dim, start, end, step} as torch.slice (end clamped to the size)
    /// inputs {x, ref?}; ints: the target shape as torch.expand takes it (-1 keeps x's size),
    /// then, with `ref`, {dim, refDim}: the target's dim `dim` is ref's size at refDim at run
    /// time (a class token expanded to the batch).
    Expand,
};

/// Short name of a kind ("Conv2d"), for messages and node names.
const char *opKindName(OpKind kind);

/// One op: its kind, a unique name derived from the stage path ("stage1.conv1"), the values it
/// reads (the graph input, constants or earlier outputs) and the value it writes.
struct Op
{
    OpKind kind = OpKind::Relu;
    std::string name;
    std::vector<std::string> inputs;
    std::string output;
    std::vector<std::int64_t> ints;
    double scalar = 0.0;
    int inputRank = 0; ///< rank of inputs[0] including the batch dim
};

/// A named constant: a contiguous float32 CPU tensor the graph owns (detached from the Net).
struct Constant
{
    std::string name;
    torch::Tensor tensor;
};

/// The lowered net. The graph input is `input` with shape [batch, inputShape...]; the result is
/// `output` with shape [batch, outputShape...].
struct StageGraph
{
    std::string input = "input";
    std::string output;
    std::vector<std::int64_t> inputShape;  ///< one sample, no batch dim
    std::vector<std::int64_t> outputShape; ///< one sample, no batch dim
    std::vector<Constant> constants;
    std::vector<Op> ops;
};

/// Lowers `net` for one sample shape `inputShape` ({C,H,W} or whatever its first stage takes).
/// `format` ("ONNX", "TorchScript") only words the error for a stage with no mapping:
/// `stage "xyz" (SomeImpl) has no ONNX mapping` (InvalidArgument), naming the innermost
/// module that has none. Also InvalidArgument when the shape does not fit the net, or a module
/// uses an option no op expresses (ceil-mode pooling, "same" padding, batch statistics in
/// eval mode, ...), or the net is not float32 on the CPU. Each stage's ops are checked against
/// the stage itself on the probe: a mismatch is an Internal error. Runs one probe forward pass on
/// zeros in eval mode and restores the net's training flag afterwards; never throws. Not
/// thread-safe: nothing else may use `net` meanwhile.
Result<StageGraph> lowerNet(model::NetImpl &net, const std::vector<std::int64_t> &inputShape,
                            const std::string &format);

/// `error` with the export file as its context when it has none yet (what the exporters return
/// for a net lowerNet refuses).
Error inFile(Error error, const std::filesystem::path &file);

} // namespace lathe::formats
