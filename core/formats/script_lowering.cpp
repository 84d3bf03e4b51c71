#include "core/formats/script_lowering.h"

#include "core/formats/script_interpreter.h"
#include "core/util/torch_error.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

namespace lathe::formats {

namespace {

std::string className(const torch::jit::Module &module)
{
    const auto name = module.type()->name();
    return name ? name->name() : "Module";
}

// The lowered ops must give what the module gives, on batch 1 and on the wide batch (where a
// size baked in by mistake shows).
Result<void> checkLowered(GraphBuilder &builder, torch::jit::Module &module, const std::string &x,
                          const std::string &out, const std::string &stage)
{
    for (const bool wide : {false, true}) {
        const auto &input = wide ? builder.wideProbe(x) : builder.probe(x);
        const auto &got = wide ? builder.wideProbe(out) : builder.probe(out);
        torch::Tensor expected;
        try {
            expected = module.forward({input}).toTensor();
        } catch (const std::exception &e) {
            return fail(ErrorCode::InvalidArgument, stage + " does not run on a batch of "
                                                        + std::to_string(input.size(0)) + ": "
                                                        + util::describe(e));
        }
        const bool same = got.sizes() == expected.sizes()
                          && (got - expected).abs().max().item<double>()
                                 <= 1e-4 * (1.0 + expected.abs().max().item<double>());
        if (!same)
            return fail(ErrorCode::Internal,
                        stage
                            + ": the exported ops do not reproduce the TorchScript module on a "
                              "batch of "
                            + std::to_string(input.size(0)));
    }
    return {};
}

std::string lowerFrozen(GraphBuilder &builder, torch::jit::Module &module, const std::string &x,
                        const std::string &path)
{
    auto frozen = torch::jit::freeze(module, c10::nullopt, /*optimize_numerics=*/false);
    auto graph = frozen.get_method("forward").graph();
    torch::jit::Inline(*graph);
    torch::jit::ConstantPropagation(graph);
    torch::jit::EliminateDeadCode(graph);
    ScriptInterpreter interpreter(builder, path, x);
    return interpreter.run(*graph);
}

} // namespace

Result<std::string> lowerScriptModule(GraphBuilder &builder, const torch::jit::Module &module,
                                      const std::string &x, const std::string &path,
                                      const std::string &format)
{
    const auto stage = "stage \"" + path + "\" (TorchScript " + className(module) + ")";
    const auto noMapping = " has no " + format + " mapping";
    try {
        auto copy = module.clone();
        copy.eval();
        const auto out = lowerFrozen(builder, copy, x, path);
        if (auto checked = checkLowered(builder, copy, x, out, stage); !checked)
            return std::unexpected(checked.error());
        return out;
    } catch (const NodeError &e) {
        if (e.internal)
            return fail(ErrorCode::Internal,
                        stage + ": " + e.what() + " failed on the probe: " + e.detail);
        return fail(
            ErrorCode::InvalidArgument,
            stage + ": " + e.what()
                + (e.detail.empty() ? noMapping : " uses " + e.detail + ", which" + noMapping));
    } catch (const Unmapped &e) {
        return fail(ErrorCode::InvalidArgument,
                    stage + " uses " + e.what() + ", which" + noMapping);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, stage + ": lowering failed: " + util::describe(e));
    }
}

} // namespace lathe::formats
