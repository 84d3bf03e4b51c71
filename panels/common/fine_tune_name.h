#pragma once

#include <string>
#include <string_view>

namespace lathe::panels {

/// What "Fine-tune from here" appends to the parent run's name ("fashion-cnn-ft"), and New run
/// takes off again when it drops the fine-tune section.
inline constexpr std::string_view kFineTuneNameSuffix = "-ft";

/// `name` without a trailing kFineTuneNameSuffix.
inline std::string withoutFineTuneSuffix(std::string name)
{
    if (name.ends_with(kFineTuneNameSuffix))
        name.resize(name.size() - kFineTuneNameSuffix.size());
    return name;
}

} // namespace lathe::panels
