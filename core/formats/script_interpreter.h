// Internal to core/formats: walks a frozen TorchScript graph node by node and turns it into
// StageGraph ops (script_lowering.h is the entry point). Every IR value gets a Slot: an op's
// output in the StageGraph, a value known while lowering (a weight, an int, a list of ints), or
// a list of slots. Known values are computed twice, for the builder's batch-1 probe and for its
// wide probe, so a size read from the input (the batch) is told apart from a fixed one.
#pragma once

#include "core/formats/graph_builder.h"

#include <torch/csrc/jit/ir/ir.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lathe::formats {

/// What an IR value holds while lowering.
struct Slot
{
    enum class Kind { Tensor, Known, List } kind = Kind::Known;
    std::string tensor;      ///< Tensor: the StageGraph value
    c10::IValue value, wide; ///< Known: the value for the batch-1 probe and for the wide probe
    std::vector<Slot> items; ///< List: the items of a list or tuple that holds tensors
};

/// A node that has no mapping, or an input it cannot take: the message names what (the op,
/// the option); the interpreter adds where.
struct Unmapped : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// A node that failed, located: "aten::upsample_nearest2d at layer "up" (code.py:12)".
struct NodeError : std::runtime_error
{
    NodeError(const std::string &node, std::string what, bool internal)
        : std::runtime_error(node)
        , detail(std::move(what))
        , internal(internal)
    {
    }
    std::string detail; ///< the option it uses, empty when the op has no mapping at all
    bool internal;      ///< LibTorch failed on the probe: a lowering bug
};

class ScriptInterpreter;
/// Lowers one node: reads its inputs' slots and sets its outputs' slots. Throws Unmapped.
using ScriptHandler = std::function<void(ScriptInterpreter &, torch::jit::Node *)>;

/// The handlers, by node kind without a trailing '_' ("aten::add" also handles "aten::add_").
const std::map<std::string, ScriptHandler> &scriptHandlers();
/// The shape and layout ops among them (script_shape_ops.cpp).
std::map<std::string, ScriptHandler> scriptShapeHandlers();

/// Interprets one graph into a GraphBuilder. Not thread-safe.
class ScriptInterpreter
{
public:
    /// `path` prefixes op names ("backbone"); `input` is the StageGraph value the graph reads.
    ScriptInterpreter(GraphBuilder &builder, std::string path, std::string input);

    /// Lowers `graph` (inputs: the module, then one tensor; one tensor output) and returns the
    /// output value. Throws Unmapped (with the node's op, layer and source line in front) or
    /// c10::Error.
    std::string run(torch::jit::Graph &graph);

    // For the handlers.
    GraphBuilder &builder() { return m_builder; }
    /// The rank of StageGraph value `value` (from the builder's probe).
    std::int64_t rankOf(const std::string &value) { return m_builder.probe(value).dim(); }
    const Slot &slot(const torch::jit::Value *value) const;
    /// The StageGraph value of a tensor input; a known tensor becomes a constant.
    std::string tensor(const torch::jit::Value *value);
    /// A known input that does not depend on the batch size; throws Unmapped otherwise.
    const c10::IValue &known(const torch::jit::Value *value) const;
    std::int64_t integer(const torch::jit::Value *value) const;
    double number(const torch::jit::Value *value) const;
    std::vector<std::int64_t> ints(const torch::jit::Value *value) const;
    bool isNone(const torch::jit::Value *value) const;
    bool isTensor(const torch::jit::Value *value) const;
    /// A known float tensor input (a weight); throws Unmapped naming `what` otherwise.
    torch::Tensor weight(const torch::jit::Value *value, const char *what) const;
    /// The op name for a node: the stage path, the layer path, the op ("backbone.layer1.0.conv1").
    std::string opName(const torch::jit::Node *node) const;
    /// Emits an op named after `node` and makes it the value of the node's first output.
    std::string emit(const torch::jit::Node *node, OpKind kind, std::vector<std::string> inputs,
                     std::vector<std::int64_t> ints = {}, double scalar = 0.0);
    void set(const torch::jit::Value *value, Slot slot);
    void setTensor(const torch::jit::Value *value, const std::string &tensor);
    /// Runs the node with LibTorch on the probes (batch 1, or the wide batch): the outputs.
    std::vector<c10::IValue> evaluate(const torch::jit::Node *node, bool wide) const;
    /// The StageGraph value this graph reads (its batch dim is what a dynamic size refers to).
    const std::string &input() const { return m_input; }
    /// Marks a node as lowered already (a batch norm folded into the convolution before it).
    void skip(const torch::jit::Node *node) { m_skipped.insert(node); }

private:
    void block(torch::jit::Block *block);
    void node(torch::jit::Node *node);
    void lowerNode(torch::jit::Node *node);
    void ifNode(torch::jit::Node *node);
    bool tupleOrList(torch::jit::Node *node);
    bool knownOnly(torch::jit::Node *node);
    std::string where(const torch::jit::Node *node) const;

    GraphBuilder &m_builder;
    std::string m_path;
    std::string m_input;
    mutable std::map<const torch::jit::Value *, Slot> m_slots; ///< constants are read lazily
    std::map<const torch::jit::Value *, std::string> m_constants;
    std::set<const torch::jit::Node *> m_skipped;
};

} // namespace lathe::formats
