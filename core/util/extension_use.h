#pragma once

#include <map>
#include <string>

namespace lathe {

/// An extension's options as written in a config, each value as text (JSON strings as they
/// are, numbers and booleans as JSON writes them). The same type as plugins/sdk's Options.
using Options = std::map<std::string, std::string>;

/// One use of a named extension in a config, e.g. a metric {"name": "fairness", "column":
/// "alcohol"}: its registry name and the other keys as options.
struct ExtensionUse
{
    std::string name;
    Options options;
    bool operator==(const ExtensionUse &) const = default;
};

} // namespace lathe
