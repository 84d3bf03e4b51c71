// Fine-tuning: the model a run starts from (a parent run's checkpoint, a TorchScript file),
// LoRA, frozen stages and their gradual unfreezing, per-stage learning-rate multipliers, and
// distillation from a teacher run. The Trainer calls these; RunJob resolves the runs.
#pragma once

#include "core/model/model_spec.h"
#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lathe::train {

/// The files a fine-tune starts from, resolved from the store by RunJob (finetune.run and
/// finetune.distill_run name runs; these are their checkpoint files).
struct FineTuneSources
{
    std::filesystem::path checkpoint;        ///< initial weights; empty = none
    std::filesystem::path teacherCheckpoint; ///< distillation teacher; empty = none
    model::ModelSpec teacherModel;           ///< the teacher run's model
};

/// The model of a run, ready to train, and what was done to it (for the run's "finetune" note).
struct PreparedModel
{
    model::Net net{nullptr};
    nlohmann::json summary; ///< null for a plain run
};

/// Builds the run's model: from finetune.torchscript, else through the registry
/// (plugin::buildModel); copies the initial weights of `sources.checkpoint` (stages of another
/// shape, and the last stage when finetune.new_head, start fresh); wraps LoRA adapters; freezes
/// finetune.freeze (and, with LoRA, every base weight). Errors name the finetune key or the
/// file. Never throws.
Result<PreparedModel> prepareModel(const RunConfig &config, const FineTuneSources &sources,
                                   const std::vector<std::int64_t> &inputShape,
                                   std::int64_t numClasses);

/// The stage names finetune.freeze means for `net` ("backbone" = every stage but the last).
/// InvalidArgument (context "finetune.freeze") naming a stage the net does not have.
Result<std::vector<std::string>> frozenStages(const FineTuneConfig &config,
                                              const model::Net &net);

/// Sets requires_grad of every parameter of `stages` to !frozen (a LoRA stage's base stays
/// frozen). BatchNorm statistics of a frozen stage still follow the new data in training mode
/// (as in PyTorch): on the Fashion-MNIST transfer task that is worth +0.4 to +5 points over
/// keeping the parent's statistics.
void setFrozen(model::Net &net, const std::vector<std::string> &stages, bool frozen);

/// Parameters that will receive gradients.
std::int64_t trainableParameterCount(model::Net &net);

/// The optimizer's parameter groups: one per distinct learning-rate multiplier (stage name ->
/// multiplier, others 1), each with its multiplier. InvalidArgument (context
/// "finetune.lr_multipliers") naming a stage the net does not have.
struct ParameterGroups
{
    std::vector<std::vector<torch::Tensor>> params;
    std::vector<double> scales;
};
Result<ParameterGroups> parameterGroups(model::Net &net,
                                        const std::map<std::string, double> &multipliers);

/// Knowledge distillation (Hinton et al. 2015): the loss is
/// (1 - w) CE(student, y) + w T^2 KL(softmax(teacher / T) || softmax(student / T)).
/// Not thread-safe (the teacher is a module).
class Distiller
{
public:
    /// The teacher `spec` with the weights of `checkpoint`, in eval mode; its output must have
    /// `numClasses` entries. Errors name the file or "finetune.distill_run".
    static Result<Distiller> create(const model::ModelSpec &spec,
                                    const std::filesystem::path &checkpoint,
                                    const std::vector<std::int64_t> &inputShape,
                                    std::int64_t numClasses, double temperature, double weight);

    /// The distillation loss for a batch `x` whose student logits are `studentLogits`.
    torch::Tensor loss(const torch::Tensor &x, const torch::Tensor &studentLogits,
                       const torch::Tensor &y, double labelSmoothing);
    void to(const torch::Device &device) { m_teacher->to(device); }

private:
    Distiller(model::Net teacher, double temperature, double weight);
    model::Net m_teacher;
    double m_temperature;
    double m_weight;
};

} // namespace lathe::train
