#pragma once

#include <map>
#include <optional>
#include <set>
#include <variant>
#include <string>
#include <vector>

namespace lathe::cli {

/// What one command accepts: options that take a value (repeatable ones collect every value)
/// and plain flags.
struct CommandSpec
{
    std::set<std::string> valueOptions; ///< e.g. "--db", "--set"
    std::set<std::string> flags;        ///< e.g. "--json"
    std::size_t minPositionals = 0;
    std::size_t maxPositionals = 0;
};

/// A parsed command line: positionals in order, option values, flags.
struct ParsedArgs
{
    std::vector<std::string> positionals;
    std::map<std::string, std::vector<std::string>> values;
    std::set<std::string> flags;

    /// The last value given for `option`, if any.
    std::optional<std::string> value(const std::string &option) const;
    bool has(const std::string &flag) const { return flags.contains(flag); }
};

/// Parses `args` (after the command name) against `spec`; "--opt=value" and "--opt value"
/// both work. Returns an error message for unknown options, missing values and wrong counts.
std::variant<ParsedArgs, std::string> parseArgs(const std::vector<std::string> &args,
                                                const CommandSpec &spec);

} // namespace lathe::cli
