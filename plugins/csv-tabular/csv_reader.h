// Parsing of numeric CSV tables for the csv dataset reader: the table (features row-major,
// labels as class indices) and the seeded train/test split. Pure C++, no LibTorch. Every failure
// throws std::runtime_error with a message naming the file and, for bad cells, the line
// (1-based, as an editor shows it) and the column.
#pragma once

#include "csv_options.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::csv {

/// A parsed table: rows() samples of featureNames.size() numeric features and one label.
struct CsvTable
{
    std::vector<std::string> featureNames;
    std::string labelName;
    std::vector<std::string> classNames;
    std::vector<double> features;     ///< row-major [rows, featureNames.size()]
    std::vector<std::int64_t> labels; ///< [rows], each in [0, classNames.size())

    std::int64_t rows() const { return std::int64_t(labels.size()); }
};

/// Reads the CSV file at `path`. Blank lines are skipped; fields may be double-quoted. Throws
/// std::runtime_error naming the file (and the line and column where a cell is at fault) for
/// a file that cannot be opened, an empty file, a missing label column, a row with the wrong
/// number of fields, a missing value (empty, NA, ?, nan) or a non-numeric feature.
CsvTable readCsvTable(const std::string &path, const CsvOptions &options);

/// A deterministic split of rows by label: for each class, round(count * testFraction) of its
/// rows, picked by a Fisher-Yates shuffle seeded with `seed`, go to test. Both index lists are
/// ascending. Throws std::runtime_error naming `file` when either side would be empty.
struct RowSplit
{
    std::vector<std::int64_t> train;
    std::vector<std::int64_t> test;
};
RowSplit splitRows(const std::vector<std::int64_t> &labels, std::int64_t classCount,
                   double testFraction, std::uint64_t seed, const std::string &file);

} // namespace lathe::csv
