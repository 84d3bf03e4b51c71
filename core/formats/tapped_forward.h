// The forward pass of a TorchScript module that also returns what chosen submodules produce:
// how Lathe taps the layers of an imported model, which has no forward hooks in C++.
#pragma once

#include "core/util/error.h"

#include <torch/script.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace torch::jit {
struct Code;
}

namespace lathe::formats {

/// A copy of a module's forward graph with every submodule call inlined, so that the value a
/// submodule's forward returns is a value of the top-level graph, and those of the chosen layers
/// are extra outputs. Runs in LibTorch's plain interpreter (no graph optimisation), so autograd
/// records every op and the tapped outputs take part in the graph like any intermediate tensor.
/// A tapped value is what the layer returned even when a later op works in place on it (the
/// rest of the forward then works on a copy).
/// A layer called more than once is recorded at its last call; a layer called only inside
/// control flow (if, loop) or returning something other than one tensor cannot be tapped.
/// Not thread-safe: one thread runs it at a time.
class TappedForward
{
public:
    /// Builds the tapped graph of `module`'s forward for `layers` (submodule paths as PyTorch
    /// writes them). Layers that cannot be tapped are left out of tapped(). Errors: Internal
    /// when the graph cannot be rewritten. Never throws.
    static Result<std::shared_ptr<TappedForward>> create(const torch::jit::Module &module,
                                                         const std::vector<std::string> &layers);
    ~TappedForward();

    /// The layers whose outputs run() returns, in that order.
    const std::vector<std::string> &tapped() const { return m_tapped; }

    /// Runs forward(x) on `module` (the one the graph was built from, or a copy of it) and
    /// returns the output followed by the tapped layers' outputs. Throws c10::Error as
    /// forward would.
    std::vector<torch::Tensor> run(const torch::jit::Module &module, const torch::Tensor &x);

private:
    TappedForward() = default;

    std::unique_ptr<torch::jit::Code> m_code;
    std::vector<std::string> m_tapped;
};

} // namespace lathe::formats
