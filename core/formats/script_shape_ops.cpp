// The shape and layout ops of a frozen TorchScript graph as StageGraph ops: reshapes, permutes,
// slicing, concatenation, expand, sizes; and layer norm and softmax (script_interpreter.h).
#include "core/formats/script_interpreter.h"

#include <torch/torch.h>

#include <limits>
#include <numeric>

namespace lathe::formats {

namespace {

using torch::jit::Node;
using Interp = ScriptInterpreter;

std::int64_t normalized(std::int64_t dim, std::int64_t rank)
{
    return dim < 0 ? dim + rank : dim;
}

std::vector<std::int64_t> sizesOf(const c10::IValue &value)
{
    return value.toTensor().sizes().vec();
}

// view, reshape, flatten, unflatten, squeeze, unsqueeze: a Reshape to the shape LibTorch gives
// on the probes, with -1 for the one dim whose size follows the batch.
void reshape(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto one = sizesOf(s.evaluate(n, false).at(0));
    const auto wide = sizesOf(s.evaluate(n, true).at(0));
    if (one == s.builder().probe(x).sizes().vec() && wide == s.builder().wideProbe(x).sizes().vec())
        return s.setTensor(n->output(), x);
    if (one.size() != wide.size())
        throw Unmapped("a reshape whose rank depends on the batch size");
    auto target = one;
    int batchDims = 0;
    for (std::size_t d = 0; d < one.size(); ++d) {
        if (one[d] != wide[d]) {
            target[d] = -1;
            ++batchDims;
        }
    }
    if (batchDims > 1)
        throw Unmapped("a reshape that spreads the batch over several dims");
    s.emit(n, OpKind::Reshape, {x}, target);
}

void permute(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    auto perm = s.ints(n->input(1));
    for (auto &d : perm)
        d = normalized(d, s.rankOf(x));
    s.emit(n, OpKind::Transpose, {x}, perm);
}

// transpose(x, dim0, dim1), and t(x) for a matrix.
void transpose(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto rank = s.rankOf(x);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    if (n->inputs().size() == 1 && rank < 2)
        return s.setTensor(n->output(), x);
    const auto a = n->inputs().size() == 1 ? 0 : normalized(s.integer(n->input(1)), rank);
    const auto b = n->inputs().size() == 1 ? 1 : normalized(s.integer(n->input(2)), rank);
    if (a == b)
        return s.setTensor(n->output(), x);
    std::swap(perm[static_cast<std::size_t>(a)], perm[static_cast<std::size_t>(b)]);
    s.emit(n, OpKind::Transpose, {x}, perm);
}

void select(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    s.emit(n, OpKind::Select, {x},
           {normalized(s.integer(n->input(1)), s.rankOf(x)), s.integer(n->input(2))});
}

// slice(x, dim, start?, end?, step)
void slice(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto dim = normalized(s.integer(n->input(1)), s.rankOf(x));
    const auto start = s.isNone(n->input(2)) ? 0 : s.integer(n->input(2));
    const auto end
        = s.isNone(n->input(3)) ? std::numeric_limits<std::int64_t>::max() : s.integer(n->input(3));
    const auto step = s.integer(n->input(4));
    const auto size = s.builder().probe(x).size(dim);
    if (start == 0 && step == 1 && end >= size && size == s.builder().wideProbe(x).size(dim))
        return s.setTensor(n->output(), x);
    s.emit(n, OpKind::Slice, {x}, {dim, start, end, step});
}

// chunk(x, chunks, dim): a list of Slices.
void chunk(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto dim = normalized(s.integer(n->input(2)), s.rankOf(x));
    const auto size = s.builder().probe(x).size(dim);
    if (size != s.builder().wideProbe(x).size(dim))
        throw Unmapped("chunks of the batch dim");
    const auto chunks = s.integer(n->input(1));
    const auto step = (size + chunks - 1) / chunks;
    Slot list{Slot::Kind::List, {}, {}, {}, {}};
    for (std::int64_t start = 0; start < size; start += step) {
        const auto part = s.builder().emit(OpKind::Slice, s.opName(n), {x},
                                           {dim, start, std::min(start + step, size), 1});
        list.items.push_back(Slot{Slot::Kind::Tensor, part, {}, {}, {}});
    }
    s.set(n->output(), std::move(list));
}

void cat(Interp &s, Node *n)
{
    const auto &list = s.slot(n->input(0));
    if (list.kind != Slot::Kind::List)
        throw Unmapped("concatenating a list built at run time");
    std::vector<std::string> inputs;
    for (const auto &item : list.items) {
        if (item.kind == Slot::Kind::Tensor)
            inputs.push_back(item.tensor);
        else if (item.kind == Slot::Kind::Known && item.value.isTensor())
            inputs.push_back(s.builder().constant(s.opName(n) + ".part", item.value.toTensor()));
        else
            throw Unmapped("concatenating something other than tensors");
    }
    const auto dim = normalized(s.integer(n->input(1)), s.rankOf(inputs.at(0)));
    s.emit(n, OpKind::Concat, std::move(inputs), {dim});
}

// expand(x, sizes, implicit): an Expand whose batch-sized dim, if any, reads its size from the
// dim of the script's input that holds the batch.
void expand(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto one = sizesOf(s.evaluate(n, false).at(0));
    const auto wide = sizesOf(s.evaluate(n, true).at(0));
    if (one == s.builder().probe(x).sizes().vec() && wide == s.builder().wideProbe(x).sizes().vec())
        return s.setTensor(n->output(), x);
    std::vector<std::size_t> batchDims;
    for (std::size_t d = 0; d < one.size(); ++d) {
        if (one[d] != wide[d])
            batchDims.push_back(d);
    }
    if (batchDims.empty())
        return void(s.emit(n, OpKind::Expand, {x}, one));
    const auto &in = s.builder().probe(s.input()), &inWide = s.builder().wideProbe(s.input());
    const auto d = batchDims.front();
    for (std::int64_t e = 0; batchDims.size() == 1 && e < in.dim(); ++e) {
        if (in.size(e) == one[d] && inWide.size(e) == wide[d] && in.size(e) != inWide.size(e)) {
            auto ints = one;
            ints.insert(ints.end(), {static_cast<std::int64_t>(d), e});
            return void(s.emit(n, OpKind::Expand, {x, s.input()}, ints));
        }
    }
    throw Unmapped("an expand to a size the input does not have");
}

// layer_norm(x, normalized_shape, weight?, bias?, eps, cudnn_enable)
void layerNorm(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto shape = s.ints(n->input(1));
    const auto dim = s.builder().probe(x).size(-1);
    if (shape.size() != 1 || shape[0] != dim)
        throw Unmapped("normalising over more than the last dim");
    const auto name = s.opName(n);
    const auto weight
        = s.isNone(n->input(2)) ? torch::ones({dim}) : s.weight(n->input(2), "a layer-norm weight");
    const auto bias
        = s.isNone(n->input(3)) ? torch::zeros({dim}) : s.weight(n->input(3), "a layer-norm bias");
    s.emit(n, OpKind::LayerNorm,
           {x, s.builder().constant(name + ".weight", weight),
            s.builder().constant(name + ".bias", bias)},
           {}, s.number(n->input(4)));
}

void softmax(Interp &s, Node *n)
{
    if (n->inputs().size() > 2 && !s.isNone(n->input(2)))
        throw Unmapped("a softmax to another dtype");
    s.emit(n, OpKind::Softmax, {s.tensor(n->input(0))}, {s.integer(n->input(1))});
}

// size(x, dim?) and dim(x) of a computed tensor: known values, the batch's included.
void size(Interp &s, Node *n)
{
    const auto x = s.tensor(n->input(0));
    const auto &one = s.builder().probe(x), &wide = s.builder().wideProbe(x);
    Slot slot{Slot::Kind::Known, {}, one.sizes().vec(), wide.sizes().vec(), {}};
    if (n->kind() == c10::aten::dim)
        slot.value = slot.wide = one.dim();
    else if (n->inputs().size() > 1) {
        const auto dim = s.integer(n->input(1));
        slot.value = one.size(dim);
        slot.wide = wide.size(dim);
    }
    s.set(n->output(), std::move(slot));
}

} // namespace

std::map<std::string, ScriptHandler> scriptShapeHandlers()
{
    return {
        {"aten::flatten", reshape},
        {"aten::view", reshape},
        {"aten::reshape", reshape},
        {"aten::unflatten", reshape},
        {"aten::squeeze", reshape},
        {"aten::unsqueeze", reshape},
        {"aten::permute", permute},
        {"aten::transpose", transpose},
        {"aten::t", transpose},
        {"aten::select", select},
        {"aten::slice", slice},
        {"aten::cat", cat},
        {"aten::chunk", chunk},
        {"aten::expand", expand},
        {"aten::layer_norm", layerNorm},
        {"aten::softmax", softmax},
        {"aten::size", size},
        {"aten::dim", size},
    };
}

} // namespace lathe::formats
