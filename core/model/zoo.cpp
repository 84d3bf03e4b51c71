#include "core/model/zoo.h"

#include "core/model/vit.h"

#include <torch/torch.h>

#include <string>

namespace lathe::model {

namespace {

using namespace torch::nn;

std::vector<std::int64_t> widthsOr(const ModelSpec &spec, std::vector<std::int64_t> fallback)
{
    return spec.widths.empty() ? fallback : spec.widths;
}

std::int64_t product(const std::vector<std::int64_t> &dims)
{
    std::int64_t n = 1;
    for (auto d : dims)
        n *= d;
    return n;
}

Result<Net> buildMlp(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                     std::int64_t numClasses)
{
    Net net("mlp");
    net->addStage("flatten", Flatten());
    std::int64_t in = product(inputShape);
    int index = 1;
    for (std::int64_t width : widthsOr(spec, {256, 128})) {
        const std::string n = std::to_string(index++);
        net->addStage("fc" + n, Linear(in, width));
        net->addStage("relu" + n, ReLU());
        if (spec.dropout > 0)
            net->addStage("dropout" + n, Dropout(spec.dropout));
        in = width;
    }
    net->addStage("head", Linear(in, numClasses));
    return net;
}

// The largest of 8, 4, 2, 1 groups that divides `channels`.
std::int64_t groupsFor(std::int64_t channels)
{
    for (std::int64_t g : {8, 4, 2})
        if (channels % g == 0)
            return g;
    return 1;
}

// LibTorch 1.13's CPU autocast leaves group_norm out of its float32 list, so a bf16 activation
// meets the float32 weight and the op fails: this GroupNorm normalises in its weight's type (the
// next conv's autocast casts back). Still a GroupNormImpl, as DP-SGD and export look for.
struct AutocastGroupNormImpl : GroupNormImpl
{
    using GroupNormImpl::GroupNormImpl;
    torch::Tensor forward(const torch::Tensor &x)
    {
        const bool cast = weight.defined() && x.scalar_type() != weight.scalar_type();
        return GroupNormImpl::forward(cast ? x.to(weight.scalar_type()) : x);
    }
};
TORCH_MODULE(AutocastGroupNorm);

// Each block: 3x3 conv (no bias) + BN + ReLU + 2x2 max-pool; then flatten, dropout, linear.
// "cnn-gn" (groupNorm): GroupNorm ("gn<N>") in place of batch norm, per-example statistics that
// DP-SGD can train.
Result<Net> cnnBlocks(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                      std::int64_t numClasses, bool groupNorm)
{
    const auto widths = widthsOr(spec, {32, 64, 128});
    std::int64_t h = inputShape[1], w = inputShape[2];
    std::size_t maxBlocks = 0; // each block halves the input; keep at least 1x1
    while (maxBlocks < 4 && (std::min(h, w) >> (maxBlocks + 1)) >= 1)
        ++maxBlocks;
    if (widths.size() > maxBlocks)
        return fail(ErrorCode::InvalidArgument,
                    std::to_string(widths.size()) + " conv blocks would pool a " + std::to_string(h)
                        + "x" + std::to_string(w) + " input to nothing; give at most "
                        + std::to_string(maxBlocks) + " widths",
                    "model.widths");
    Net net(groupNorm ? "cnn-gn" : "cnn");
    std::int64_t in = inputShape[0];
    int index = 1;
    for (std::int64_t width : widths) {
        const std::string n = std::to_string(index++);
        net->addStage("conv" + n, Conv2d(Conv2dOptions(in, width, 3).padding(1).bias(false)));
        if (groupNorm)
            net->addStage("gn" + n, AutocastGroupNorm(groupsFor(width), width));
        else
            net->addStage("bn" + n, BatchNorm2d(width));
        net->addStage("relu" + n, ReLU());
        net->addStage("pool" + n, MaxPool2d(2));
        in = width;
        h /= 2;
        w /= 2;
    }
    net->addStage("flatten", Flatten());
    if (spec.dropout > 0)
        net->addStage("dropout", Dropout(spec.dropout));
    net->addStage("head", Linear(in * h * w, numClasses));
    return net;
}

Result<Net> buildCnn(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                     std::int64_t numClasses)
{
    return cnnBlocks(spec, inputShape, numClasses, false);
}

Result<Net> buildCnnGroupNorm(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                              std::int64_t numClasses)
{
    return cnnBlocks(spec, inputShape, numClasses, true);
}

// Tramer & Boneh's end-to-end CNN for DP-SGD on MNIST-like images (Papernot et al.'s tanh CNN):
// conv 8x8/2 (pad 2), tanh, max-pool 2/1, conv 4x4/2, tanh, max-pool 2/1, linear, tanh, head.
// widths = [conv1, conv2, hidden], default [16, 32, 32] (26,010 parameters on 28x28).
// "cnn-gn-tanh" (groupNorm): GroupNorm ("gn1", "gn2") after each conv, whose bias it replaces.
Result<Net> tanhCnn(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                    std::int64_t numClasses, bool groupNorm)
{
    const std::string name = groupNorm ? "cnn-gn-tanh" : "cnn-tanh";
    const auto widths = widthsOr(spec, {16, 32, 32});
    if (widths.size() != 3)
        return fail(ErrorCode::InvalidArgument,
                    name + " takes 3 widths [conv1, conv2, hidden], got "
                        + std::to_string(widths.size()),
                    "model.widths");
    auto side = [](std::int64_t n) { return ((((n + 4 - 8) / 2 + 1) - 1) - 4) / 2 + 1 - 1; };
    const std::int64_t h = side(inputShape[1]), w = side(inputShape[2]);
    if (h < 1 || w < 1)
        return fail(ErrorCode::InvalidArgument,
                    name + " needs inputs of at least 16x16, got " + std::to_string(inputShape[1])
                        + "x" + std::to_string(inputShape[2]),
                    "model.arch");
    Net net(name);
    const std::int64_t kernels[2] = {8, 4}, pads[2] = {2, 0};
    std::int64_t in = inputShape[0];
    for (int i = 0; i < 2; ++i) {
        const std::string n = std::to_string(i + 1);
        const auto options
            = Conv2dOptions(in, widths[i], kernels[i]).stride(2).padding(pads[i]).bias(!groupNorm);
        net->addStage("conv" + n, Conv2d(options));
        if (groupNorm)
            net->addStage("gn" + n, AutocastGroupNorm(groupsFor(widths[i]), widths[i]));
        net->addStage("tanh" + n, Tanh());
        net->addStage("pool" + n, MaxPool2d(MaxPool2dOptions(2).stride(1)));
        in = widths[i];
    }
    net->addStage("flatten", Flatten());
    net->addStage("fc1", Linear(widths[1] * h * w, widths[2]));
    net->addStage("tanh3", Tanh());
    if (spec.dropout > 0)
        net->addStage("dropout", Dropout(spec.dropout));
    net->addStage("head", Linear(widths[2], numClasses));
    return net;
}

Result<Net> buildCnnTanh(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                         std::int64_t numClasses)
{
    return tanhCnn(spec, inputShape, numClasses, false);
}

Result<Net> buildCnnGroupNormTanh(const ModelSpec &spec,
                                  const std::vector<std::int64_t> &inputShape,
                                  std::int64_t numClasses)
{
    return tanhCnn(spec, inputShape, numClasses, true);
}

Result<Net> buildResnetMini(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                            std::int64_t numClasses)
{
    const auto widths = widthsOr(spec, {16, 32, 64});
    if (widths.size() != 3)
        return fail(ErrorCode::InvalidArgument,
                    "resnet-mini has 3 stages: give 3 widths, got " + std::to_string(widths.size()),
                    "model.widths");
    Net net("resnet-mini");
    const auto stemConv = Conv2dOptions(inputShape[0], widths[0], 3).padding(1).bias(false);
    net->addStage("stem_conv", Conv2d(stemConv));
    net->addStage("stem_bn", BatchNorm2d(widths[0]));
    net->addStage("stem_relu", ReLU());
    net->addStage("stage1", ResidualBlock(widths[0], widths[0], 1));
    net->addStage("stage2", ResidualBlock(widths[0], widths[1], 2));
    net->addStage("stage3", ResidualBlock(widths[1], widths[2], 2));
    net->addStage("pool", AdaptiveAvgPool2d(1));
    net->addStage("flatten", Flatten());
    if (spec.dropout > 0)
        net->addStage("dropout", Dropout(spec.dropout));
    net->addStage("head", Linear(widths[2], numClasses));
    return net;
}

Result<VitShape> vitShape(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape)
{
    if (spec.widths.empty())
        return VitShape{};
    if (spec.widths.size() != 4)
        return fail(ErrorCode::InvalidArgument,
                    "vit-tiny takes 4 widths [dim, depth, heads, patch], got "
                        + std::to_string(spec.widths.size()),
                    "model.widths");
    const VitShape shape{spec.widths[0], spec.widths[1], spec.widths[2], spec.widths[3]};
    if (shape.dim % shape.heads != 0)
        return fail(ErrorCode::InvalidArgument,
                    "dim " + std::to_string(shape.dim) + " must be a multiple of heads "
                        + std::to_string(shape.heads),
                    "model.widths");
    if (inputShape[1] % shape.patch != 0 || inputShape[2] % shape.patch != 0)
        return fail(ErrorCode::InvalidArgument,
                    "patch " + std::to_string(shape.patch) + " must divide the "
                        + std::to_string(inputShape[1]) + "x" + std::to_string(inputShape[2])
                        + " input",
                    "model.widths");
    if (shape.depth > 32)
        return fail(ErrorCode::InvalidArgument,
                    "depth " + std::to_string(shape.depth) + " must be at most 32", "model.widths");
    return shape;
}

// patch_embed, block1..blockN (pre-norm transformer blocks), norm, class_token, head.
Result<Net> buildVit(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                     std::int64_t numClasses)
{
    const auto shape = vitShape(spec, inputShape);
    if (!shape)
        return std::unexpected(shape.error());
    Net net("vit-tiny");
    net->addStage("patch_embed", PatchEmbed(inputShape[0], inputShape[1], inputShape[2], shape->dim,
                                            shape->patch));
    if (spec.dropout > 0)
        net->addStage("embed_dropout", Dropout(spec.dropout));
    for (std::int64_t i = 1; i <= shape->depth; ++i)
        net->addStage("block" + std::to_string(i),
                      TransformerBlock(shape->dim, shape->heads, spec.dropout));
    net->addStage("norm", LayerNorm(LayerNormOptions({shape->dim})));
    net->addStage("class_token", ClassToken());
    Linear head(shape->dim, numClasses);
    {
        torch::NoGradGuard noGrad;
        head->weight.normal_(0.0, 0.02);
        head->bias.zero_();
    }
    net->addStage("head", head);
    return net;
}

using Builder = Result<Net> (*)(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                                std::int64_t numClasses);

// The zoo: every architecture's name, description and builder, in display order.
struct ZooRow
{
    Architecture architecture;
    Builder build;
};

const std::vector<ZooRow> &zoo()
{
    static const std::vector<ZooRow> rows{
        {{"mlp", "Fully connected: widths = hidden sizes (default [256, 128])"}, buildMlp},
        {{"cnn", "Conv-BN-ReLU-pool blocks: widths = channels (default [32, 64, 128])"}, buildCnn},
        {{"cnn-gn", "cnn with GroupNorm for batch norm (DP-SGD can train it): widths = channels "
                    "(default [32, 64, 128])"},
         buildCnnGroupNorm},
        {{"cnn-tanh", "Tramer & Boneh's private CNN (tanh, no norm): widths = [conv1, conv2, "
                      "hidden] (default [16, 32, 32])"},
         buildCnnTanh},
        {{"cnn-gn-tanh", "cnn-tanh with GroupNorm after each conv (DP-SGD's example model): "
                         "widths = [conv1, conv2, hidden] (default [16, 32, 32])"},
         buildCnnGroupNormTanh},
        {{"resnet-mini", "Residual stages: widths = channels (default [16, 32, 64])"},
         buildResnetMini},
        {{"vit-tiny", "Vision transformer: widths = [dim, depth, heads, patch] (default "
                      "[64, 4, 4, 7])"},
         buildVit},
    };
    return rows;
}

} // namespace

const std::vector<Architecture> &architectures()
{
    static const std::vector<Architecture> list = [] {
        std::vector<Architecture> out;
        for (const auto &row : zoo())
            out.push_back(row.architecture);
        return out;
    }();
    return list;
}

const std::vector<std::string> &architectureNames()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto &row : zoo())
            out.push_back(row.architecture.name);
        return out;
    }();
    return names;
}

Result<Net> buildNet(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                     std::int64_t numClasses)
{
    if (inputShape.size() != 3 || product(inputShape) <= 0)
        return fail(ErrorCode::InvalidArgument, "input shape must be {channels, height, width}",
                    "model");
    if (numClasses < 2)
        return fail(ErrorCode::InvalidArgument, "a classifier needs at least 2 classes", "model");
    try {
        for (const auto &row : zoo())
            if (row.architecture.name == spec.arch)
                return row.build(spec, inputShape, numClasses);
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument, e.what(), "model");
    }
    return fail(ErrorCode::InvalidArgument, "unknown architecture \"" + spec.arch + "\"",
                "model.arch");
}

} // namespace lathe::model
