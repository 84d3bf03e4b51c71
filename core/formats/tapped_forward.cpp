#include "core/formats/tapped_forward.h"

#include "core/util/torch_error.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace lathe::formats {

namespace {

using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

// A copy of a module's forward graph with every method call on a submodule inlined, top down,
// remembering which submodule each inlined forward belonged to and the value it returned.
class InlinedForward
{
public:
    explicit InlinedForward(const torch::jit::Module &module)
        : m_graph(
            torch::jit::toGraphFunction(module.get_method("forward").function()).graph()->copy())
    {
        m_modulePath[m_graph->inputs().at(0)] = "";
        inlineBlock(m_graph->block(), true);
    }

    const std::shared_ptr<Graph> &graph() const { return m_graph; }
    /// The value a layer's last top-level call returned, or null.
    Value *output(const std::string &layer) const
    {
        const auto found = m_outputs.find(layer);
        return found == m_outputs.end() ? nullptr : found->second;
    }

private:
    void inlineBlock(Block *block, bool topLevel)
    {
        for (Node *n = block->nodes().front(); n != block->return_node();) {
            if (n->kind() == c10::prim::GetAttr) {
                notePath(n);
            } else if (n->kind() == c10::prim::CallMethod && m_modulePath.count(n->input(0))) {
                Node *before = n->prev();
                inlineCall(n, topLevel);
                n = before->next(); // the first inlined node
                continue;
            }
            for (Block *inner : n->blocks())
                inlineBlock(inner, false);
            n = n->next();
        }
    }

    void notePath(Node *n)
    {
        const auto owner = m_modulePath.find(n->input(0));
        const auto type = n->output()->type()->cast<c10::ClassType>();
        if (owner == m_modulePath.end() || !type || !type->is_module())
            return;
        const std::string &name = n->s(c10::attr::name);
        m_modulePath[n->output()] = owner->second.empty() ? name : owner->second + "." + name;
    }

    void inlineCall(Node *call, bool topLevel)
    {
        const std::string path = m_modulePath.at(call->input(0));
        const std::string method = call->s(c10::attr::name);
        const auto type = call->input(0)->type()->expect<c10::ClassType>();
        auto &callee = torch::jit::toGraphFunction(type->getMethod(method));
        const std::vector<Value *> before(call->outputs().begin(), call->outputs().end());
        // The callee's own graph, not its optimised one (already inlined: its submodule calls
        // would be gone).
        const auto after = torch::jit::inlineCallTo(call, &callee, callee.graph().get());
        // A layer recorded earlier may have returned what this call returned (a container's
        // forward returns its last child's): it now lives on in the inlined value.
        for (auto &[layer, value] : m_outputs) {
            for (std::size_t i = 0; i < before.size() && i < after.size(); ++i)
                if (value == before[i])
                    value = after[i];
        }
        const bool tensor = after.size() == 1 && after[0]->type()->cast<c10::TensorType>();
        if (method != "forward" || path.empty() || !topLevel || !tensor)
            return;
        m_outputs[path] = after[0];
    }

    std::shared_ptr<Graph> m_graph;
    std::unordered_map<Value *, std::string> m_modulePath;
    std::map<std::string, Value *> m_outputs;
};

// Makes later in-place ops (torchvision's ReLU(inplace=True) after a batch norm) act on a copy,
// so the recorded value is what the layer returned and stays valid for autograd; the copy
// keeps the rest of the forward as it was.
void keepFromInPlaceOps(Graph &graph, Value *value)
{
    Node *after = value->node()->kind() == c10::prim::Param ? graph.block()->nodes().front()
                                                            : value->node()->next();
    torch::jit::WithInsertPoint point(after);
    Value *copy = graph.insert(c10::aten::clone, {value});
    value->replaceAllUsesAfterNodeWith(copy->node(), copy);
}

} // namespace

TappedForward::~TappedForward() = default;

Result<std::shared_ptr<TappedForward>> TappedForward::create(const torch::jit::Module &module,
                                                             const std::vector<std::string> &layers)
{
    try {
        InlinedForward inlined(module);
        std::shared_ptr<TappedForward> tapped(new TappedForward);
        for (const auto &layer : layers) {
            if (Value *value = inlined.output(layer)) {
                keepFromInPlaceOps(*inlined.graph(), value);
                inlined.graph()->registerOutput(value);
                tapped->m_tapped.push_back(layer);
            }
        }
        tapped->m_code
            = std::make_unique<torch::jit::Code>(inlined.graph(), "lathe_tapped_forward");
        return tapped;
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "cannot rewrite the model's forward to record its layers: "
                                             + util::describe(e));
    }
}

std::vector<torch::Tensor> TappedForward::run(const torch::jit::Module &module,
                                              const torch::Tensor &x)
{
    torch::jit::Stack stack{module._ivalue(), x};
    torch::jit::InterpreterState(*m_code).run(stack);
    std::vector<torch::Tensor> out;
    out.reserve(stack.size());
    for (auto &value : stack)
        out.push_back(value.toTensor());
    return out;
}

} // namespace lathe::formats
