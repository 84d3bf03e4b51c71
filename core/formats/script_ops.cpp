// The compute ops of a frozen TorchScript graph as StageGraph ops: convolution and batch norm,
// activations, pooling, linear layers and products, arithmetic (script_interpreter.h).
#include "core/formats/script_interpreter.h"

#include <torch/torch.h>

#include <optional>

namespace lathe::formats {

namespace {

using torch::jit::Node;
using Interp = ScriptInterpreter;

// A pooling or convolution argument as two values: [k] means [k, k], [] the fallback.
std::vector<std::int64_t> twoValues(std::vector<std::int64_t> v, std::vector<std::int64_t> fallback)
{
    if (v.empty())
        return fallback;
    return v.size() == 1 ? std::vector<std::int64_t>{v[0], v[0]} : v;
}

void identity(Interp &s, Node *n)
{
    s.set(n->output(), s.slot(n->input(0)));
}

ScriptHandler unary(OpKind kind)
{
    return [kind](Interp &s, Node *n) { s.emit(n, kind, {s.tensor(n->input(0))}); };
}

void gelu(Interp &s, Node *n)
{
    if (n->inputs().size() > 1 && s.known(n->input(1)).toStringRef() != "none")
        throw Unmapped("the tanh approximation of GELU");
    s.emit(n, OpKind::Gelu, {s.tensor(n->input(0))});
}

// One operand of an element-wise op: a tensor, or a number as a 0-dim constant; scaled by
// `alpha` (add and sub) where that is a constant.
std::string operand(Interp &s, Node *n, std::size_t i, double alpha)
{
    const auto *value = n->input(i);
    if (s.isTensor(value) && alpha == 1.0)
        return s.tensor(value);
    if (s.isTensor(value))
        throw Unmapped("alpha other than 1 on a computed tensor");
    const auto &k = s.known(value);
    if (k.isTensor() && alpha == 1.0)
        return s.tensor(value);
    const auto tensor = k.isTensor() ? k.toTensor().to(torch::kDouble) * alpha
                                     : torch::tensor(s.number(value) * alpha, torch::kDouble);
    return s.builder().constant(s.opName(n) + ".operand", tensor);
}

ScriptHandler arithmetic(OpKind kind)
{
    return [kind](Interp &s, Node *n) {
        const bool scaled = kind != OpKind::Mul && n->inputs().size() > 2;
        const double alpha = scaled ? s.number(n->input(2)) : 1.0;
        const auto a = operand(s, n, 0, 1.0);
        s.emit(n, kind, {a, operand(s, n, 1, alpha)});
    };
}

void divide(Interp &s, Node *n)
{
    if (n->inputs().size() > 2 && !s.isNone(n->input(2)))
        throw Unmapped("division with a rounding mode");
    if (s.isTensor(n->input(1)))
        throw Unmapped("division by a computed tensor");
    const auto &divisor = s.known(n->input(1));
    if (divisor.isTensor() && divisor.toTensor().numel() != 1)
        throw Unmapped("division by a tensor of constants");
    s.emit(n, OpKind::DivScalar, {s.tensor(n->input(0))}, {}, s.number(n->input(1)));
}

// A batch norm in eval mode as y = x * scale + shift per channel (float64 [C]).
struct Affine
{
    torch::Tensor scale, shift;
};

// batch_norm(input, weight?, bias?, running_mean?, running_var?, training, momentum, eps, cudnn)
Affine batchNormAffine(Interp &s, Node *n)
{
    if (s.integer(n->input(5)) != 0 || s.isNone(n->input(3)) || s.isNone(n->input(4)))
        throw Unmapped("batch statistics (training mode or no running statistics)");
    const auto mean = s.weight(n->input(3), "a running mean").to(torch::kDouble);
    const auto var = s.weight(n->input(4), "a running variance").to(torch::kDouble);
    // In float64, so that folding adds no rounding of its own.
    auto scale = 1.0 / (var + s.number(n->input(7))).sqrt();
    if (!s.isNone(n->input(1)))
        scale = scale * s.weight(n->input(1), "a batch-norm weight").to(torch::kDouble);
    auto shift = -mean * scale;
    if (!s.isNone(n->input(2)))
        shift = shift + s.weight(n->input(2), "a batch-norm bias").to(torch::kDouble);
    return {scale, shift};
}

void batchNorm(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto affine = batchNormAffine(s, n);
    std::vector<std::int64_t> shape{-1};
    shape.resize(static_cast<std::size_t>(std::max<std::int64_t>(1, s.rankOf(x) - 1)), 1);
    const auto name = s.opName(n);
    const auto scale = s.builder().constant(name + ".scale", affine.scale.view(shape));
    const auto shift = s.builder().constant(name + ".shift", affine.shift.view(shape));
    s.emit(n, OpKind::ChannelAffine, {x, scale, shift});
}

// The eval-mode batch norm that alone reads a convolution's output, to fold into it.
std::optional<std::pair<Node *, Affine>> followingBatchNorm(Interp &s, Node *conv)
{
    const auto &uses = conv->output()->uses();
    if (uses.size() != 1 || uses[0].offset != 0 || uses[0].user->kind() != c10::aten::batch_norm
        || uses[0].user->owningBlock() != conv->owningBlock())
        return std::nullopt;
    try {
        return std::make_pair(uses[0].user, batchNormAffine(s, uses[0].user));
    } catch (const std::exception &) {
        return std::nullopt; // lowered (or refused) on its own
    }
}

// conv2d(input, weight, bias, stride, padding, dilation, groups), padding maybe "valid"/"same";
// _convolution and convolution: (..., dilation, transposed, output_padding, groups, ...).
void convolution(Interp &s, Node *n)
{
    const bool general = n->kind() != c10::aten::conv2d;
    auto weight = s.weight(n->input(1), "a convolution weight");
    if (weight.dim() != 4)
        throw Unmapped("a " + std::to_string(weight.dim() - 2) + "-d convolution");
    if (general && s.integer(n->input(6)) != 0)
        throw Unmapped("a transposed convolution");
    std::vector<std::int64_t> padding{0, 0};
    const auto &pad = s.known(n->input(4));
    if (pad.isString() && pad.toStringRef() != "valid")
        throw Unmapped("padding \"" + pad.toStringRef() + "\"");
    if (!pad.isString())
        padding = twoValues(s.ints(n->input(4)), {0, 0});
    const auto stride = twoValues(s.ints(n->input(3)), {1, 1});
    const auto dilation = twoValues(s.ints(n->input(5)), {1, 1});
    const auto groups = s.integer(n->input(general ? 8 : 6));
    auto bias = s.isNone(n->input(2)) ? torch::Tensor() : s.weight(n->input(2), "a bias");
    const auto name = s.opName(n);
    const auto bn = followingBatchNorm(s, n);
    if (bn) {
        const auto &[scale, shift] = bn->second;
        weight = weight.to(torch::kDouble) * scale.view({-1, 1, 1, 1});
        bias
            = (bias.defined() ? bias.to(torch::kDouble) * scale : torch::zeros_like(scale)) + shift;
        s.skip(bn->first);
    }
    std::vector<std::string> inputs{s.tensor(n->input(0)),
                                    s.builder().constant(name + ".weight", weight)};
    if (bias.defined())
        inputs.push_back(s.builder().constant(name + ".bias", bias));
    const auto out
        = s.emit(n, OpKind::Conv2d, std::move(inputs),
                 {stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups});
    if (bn)
        s.setTensor(bn->first->output(), out);
}

void linear(Interp &s, Node *n)
{
    s.weight(n->input(1), "a linear weight");
    std::vector<std::string> inputs{s.tensor(n->input(0)), s.tensor(n->input(1))};
    if (!s.isNone(n->input(2)))
        inputs.push_back(s.tensor(n->input(2)));
    s.emit(n, OpKind::Linear, std::move(inputs));
}

// addmm(bias, x, W^T, beta, alpha) = beta bias + alpha x W^T.
void addmm(Interp &s, Node *n)
{
    const auto weightT = s.weight(n->input(2), "an addmm weight") * s.number(n->input(4));
    const auto bias = s.weight(n->input(0), "an addmm bias") * s.number(n->input(3));
    if (weightT.dim() != 2 || bias.numel() != weightT.size(1))
        throw Unmapped("an addmm that is not a linear layer");
    const auto name = s.opName(n);
    s.emit(n, OpKind::Linear,
           {s.tensor(n->input(1)), s.builder().constant(name + ".weight", weightT.t()),
            s.builder().constant(name + ".bias", bias.reshape({-1}))});
}

void matmul(Interp &s, Node *n)
{
    const auto a = s.tensor(n->input(0));
    s.emit(n, OpKind::MatMul, {a, s.tensor(n->input(1))});
}

// max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
void maxPool(Interp &s, Node *n)
{
    const auto kernel = twoValues(s.ints(n->input(1)), {});
    const auto stride = twoValues(s.ints(n->input(2)), kernel);
    const auto padding = twoValues(s.ints(n->input(3)), {0, 0});
    if (twoValues(s.ints(n->input(4)), {1, 1}) != std::vector<std::int64_t>{1, 1})
        throw Unmapped("dilated pooling");
    if (s.integer(n->input(5)) != 0)
        throw Unmapped("ceil-mode pooling");
    s.emit(n, OpKind::MaxPool2d, {s.tensor(n->input(0))},
           {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1]});
}

// avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
void avgPool(Interp &s, Node *n)
{
    const auto kernel = twoValues(s.ints(n->input(1)), {});
    const auto stride = twoValues(s.ints(n->input(2)), kernel);
    const auto padding = twoValues(s.ints(n->input(3)), {0, 0});
    if (s.integer(n->input(4)) != 0 || !s.isNone(n->input(6)))
        throw Unmapped("ceil mode or a divisor override");
    s.emit(n, OpKind::AvgPool2d, {s.tensor(n->input(0))},
           {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
            s.integer(n->input(5))});
}

void adaptiveAvgPool(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto in = s.builder().probe(x).sizes();
    const auto size = twoValues(s.ints(n->input(1)), {});
    if (in.size() != 4)
        throw Unmapped("adaptive pooling of a tensor that is not [B,C,H,W]");
    if (size[0] == 1 && size[1] == 1)
        return void(s.emit(n, OpKind::GlobalAvgPool, {x}));
    if (in[2] % size[0] != 0 || in[3] % size[1] != 0)
        throw Unmapped("adaptive pooling to uneven windows");
    const auto kh = in[2] / size[0], kw = in[3] / size[1];
    s.emit(n, OpKind::AvgPool2d, {x}, {kh, kw, kh, kw, 0, 0, 1});
}

} // namespace

const std::map<std::string, ScriptHandler> &scriptHandlers()
{
    static const std::map<std::string, ScriptHandler> kComputeOps{
        {"aten::_convolution", convolution},
        {"aten::convolution", convolution},
        {"aten::conv2d", convolution},
        {"aten::batch_norm", batchNorm},
        {"aten::relu", unary(OpKind::Relu)},
        {"aten::gelu", gelu},
        {"aten::hardswish", unary(OpKind::Hardswish)},
        {"aten::hardsigmoid", unary(OpKind::Hardsigmoid)},
        {"aten::sigmoid", unary(OpKind::Sigmoid)},
        {"aten::max_pool2d", maxPool},
        {"aten::avg_pool2d", avgPool},
        {"aten::adaptive_avg_pool2d", adaptiveAvgPool},
        {"aten::add", arithmetic(OpKind::Add)},
        {"aten::sub", arithmetic(OpKind::Sub)},
        {"aten::mul", arithmetic(OpKind::Mul)},
        {"aten::div", divide},
        {"aten::linear", linear},
        {"aten::addmm", addmm},
        {"aten::matmul", matmul},
        {"aten::bmm", matmul},
        {"aten::mm", matmul},
        {"aten::contiguous", identity},
        {"aten::dropout", identity},
        {"aten::feature_dropout", identity},
        {"aten::alpha_dropout", identity},
        {"aten::clone", identity},
        {"aten::detach", identity},
        {"prim::unchecked_cast", identity},
    };
    static const auto handlers = [] {
        auto all = scriptShapeHandlers();
        all.insert(kComputeOps.begin(), kComputeOps.end());
        return all;
    }();
    return handlers;
}

} // namespace lathe::formats
