#include "app/cli/cli_args.h"

namespace lathe::cli {

std::optional<std::string> ParsedArgs::value(const std::string &option) const
{
    auto it = values.find(option);
    if (it == values.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

std::variant<ParsedArgs, std::string> parseArgs(const std::vector<std::string> &args,
                                                const CommandSpec &spec)
{
    ParsedArgs parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        if (arg.size() < 2 || arg.rfind("--", 0) != 0) {
            parsed.positionals.push_back(arg);
            continue;
        }
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        if (spec.flags.contains(name) && eq == std::string::npos) {
            parsed.flags.insert(name);
        } else if (spec.valueOptions.contains(name)) {
            if (eq != std::string::npos) {
                parsed.values[name].push_back(arg.substr(eq + 1));
            } else if (i + 1 < args.size()) {
                parsed.values[name].push_back(args[++i]);
            } else {
                return "option " + name + " needs a value";
            }
        } else {
            return "unknown option " + name;
        }
    }
    if (parsed.positionals.size() < spec.minPositionals)
        return "missing argument";
    if (parsed.positionals.size() > spec.maxPositionals)
        return "unexpected argument \"" + parsed.positionals[spec.maxPositionals] + "\"";
    return parsed;
}

} // namespace lathe::cli
