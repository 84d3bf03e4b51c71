#include "core/train/thread_generator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace lathe::train {

namespace {

constexpr auto kKey = c10::DispatchKey::CustomRNGKeyId;

thread_local at::Generator *tGenerator = nullptr;

bool isOptionalGenerator(const c10::TypePtr &type)
{
    const auto optional = type->cast<c10::OptionalType>();
    return optional && optional->getElementType()->kind() == c10::TypeKind::GeneratorType;
}

// Runs for an operator with a Generator? argument while a scope includes kKey on this thread.
void drawFromThreadGenerator(const c10::OperatorHandle &op, c10::DispatchKeySet keys,
                             torch::jit::Stack *stack)
{
    const auto &arguments = op.schema().arguments();
    const auto first = stack->size() - arguments.size();
    for (std::size_t i = 0; tGenerator && i < arguments.size(); ++i) {
        auto &value = (*stack)[first + i];
        if (value.isNone() && isOptionalGenerator(arguments[i].type()))
            value = c10::IValue(*tGenerator);
    }
    op.redispatchBoxed(keys & c10::DispatchKeySet(c10::DispatchKeySet::FULL_AFTER, kKey), stack);
}

// Registers the fall-through for every operator and the kernel above for those that draw
// (LibTorch's operators: its library registers them all when it is loaded). Once; the Library
// objects are never destroyed, since their registrations must outlive every scope.
void registerKernels()
{
    static std::once_flag once;
    std::call_once(once, [] {
        static auto *fallback
            = new torch::Library(torch::Library::IMPL, "_", kKey, __FILE__, __LINE__);
        fallback->fallback(torch::CppFunction::makeFallthrough());
        static auto *libraries = new std::map<std::string, std::unique_ptr<torch::Library>>;
        auto &dispatcher = c10::Dispatcher::singleton();
        for (const auto &name : dispatcher.getAllOpNames()) {
            const auto op = dispatcher.findSchema(name);
            const auto separator = name.name.find("::");
            if (!op || separator == std::string::npos)
                continue;
            bool draws = false;
            for (const auto &argument : op->schema().arguments())
                draws = draws || isOptionalGenerator(argument.type());
            if (!draws)
                continue;
            auto &library = (*libraries)[name.name.substr(0, separator)];
            if (!library)
                library = std::make_unique<torch::Library>(
                    torch::Library::IMPL, name.name.substr(0, separator), kKey, __FILE__, __LINE__);
            const auto overload = name.overload_name.empty() ? "" : "." + name.overload_name;
            library->impl((name.name.substr(separator + 2) + overload).c_str(),
                          torch::CppFunction::makeFromBoxedFunction<&drawFromThreadGenerator>());
        }
    });
}

// At start-up, before any thread runs an operator: changing dispatch tables while another thread
// dispatches is not something LibTorch promises to be safe.
[[maybe_unused]] const bool kRegisteredAtStartUp = (registerKernels(), true);

} // namespace

ThreadGeneratorScope::ThreadGeneratorScope(std::uint64_t seed)
    : m_generator(at::make_generator<at::CPUGeneratorImpl>(seed))
    , m_previous(tGenerator)
    , m_include(kKey)
{
    registerKernels();
    tGenerator = &m_generator;
}

ThreadGeneratorScope::~ThreadGeneratorScope()
{
    tGenerator = m_previous;
}

} // namespace lathe::train
