// Internal to core/export: appends ops and constants to a StageGraph and evaluates each op on
// a batch-1 probe as it goes, so every value's shape is known while lowering and each stage's
// lowering can be checked against the stage itself.
#pragma once

#include "core/formats/stage_ops.h"

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe::formats {

/// Runs one op on its input tensors with LibTorch: the reference semantics of OpKind, which
/// both exporters reproduce. Throws c10::Error on bad shapes.
torch::Tensor evaluateOp(const Op &op, const std::vector<torch::Tensor> &inputs);

/// The batch size of the wide probe: sizes that follow the batch differ from the batch-1 probe's.
constexpr std::int64_t kWideBatch = 3;

/// Builds a StageGraph. Not thread-safe.
class GraphBuilder
{
public:
    /// Starts a graph whose input value (graph.input) holds `probe` ([1, sample shape...]) and,
    /// when given, `wideProbe` ([kWideBatch, sample shape...]): every op is evaluated on both.
    GraphBuilder(StageGraph &graph, torch::Tensor probe, torch::Tensor wideProbe = {});

    /// Adds a constant (converted to a contiguous float32 CPU copy) under a unique name made
    /// from `name`; returns that name.
    std::string constant(const std::string &name, const torch::Tensor &tensor);
    /// Appends `op` under a unique name made from op.name, sets op.output to it and evaluates
    /// it on the probes of its inputs; returns the output value's name. Throws c10::Error when
    /// the op does not fit its inputs (a lowering bug).
    std::string emit(Op op);
    /// Shorthand for emit() of an op with these fields.
    std::string emit(OpKind kind, const std::string &name, std::vector<std::string> inputs,
                     std::vector<std::int64_t> ints = {}, double scalar = 0.0);

    /// The probe tensor of a value (graph input, constant or op output); throws when unknown.
    const torch::Tensor &probe(const std::string &value) const;
    /// The value on the wide probe; throws when unknown or when the builder has no wide probe.
    const torch::Tensor &wideProbe(const std::string &value) const;

private:
    std::string unique(const std::string &base);

    StageGraph &m_graph;
    std::map<std::string, torch::Tensor> m_probes;
    std::map<std::string, torch::Tensor> m_wide;
};

} // namespace lathe::formats
