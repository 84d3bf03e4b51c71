#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <memory>
#include <optional>

namespace lathe::dist {

class ProcessGroup;

/// What the synchronised batch norm layers of one run share: the run's process group and the
/// first collective of theirs that failed. Used on the training thread only.
struct SyncBatchNormContext
{
    /// Null once the group is gone (DataParallelGroup destroyed): the layers then normalise
    /// with their own rank's statistics, as plain batch norm does.
    ProcessGroup *group = nullptr;
    /// A failed all-reduce (a worker gone) cannot leave an autograd function as a Result: the
    /// layer falls back to its rank's statistics and records the error here, and
    /// DataParallelGroup ends the step with it.
    std::optional<Error> failure;
};

/// Batch norm over the global batch (training.sync_batch_norm). In training mode the forward
/// all-reduces each channel's sum, sum of squares and count over the ranks and normalises with
/// the global mean and (biased) variance; the running mean and the running variance (unbiased,
/// n / (n - 1) with n the global count) follow the global statistics with the layer's momentum
/// (a cumulative average without one), as one process's batch norm of the whole batch would.
/// The backward all-reduces each channel's sum(dy) and sum(dy * x̂), so the input's gradient is
/// the single-process one; the weight's and bias's gradients are this rank's part (the
/// GradientReducer sums them). Statistics and gradients are computed in double and returned in
/// the input's type. In eval mode it is plain batch norm with the running statistics.
///
/// It takes the place of a BatchNorm stage and registers that stage's own tensors under their
/// own names (weight, bias, running_mean, running_var, num_batches_tracked), so the optimizer,
/// the gradient reducer and the checkpoints see the same parameters and buffers.
class SyncBatchNormImpl : public torch::nn::Module
{
public:
    /// Takes over `bn`'s tensors and options (any of BatchNorm1d/2d/3d's).
    SyncBatchNormImpl(const torch::nn::BatchNormOptions &options, torch::Tensor weight,
                      torch::Tensor bias, torch::Tensor runningMean, torch::Tensor runningVar,
                      torch::Tensor batchesTracked, std::shared_ptr<SyncBatchNormContext> context);

    /// x: [N, C, ...]. Throws only what LibTorch throws for a bad input; a failed all-reduce
    /// falls back to this rank's statistics and is recorded in the context.
    torch::Tensor forward(const torch::Tensor &x);

private:
    torch::nn::BatchNormOptions m_options;
    torch::Tensor m_weight, m_bias, m_runningMean, m_runningVar, m_batchesTracked;
    std::shared_ptr<SyncBatchNormContext> m_context;
};
TORCH_MODULE(SyncBatchNorm);

/// Puts a SyncBatchNorm in place of each batch norm stage of `net` (BatchNorm1d, 2d or 3d: the
/// cnn's bn1, bn2, ...; resnet-mini's stem_bn); stages that already are one stay. Returns how
/// many stages are synchronised. InvalidArgument (context "training.sync_batch_norm") when a
/// batch norm layer is not a stage of its own (inside a block, such as resnet-mini's residual
/// blocks), naming it: it could not be synchronised and would silently stay per rank. Batch
/// norm inside an imported TorchScript model is not seen and stays per rank.
Result<int> synchroniseBatchNorm(model::Net &net, std::shared_ptr<SyncBatchNormContext> context);

} // namespace lathe::dist
