#include "csv_reader.h"

#include "csv_text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>

namespace lathe::csv {
namespace {

using namespace detail;

/// One non-blank line of the file, split into fields.
struct Row
{
    std::int64_t line = 0; ///< 1-based line number in the file
    std::vector<std::string> fields;
};

bool isMissing(std::string_view cell)
{
    std::string lower(cell);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return lower.empty() || lower == "na" || lower == "?" || lower == "nan";
}

/// Splits one line at `delimiter`; a field that starts with a double quote runs to the closing
/// quote ("" inside it is one quote). Fields are trimmed of spaces and tabs.
std::vector<std::string> splitFields(const std::string &text, char delimiter,
                                     const std::string &file, std::int64_t line)
{
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (true) {
        std::string field;
        const auto start = text.find_first_not_of(' ', pos);
        if (start != std::string::npos && text[start] == '"') {
            pos = start + 1;
            while (true) {
                const auto quote = text.find('"', pos);
                if (quote == std::string::npos)
                    fail(file, "line " + std::to_string(line) + ": a quoted field never ends");
                field += text.substr(pos, quote - pos);
                pos = quote + 1;
                if (pos >= text.size() || text[pos] != '"')
                    break;
                field += '"';
                ++pos;
            }
        }
        const auto end = std::min(text.find(delimiter, pos), text.size());
        const auto rest = trim(std::string_view(text).substr(pos, end - pos));
        if (!field.empty() && !rest.empty())
            fail(file, "line " + std::to_string(line) + ": text after a quoted field");
        fields.push_back(field.empty() ? std::string(rest) : field);
        if (end == text.size())
            return fields;
        pos = end + 1;
    }
}

std::vector<Row> readRows(const std::string &path, char delimiter)
{
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
        fail(path, "is a folder, not a CSV file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, std::string("cannot be opened: ") + std::strerror(errno));
    std::vector<Row> rows;
    std::string text;
    for (std::int64_t line = 1; std::getline(in, text); ++line) {
        if (!text.empty() && text.back() == '\r')
            text.pop_back();
        if (line == 1 && text.starts_with("\xEF\xBB\xBF")) // a UTF-8 byte order mark
            text.erase(0, 3);
        if (trim(text).empty())
            continue;
        rows.push_back({line, splitFields(text, delimiter, path, line)});
    }
    if (in.bad())
        fail(path, "could not be read to the end");
    if (rows.empty())
        fail(path, "the file is empty");
    return rows;
}

} // namespace
namespace {

/// What the first row says: the column names and, for a scikit-learn header, the class names
/// and the sample count.
struct Header
{
    std::vector<std::string> columns;
    std::vector<std::string> classNames;
    std::int64_t samples = -1; ///< -1 = not stated
};

std::optional<std::int64_t> parseCount(const std::string &text)
{
    std::int64_t count = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc() || end != text.data() + text.size() || text.empty() || count < 0)
        return std::nullopt;
    return count;
}

Header readSklearnHeader(const Row &first, const Row &firstData, const CsvOptions &options,
                         const std::string &file)
{
    const auto &fields = first.fields;
    const auto samples = fields.size() >= 3 ? parseCount(fields[0]) : std::nullopt;
    const auto features = fields.size() >= 3 ? parseCount(fields[1]) : std::nullopt;
    if (!samples || !features)
        fail(file, "line " + std::to_string(first.line)
                       + ": a scikit-learn header reads \"n_samples,n_features,class names...\"");
    // The feature count sizes the column names: it must agree with the data before any is made.
    if (std::uint64_t(*features) + 1 != firstData.fields.size())
        fail(file, "line " + std::to_string(firstData.line) + " has "
                       + std::to_string(firstData.fields.size()) + " fields; the header (line "
                       + std::to_string(first.line) + ") says " + std::to_string(*features)
                       + " features and a label");
    Header header{{}, {fields.begin() + 2, fields.end()}, *samples};
    if (options.columns.empty()) {
        for (std::int64_t i = 1; i <= *features; ++i)
            header.columns.push_back("feature_" + std::to_string(i));
        header.columns.push_back("target");
    } else if (std::int64_t(options.columns.size()) != *features + 1) {
        fail(file, "option columns names " + std::to_string(options.columns.size())
                       + " columns; the header says " + std::to_string(*features)
                       + " features and a label, so " + std::to_string(*features + 1));
    } else {
        header.columns = options.columns;
    }
    return header;
}

Header readHeader(const Row &first, const Row &firstData, const CsvOptions &options,
                  const std::string &file)
{
    if (options.header == HeaderKind::Sklearn)
        return readSklearnHeader(first, firstData, options, file);
    if (!options.columns.empty() && options.columns.size() != first.fields.size())
        fail(file, "option columns names " + std::to_string(options.columns.size())
                       + " columns; the header row (line " + std::to_string(first.line) + ") has "
                       + std::to_string(first.fields.size()));
    return {options.columns.empty() ? first.fields : options.columns, {}, -1};
}

/// Checks the names and returns the index of the label column.
std::size_t labelColumn(const std::vector<std::string> &columns, const std::string &label,
                        const std::string &file)
{
    if (columns.size() < 2)
        fail(file, "needs a feature column and a label column; found "
                       + std::to_string(columns.size()) + " column");
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].empty())
            fail(file, "column " + std::to_string(i + 1) + " has no name");
        if (std::find(columns.begin(), columns.begin() + i, columns[i]) != columns.begin() + i)
            fail(file, "column \"" + columns[i] + "\" appears twice");
    }
    if (label.empty())
        return columns.size() - 1;
    const auto found = std::find(columns.begin(), columns.end(), label);
    if (found == columns.end())
        fail(file, "the label column \"" + label
                       + "\" is not in the file; its columns are: " + join(columns));
    return std::size_t(found - columns.begin());
}

/// The distinct labels, sorted: numerically when every one is a number, else as text.
std::vector<std::string> distinctLabels(std::vector<std::string> labels)
{
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    const bool numeric = std::all_of(labels.begin(), labels.end(), [](const std::string &l) {
        return parseNumber(l).has_value();
    });
    if (numeric)
        std::stable_sort(labels.begin(), labels.end(), [](const auto &a, const auto &b) {
            return *parseNumber(a) < *parseNumber(b);
        });
    return labels;
}

std::int64_t classIndex(const std::string &cell, std::int64_t classCount, const Row &row,
                        const std::string &column, const std::string &file)
{
    const auto value = parseNumber(cell);
    if (!value || *value != std::floor(*value) || *value < 0 || *value >= double(classCount))
        failCell(file, row.line, column,
                 "label \"" + cell + "\" is not a class index in [0, " + std::to_string(classCount)
                     + ") (the header names " + std::to_string(classCount) + " classes)");
    return std::int64_t(*value);
}

/// Appends one data row's features to `table` and returns its label cell.
std::string readDataRow(const Row &row, const std::vector<std::string> &columns,
                        std::size_t labelAt, CsvTable &table, const std::string &file)
{
    if (row.fields.size() != columns.size())
        fail(file, "line " + std::to_string(row.line) + " has " + std::to_string(row.fields.size())
                       + " fields; expected " + std::to_string(columns.size())
                       + ", one per column");
    std::string label;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const auto &cell = row.fields[i];
        if (isMissing(cell))
            failCell(file, row.line, columns[i],
                     cell.empty() ? "missing value (empty)" : "missing value \"" + cell + "\"");
        if (i == labelAt) {
            label = cell;
            continue;
        }
        const auto value = parseNumber(cell);
        if (!value)
            failCell(file, row.line, columns[i], "\"" + cell + "\" is not a number");
        table.features.push_back(*value);
    }
    return label;
}

} // namespace

CsvTable readCsvTable(const std::string &path, const CsvOptions &options)
{
    const auto rows = readRows(path, options.delimiter);
    if (rows.size() == 1)
        fail(path, "has a header but no data rows");
    const auto header = readHeader(rows[0], rows[1], options, path);
    const auto labelAt = labelColumn(header.columns, options.label, path);
    CsvTable table;
    for (std::size_t i = 0; i < header.columns.size(); ++i)
        if (i != labelAt)
            table.featureNames.push_back(header.columns[i]);
    table.labelName = header.columns[labelAt];
    const bool sklearn = options.header == HeaderKind::Sklearn;
    const auto classCount = std::int64_t(header.classNames.size());
    std::vector<std::string> labelCells;
    for (auto row = rows.begin() + 1; row != rows.end(); ++row) {
        auto cell = readDataRow(*row, header.columns, labelAt, table, path);
        if (sklearn)
            table.labels.push_back(classIndex(cell, classCount, *row, table.labelName, path));
        else
            labelCells.push_back(std::move(cell));
    }
    if (sklearn) {
        if (header.samples != table.rows())
            fail(path, "the header says " + std::to_string(header.samples)
                           + " samples, the file "
                             "has "
                           + std::to_string(table.rows()) + " data rows");
        table.classNames = header.classNames;
        return table;
    }
    table.classNames = distinctLabels(labelCells);
    std::map<std::string, std::int64_t> index;
    for (std::size_t i = 0; i < table.classNames.size(); ++i)
        index[table.classNames[i]] = std::int64_t(i);
    for (const auto &cell : labelCells)
        table.labels.push_back(index.at(cell));
    return table;
}

RowSplit splitRows(const std::vector<std::int64_t> &labels, std::int64_t classCount,
                   double testFraction, std::uint64_t seed, const std::string &file)
{
    std::vector<std::vector<std::int64_t>> byClass(
        std::size_t(std::max<std::int64_t>(classCount, 0)));
    for (std::size_t row = 0; row < labels.size(); ++row)
        byClass.at(std::size_t(labels[row])).push_back(std::int64_t(row));
    // Our own Fisher-Yates over mt19937_64 (whose output the standard fixes), not
    // std::shuffle (whose algorithm it does not): the same seed splits alike everywhere.
    std::mt19937_64 rng(seed);
    RowSplit split;
    for (auto &rows : byClass) {
        for (std::size_t i = rows.size(); i > 1; --i)
            std::swap(rows[i - 1], rows[std::size_t(rng() % i)]);
        const auto test = std::size_t(std::llround(double(rows.size()) * testFraction));
        split.test.insert(split.test.end(), rows.begin(), rows.begin() + std::ptrdiff_t(test));
        split.train.insert(split.train.end(), rows.begin() + std::ptrdiff_t(test), rows.end());
    }
    std::sort(split.train.begin(), split.train.end());
    std::sort(split.test.begin(), split.test.end());
    if (testFraction > 0.0 && (split.test.empty() || split.train.empty()))
        fail(file, "option test_fraction " + formatNumber(testFraction) + " leaves "
                       + (split.test.empty() ? "no test rows" : "no training rows") + " of "
                       + std::to_string(labels.size()));
    return split;
}

} // namespace lathe::csv