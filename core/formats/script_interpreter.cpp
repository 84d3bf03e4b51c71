#include "core/formats/script_interpreter.h"

#include "core/util/torch_error.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/torch.h>

#include <algorithm>

namespace lathe::formats {

namespace {

using torch::jit::Node;
using torch::jit::Value;

std::vector<c10::IValue> elements(const c10::IValue &value)
{
    if (value.isList()) {
        const auto items = value.toListRef();
        return std::vector<c10::IValue>(items.begin(), items.end());
    }
    const auto &items = value.toTuple()->elements();
    return std::vector<c10::IValue>(items.begin(), items.end());
}

bool sameValue(const c10::IValue &a, const c10::IValue &b)
{
    if (a.isTensor() || b.isTensor()) {
        if (!a.isTensor() || !b.isTensor())
            return false;
        const auto &x = a.toTensor(), &y = b.toTensor();
        return x.sizes() == y.sizes() && x.scalar_type() == y.scalar_type() && torch::equal(x, y);
    }
    if ((a.isList() && b.isList()) || (a.isTuple() && b.isTuple())) {
        const auto left = elements(a), right = elements(b);
        if (left.size() != right.size())
            return false;
        for (std::size_t i = 0; i < left.size(); ++i) {
            if (!sameValue(left[i], right[i]))
                return false;
        }
        return true;
    }
    return a == b;
}

c10::IValue construct(const Node *node, const std::vector<c10::IValue> &items)
{
    if (node->kind() == c10::prim::TupleConstruct)
        return c10::ivalue::Tuple::create(items);
    c10::impl::GenericList list(node->output()->type()->cast<c10::ListType>()->getElementType());
    for (const auto &item : items)
        list.push_back(item);
    return list;
}

bool inplace(const std::string &kind)
{
    return kind.size() > 2 && kind.back() == '_' && kind[kind.size() - 2] != '_';
}

// The submodules a node was inlined from, as PyTorch names them ("layer1.0.conv1").
std::string layerPath(const Node *node)
{
    std::string path;
    if (auto stack = node->callstack()) {
        for (const auto &entry : (*stack)->vec()) {
            const auto &info = std::get<2>(entry);
            if (info && !info->instance_name().empty())
                path += (path.empty() ? "" : ".") + info->instance_name();
        }
    }
    return path;
}

} // namespace

ScriptInterpreter::ScriptInterpreter(GraphBuilder &builder, std::string path, std::string input)
    : m_builder(builder)
    , m_path(std::move(path))
    , m_input(std::move(input))
{
}

std::string ScriptInterpreter::run(torch::jit::Graph &graph)
{
    const auto inputs = graph.inputs();
    if (inputs.size() != 2 || graph.outputs().size() != 1)
        throw Unmapped("a forward that does not take and return one tensor");
    set(inputs[0], Slot{}); // the module: nothing reads it once frozen
    setTensor(inputs[1], m_input);
    block(graph.block());
    const auto &out = slot(graph.outputs()[0]);
    if (out.kind != Slot::Kind::Tensor)
        throw Unmapped("a forward whose result is not a tensor computed from its input");
    return out.tensor;
}

void ScriptInterpreter::block(torch::jit::Block *block)
{
    for (auto *node : block->nodes())
        this->node(node);
}

void ScriptInterpreter::node(Node *node)
{
    if (m_skipped.count(node))
        return;
    try {
        lowerNode(node);
    } catch (const NodeError &) {
        throw;
    } catch (const Unmapped &e) {
        throw NodeError(node->kind().toQualString() + where(node), e.what(), false);
    } catch (const c10::Error &e) {
        throw NodeError(node->kind().toQualString() + where(node), util::describe(e), true);
    }
}

void ScriptInterpreter::lowerNode(Node *node)
{
    if (node->kind() == c10::prim::Constant)
        return void(slot(node->output())); // read lazily
    if (node->kind() == c10::prim::If)
        return ifNode(node);
    if (tupleOrList(node) || knownOnly(node))
        return;
    const std::string kind = node->kind().toQualString();
    const bool mutates = inplace(kind);
    const auto &handlers = scriptHandlers();
    const auto found = handlers.find(mutates ? kind.substr(0, kind.size() - 1) : kind);
    if (found == handlers.end())
        throw Unmapped("");
    found->second(*this, node);
    // Later readers of the mutated input see the result.
    if (mutates && node->outputs().size() == 1 && !node->inputs().empty())
        set(node->input(0), slot(node->output()));
}

void ScriptInterpreter::ifNode(Node *node)
{
    const auto &condition = slot(node->input(0));
    if (condition.kind != Slot::Kind::Known || !sameValue(condition.value, condition.wide))
        throw Unmapped("a branch on the batch size or on computed values");
    auto *taken = node->blocks()[condition.value.toBool() ? 0 : 1];
    block(taken);
    for (std::size_t i = 0; i < node->outputs().size(); ++i)
        set(node->outputs()[i], slot(taken->outputs()[i]));
}

// Lists and tuples: prim ops without an operator to run, so built here (of known values, for
// both probes) or kept as a List slot (of computed tensors).
bool ScriptInterpreter::tupleOrList(Node *node)
{
    const auto kind = node->kind();
    if (kind == c10::prim::ListConstruct || kind == c10::prim::TupleConstruct) {
        Slot list{Slot::Kind::List, {}, {}, {}, {}};
        std::vector<c10::IValue> one, wide;
        for (const auto *input : node->inputs()) {
            list.items.push_back(slot(input));
            one.push_back(list.items.back().value);
            wide.push_back(list.items.back().wide);
        }
        const bool known = std::all_of(list.items.begin(), list.items.end(),
                                       [](const Slot &s) { return s.kind == Slot::Kind::Known; });
        if (known)
            list = Slot{Slot::Kind::Known, {}, construct(node, one), construct(node, wide), {}};
        set(node->output(), std::move(list));
        return true;
    }
    if (node->inputs().empty())
        return false;
    const auto source = slot(node->input(0));
    if (kind == c10::prim::ListUnpack || kind == c10::prim::TupleUnpack) {
        auto items = source.items;
        if (source.kind == Slot::Kind::Known) {
            const auto one = elements(source.value), wide = elements(source.wide);
            items.clear();
            for (std::size_t i = 0; i < one.size() && i < wide.size(); ++i)
                items.push_back(Slot{Slot::Kind::Known, {}, one[i], wide[i], {}});
        }
        if (items.size() != node->outputs().size())
            throw Unmapped("unpacking a list of another length");
        for (std::size_t i = 0; i < items.size(); ++i)
            set(node->outputs()[i], items[i]);
        return true;
    }
    if (source.kind == Slot::Kind::List
        && (kind == c10::prim::TupleIndex || kind == c10::aten::__getitem__)) {
        auto index = integer(node->input(1));
        if (index < 0)
            index += static_cast<std::int64_t>(source.items.size());
        set(node->output(), source.items.at(static_cast<std::size_t>(index)));
        return true;
    }
    return false;
}

// A node that reads only known values is run now, for both probes, unless it makes a tensor
// whose size depends on the batch (an expand to the batch size): a handler makes that an op.
bool ScriptInterpreter::knownOnly(Node *node)
{
    bool dynamic = false;
    for (const auto *input : node->inputs()) {
        const auto &s = slot(input);
        if (s.kind != Slot::Kind::Known)
            return false;
        dynamic = dynamic || !sameValue(s.value, s.wide);
    }
    std::vector<c10::IValue> one, wide;
    try {
        one = evaluate(node, false);
        wide = dynamic ? evaluate(node, true) : one;
    } catch (const std::exception &) {
        return false; // no operator to run: the handler lookup names it
    }
    if (one.size() != node->outputs().size() || wide.size() != one.size())
        return false;
    for (std::size_t i = 0; i < one.size(); ++i) {
        if (one[i].isTensor() && one[i].toTensor().dim() > 0 && !sameValue(one[i], wide[i]))
            return false;
    }
    for (std::size_t i = 0; i < one.size(); ++i)
        set(node->outputs()[i], Slot{Slot::Kind::Known, {}, one[i], wide[i], {}});
    return true;
}

std::vector<c10::IValue> ScriptInterpreter::evaluate(const Node *node, bool wide) const
{
    const bool mutates = inplace(node->kind().toQualString());
    auto tensorOf = [&](const Slot &s) -> c10::IValue {
        if (s.kind == Slot::Kind::Tensor)
            // Contiguous: the ops drop contiguous(), which a view after a permute relies on.
            return (wide ? m_builder.wideProbe(s.tensor) : m_builder.probe(s.tensor)).contiguous();
        if (s.kind == Slot::Kind::Known)
            return wide ? s.wide : s.value;
        throw Unmapped("a nested list");
    };
    torch::jit::Stack stack;
    for (const auto *input : node->inputs()) {
        const auto &s = slot(input);
        c10::IValue value;
        if (s.kind != Slot::Kind::List) {
            value = tensorOf(s);
        } else if (input->type()->kind() == c10::TypeKind::ListType) {
            c10::List<at::Tensor> list;
            for (const auto &item : s.items)
                list.push_back(tensorOf(item).toTensor());
            value = list;
        } else {
            std::vector<c10::IValue> items;
            for (const auto &item : s.items)
                items.push_back(tensorOf(item));
            value = c10::ivalue::Tuple::create(std::move(items));
        }
        if (mutates && value.isTensor())
            value = value.toTensor().clone(); // never write into a probe or a weight
        stack.push_back(std::move(value));
    }
    auto operation = node->getOperation();
    operation(stack);
    return stack;
}

const Slot &ScriptInterpreter::slot(const Value *value) const
{
    const auto found = m_slots.find(value);
    if (found != m_slots.end())
        return found->second;
    // Constants may sit after their first reader's neighbours (a folded batch norm's).
    if (value->node()->kind() == c10::prim::Constant) {
        const auto constant = torch::jit::toIValue(value);
        const auto v = constant ? *constant : c10::IValue();
        return m_slots[value] = Slot{Slot::Kind::Known, {}, v, v, {}};
    }
    throw std::logic_error("the script's value %" + value->debugName()
                           + " is read before it is set");
}

std::string ScriptInterpreter::tensor(const Value *value)
{
    const auto &s = slot(value);
    if (s.kind == Slot::Kind::Tensor)
        return s.tensor;
    if (s.kind != Slot::Kind::Known || !s.value.isTensor() || !sameValue(s.value, s.wide))
        throw Unmapped("a tensor operand that is neither a weight nor computed from the input");
    if (const auto found = m_constants.find(value); found != m_constants.end())
        return found->second;
    auto name = value->debugName();
    if (name.rfind("self.", 0) == 0)
        name = name.substr(5);
    return m_constants[value] = m_builder.constant(m_path + "." + name, s.value.toTensor());
}

const c10::IValue &ScriptInterpreter::known(const Value *value) const
{
    const auto &s = slot(value);
    if (s.kind != Slot::Kind::Known)
        throw Unmapped("a computed tensor where a constant is expected");
    if (!sameValue(s.value, s.wide))
        throw Unmapped("a value that depends on the batch size");
    return s.value;
}

std::int64_t ScriptInterpreter::integer(const Value *value) const
{
    const auto &v = known(value);
    if (v.isTensor())
        return v.toTensor().item<std::int64_t>();
    return v.isBool() ? v.toBool() : v.toInt();
}

double ScriptInterpreter::number(const Value *value) const
{
    const auto &v = known(value);
    if (v.isTensor())
        return v.toTensor().item<double>();
    if (v.isInt())
        return static_cast<double>(v.toInt());
    return v.isBool() ? v.toBool() : v.toDouble();
}

std::vector<std::int64_t> ScriptInterpreter::ints(const Value *value) const
{
    const auto &v = known(value);
    if (v.isInt())
        return {v.toInt()};
    return v.toIntVector();
}

bool ScriptInterpreter::isNone(const Value *value) const
{
    const auto &s = slot(value);
    return s.kind == Slot::Kind::Known && s.value.isNone();
}

bool ScriptInterpreter::isTensor(const Value *value) const
{
    return slot(value).kind == Slot::Kind::Tensor;
}

torch::Tensor ScriptInterpreter::weight(const Value *value, const char *what) const
{
    const auto &s = slot(value);
    if (s.kind != Slot::Kind::Known || !s.value.isTensor() || !sameValue(s.value, s.wide))
        throw Unmapped(std::string(what) + " computed at run time");
    return s.value.toTensor();
}

std::string ScriptInterpreter::opName(const Node *node) const
{
    std::string op = node->kind().toUnqualString();
    while (!op.empty() && op.back() == '_')
        op.pop_back();
    const auto layer = layerPath(node);
    return m_path + "." + (layer.empty() ? op : layer + "." + op);
}

std::string ScriptInterpreter::emit(const Node *node, OpKind kind, std::vector<std::string> inputs,
                                    std::vector<std::int64_t> ints, double scalar)
{
    const auto out
        = m_builder.emit(Op{kind, opName(node), std::move(inputs), {}, std::move(ints), scalar, 0});
    setTensor(node->output(), out);
    return out;
}

void ScriptInterpreter::set(const Value *value, Slot slot)
{
    m_slots[value] = std::move(slot);
}

void ScriptInterpreter::setTensor(const Value *value, const std::string &tensor)
{
    set(value, Slot{Slot::Kind::Tensor, tensor, {}, {}, {}});
}

std::string ScriptInterpreter::where(const Node *node) const
{
    std::string text;
    if (const auto layer = layerPath(node); !layer.empty())
        text += " at layer \"" + layer + "\"";
    if (const auto line = node->sourceRange().file_line_col())
        text += " (" + std::get<0>(*line) + ":" + std::to_string(std::get<1>(*line)) + ")";
    return text;
}

} // namespace lathe::formats
