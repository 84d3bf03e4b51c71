#include "core/formats/torchscript_export.h"

#include "core/formats/atomic_file.h"
#include "core/formats/stage_ops.h"
#include "core/formats/torchscript_import.h"
#include "core/formats/zip_check.h"
#include "core/model/net.h"
#include "core/util/join.h"
#include "core/util/torch_error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>
#include <set>
#include <span>
#include <string>

namespace lathe::formats {

namespace {

std::string list(const std::vector<std::int64_t> &values, std::size_t from = 0,
                 std::size_t count = std::string::npos)
{
    from = std::min(from, values.size());
    return "[" + util::join(std::span(values).subspan(from, std::min(count, values.size() - from)))
           + "]";
}

// A float literal that TorchScript reads back to the same double.
std::string floatLiteral(double value)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    std::string literal = text;
    if (literal.find_first_of(".en") == std::string::npos)
        literal += ".0";
    return literal;
}

// TorchScript source for a StageGraph: constants become module attributes, values locals.
class SourceWriter
{
public:
    explicit SourceWriter(const StageGraph &graph)
        : m_graph(graph)
    {
    }

    /// Picks an identifier per constant; call before source().
    const std::map<std::string, std::string> &attributes()
    {
        std::set<std::string> taken{"forward", "training"};
        for (const auto &constant : m_graph.constants) {
            auto name = identifier(constant.name);
            for (int n = 2; taken.count(name); ++n)
                name = identifier(constant.name) + "_" + std::to_string(n);
            taken.insert(name);
            m_names[constant.name] = "self." + name;
            m_attributes[constant.name] = name;
        }
        return m_attributes;
    }

    std::string source()
    {
        m_names[m_graph.input] = "x";
        std::string body;
        int index = 0;
        for (const auto &op : m_graph.ops) {
            m_names[op.output] = "v" + std::to_string(index++);
            body += "    " + m_names[op.output] + " = " + expression(op) + "\n";
        }
        return "def forward(self, x):\n" + body + "    return " + m_names.at(m_graph.output) + "\n";
    }

private:
    static std::string identifier(const std::string &name)
    {
        std::string id;
        for (const char c : name)
            id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        return "p_" + id;
    }

    std::string in(const Op &op, std::size_t i) const
    {
        return i < op.inputs.size() ? m_names.at(op.inputs[i]) : "None";
    }

    std::string expression(const Op &op) const
    {
        const auto &v = op.ints;
        const auto x = in(op, 0);
        switch (op.kind) {
        case OpKind::Linear: return "torch.linear(" + x + ", " + in(op, 1) + ", " + in(op, 2) + ")";
        case OpKind::Conv2d:
            return "torch.conv2d(" + x + ", " + in(op, 1) + ", " + in(op, 2) + ", " + list(v, 0, 2)
                   + ", " + list(v, 2, 2) + ", " + list(v, 4, 2) + ", " + std::to_string(v[6])
                   + ")";
        case OpKind::ChannelAffine:
            return "torch.add(torch.mul(" + x + ", " + in(op, 1) + "), " + in(op, 2) + ")";
        case OpKind::Relu: return "torch.relu(" + x + ")";
        case OpKind::Gelu: return "torch.gelu(" + x + ")";
        case OpKind::MaxPool2d:
            return "torch.max_pool2d(" + x + ", " + list(v, 0, 2) + ", " + list(v, 2, 2) + ", "
                   + list(v, 4, 2) + ")";
        case OpKind::AvgPool2d:
            return "torch.avg_pool2d(" + x + ", " + list(v, 0, 2) + ", " + list(v, 2, 2) + ", "
                   + list(v, 4, 2) + ", False, " + (v[6] ? "True" : "False") + ")";
        case OpKind::GlobalAvgPool: return "torch.adaptive_avg_pool2d(" + x + ", [1, 1])";
        case OpKind::Flatten: return "torch.flatten(" + x + ", 1)";
        case OpKind::Reshape: return "torch.reshape(" + x + ", " + list(v) + ")";
        case OpKind::Transpose: return "torch.permute(" + x + ", " + list(v) + ")";
        case OpKind::Select:
            return "torch.select(" + x + ", " + std::to_string(v[0]) + ", " + std::to_string(v[1])
                   + ")";
        case OpKind::MatMul: return "torch.matmul(" + x + ", " + in(op, 1) + ")";
        case OpKind::DivScalar: return "torch.div(" + x + ", " + floatLiteral(op.scalar) + ")";
        case OpKind::Softmax: return "torch.softmax(" + x + ", " + std::to_string(v[0]) + ")";
        case OpKind::Add: return "torch.add(" + x + ", " + in(op, 1) + ")";
        case OpKind::LayerNorm:
            return "torch.layer_norm(" + x + ", [" + std::to_string(normalizedSize(op)) + "], "
                   + in(op, 1) + ", " + in(op, 2) + ", " + floatLiteral(op.scalar) + ")";
        case OpKind::PrependToken:
            return "torch.cat([" + in(op, 1) + ".expand([" + x + ".size(0), -1, -1]), " + x
                   + "], 1)";
        case OpKind::Mul: return "torch.mul(" + x + ", " + in(op, 1) + ")";
        case OpKind::Sub: return "torch.sub(" + x + ", " + in(op, 1) + ")";
        case OpKind::Sigmoid: return "torch.sigmoid(" + x + ")";
        case OpKind::Hardsigmoid: return "torch.hardsigmoid(" + x + ")";
        case OpKind::Hardswish: return "torch.hardswish(" + x + ")";
        case OpKind::Concat:
            return "torch.cat([" + inputList(op) + "], " + std::to_string(v[0]) + ")";
        case OpKind::Slice:
            return "torch.slice(" + x + ", " + list(v).substr(1, list(v).size() - 2) + ")";
        case OpKind::Expand: return x + ".expand(" + expandShape(op) + ")";
        }
        return "None";
    }

    std::string inputList(const Op &op) const
    {
        std::string text;
        for (std::size_t i = 0; i < op.inputs.size(); ++i)
            text += (i ? ", " : "") + in(op, i);
        return text;
    }

    // The target list, the dim read from `ref` at run time written as ref.size(refDim).
    std::string expandShape(const Op &op) const
    {
        const auto &v = op.ints;
        if (op.inputs.size() < 2)
            return list(v);
        const auto rank = v.size() - 2;
        const auto dim = static_cast<std::size_t>(v[rank]);
        std::string text = "[";
        for (std::size_t d = 0; d < rank; ++d) {
            text += d ? ", " : "";
            text += d == dim ? in(op, 1) + ".size(" + std::to_string(v.back()) + ")"
                             : std::to_string(v[d]);
        }
        return text + "]";
    }

    std::int64_t normalizedSize(const Op &op) const
    {
        for (const auto &constant : m_graph.constants) {
            if (constant.name == op.inputs.at(1))
                return constant.tensor.numel();
        }
        return 0;
    }

    const StageGraph &m_graph;
    std::map<std::string, std::string> m_names;      // value -> expression naming it
    std::map<std::string, std::string> m_attributes; // constant -> attribute name
};

torch::jit::Module buildModule(const StageGraph &graph)
{
    torch::jit::Module module("LatheNet");
    SourceWriter writer(graph);
    const auto &attributes = writer.attributes();
    for (const auto &constant : graph.constants)
        module.register_parameter(attributes.at(constant.name), constant.tensor, false);
    module.define(writer.source());
    module.eval();
    return module;
}

} // namespace

namespace {

// The net's stage when it is one imported model and nothing else.
std::shared_ptr<ScriptStageImpl> soleScriptStage(model::Net &net)
{
    const auto stages = net->stageNames();
    if (stages.size() != 1)
        return nullptr;
    return std::dynamic_pointer_cast<ScriptStageImpl>(net->named_children()[stages.front()]);
}

} // namespace

Result<void> writeTorchScript(model::Net &net, const std::vector<std::int64_t> &inputShape,
                              const std::filesystem::path &file)
{
    // An imported model alone goes out as the module it came in as, fine-tuned.
    if (const auto script = soleScriptStage(net)) {
        std::ostringstream bytes;
        try {
            auto module = script->exportModule();
            module.eval();
            module.save(bytes);
        } catch (const std::exception &e) {
            return fail(ErrorCode::Internal,
                        "saving the imported module failed: " + util::describe(e), file.string());
        }
        return writeFileAtomically(file, bytes.view());
    }
    auto graph = lowerNet(*net, inputShape, "TorchScript");
    if (!graph)
        return std::unexpected(inFile(graph.error(), file));
    std::ostringstream bytes;
    try {
        buildModule(*graph).save(bytes);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    "building the TorchScript module failed: " + util::describe(e), file.string());
    }
    return writeFileAtomically(file, bytes.view());
}

Result<torch::jit::Module> loadTorchScript(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return fail(ErrorCode::NotFound, "no such TorchScript file", file.string());
    if (std::filesystem::is_directory(file, ec))
        return fail(ErrorCode::BadInput, "is a directory, not a TorchScript file", file.string());
    // A TorchScript file is a zip archive: say first what the user tried to open.
    if (auto verified = verifyZipArchive(file, "it"); !verified) {
        auto error = verified.error();
        error.message = "not a TorchScript module: " + error.message;
        return std::unexpected(error);
    }
    try {
        auto module = torch::jit::load(file.string(), torch::kCPU);
        if (!module.find_method("forward"))
            return fail(ErrorCode::BadInput, "is a TorchScript module without a forward method",
                        file.string());
        return module;
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "not a TorchScript module: " + util::describe(e),
                    file.string());
    }
}

} // namespace lathe::formats
