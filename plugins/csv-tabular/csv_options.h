// The csv dataset reader's options (data.options), parsed from their text values.
#pragma once

#include "lathe/plugin.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::csv {

/// How the first row of the file reads.
enum class HeaderKind {
    Names,   ///< the column names
    Sklearn, ///< scikit-learn's "n_samples,n_features,class names..."; labels are indices
};

/// The csv reader's data.options, parsed. Keys: label, header, columns, delimiter,
/// test_fraction, seed.
struct CsvOptions
{
    std::string label; ///< the label column; empty = the last column
    HeaderKind header = HeaderKind::Names;
    std::vector<std::string> columns; ///< names overriding the file's; empty = the file's
    char delimiter = ',';
    double testFraction = 0.0; ///< share of each class's rows held out as test, [0, 1)
    std::uint64_t seed = 0;    ///< seeds the test split
};

/// The option keys parseCsvOptions() accepts, in documentation order.
const std::vector<std::string> &csvOptionKeys();

/// Parses `options` (text values, as sdk::Options holds them). Throws std::runtime_error naming
/// `file` and the key for an unknown key or a bad value.
CsvOptions parseCsvOptions(const sdk::Options &options, const std::string &file);

} // namespace lathe::csv
