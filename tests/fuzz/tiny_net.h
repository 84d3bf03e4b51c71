// The net of the run the checkpoint and safetensors seeds come from (corpus/README.md): the
// built-in mlp with one hidden layer of 4 over the wine data's 13 features, 3 classes, and the
// optimizer it trained with (adamw).
#pragma once

#include "fuzz_support.h"

#include "core/model/zoo.h"
#include "core/train/optimizer_factory.h"

#include <memory>

namespace lathe::fuzz {

inline model::Net tinyWineNet()
{
    auto net = model::buildNet({"mlp", {4}, 0.0}, {13, 1, 1}, 3);
    if (!net)
        finding("cannot build the seeds' net: " + net.error().toString());
    return *net;
}

inline std::unique_ptr<torch::optim::Optimizer> tinyWineOptimizer(model::Net &net)
{
    auto optimizer = train::makeOptimizer({}, net->parameters());
    if (!optimizer)
        finding("cannot make the seeds' optimizer: " + optimizer.error().toString());
    return std::move(*optimizer);
}

} // namespace lathe::fuzz
