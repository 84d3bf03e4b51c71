#include "tabular_mlp.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace lathe::csv {
namespace {

template<typename Module>
sdk::ModelStage stage(std::string name, Module module)
{
    return {std::move(name), std::make_shared<torch::nn::AnyModule>(std::move(module))};
}

std::int64_t inputSize(const std::vector<std::int64_t> &shape)
{
    std::int64_t size = shape.empty() ? 0 : 1;
    for (const auto dim : shape)
        size *= dim;
    if (size < 1) {
        std::string text;
        for (const auto dim : shape)
            text += (text.empty() ? "" : ", ") + std::to_string(dim);
        throw std::runtime_error("tabular-mlp needs samples of at least one value, got the shape {"
                                 + text + "}");
    }
    return size;
}

} // namespace

std::vector<sdk::ModelStage> buildTabularMlp(const sdk::ModelArgs &args)
{
    const auto &widths = args.widths.empty() ? kTabularMlpWidths : args.widths;
    for (std::size_t i = 0; i < widths.size(); ++i)
        if (widths[i] < 1)
            throw std::runtime_error("model.widths: every hidden width of tabular-mlp must be >= 1"
                                     ", got "
                                     + std::to_string(widths[i]) + " at index "
                                     + std::to_string(i));
    if (args.numClasses < 1)
        throw std::runtime_error("tabular-mlp needs at least one class, got "
                                 + std::to_string(args.numClasses));
    auto in = inputSize(args.inputShape);
    std::vector<sdk::ModelStage> stages;
    stages.push_back(stage("flatten", torch::nn::Flatten()));
    for (std::size_t i = 0; i < widths.size(); ++i) {
        const auto n = std::to_string(i + 1);
        stages.push_back(stage("fc" + n, torch::nn::Linear(in, widths[i])));
        stages.push_back(stage("relu" + n, torch::nn::ReLU()));
        if (args.dropout > 0.0)
            stages.push_back(stage("dropout" + n, torch::nn::Dropout(args.dropout)));
        in = widths[i];
    }
    stages.push_back(stage("head", torch::nn::Linear(in, args.numClasses)));
    return stages;
}

} // namespace lathe::csv
