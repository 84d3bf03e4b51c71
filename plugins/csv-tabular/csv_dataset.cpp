#include "csv_dataset.h"

#include <filesystem>

namespace lathe::csv {

CsvDataset::CsvDataset(const CsvTable &table, const std::vector<std::int64_t> &rows,
                       std::string description)
    : m_featureNames(table.featureNames)
    , m_classNames(table.classNames)
    , m_description(std::move(description))
{
    const auto features = std::int64_t(table.featureNames.size());
    const auto all = torch::from_blob(const_cast<double *>(table.features.data()),
                                      {table.rows(), features}, torch::kFloat64);
    const auto labels = torch::from_blob(const_cast<std::int64_t *>(table.labels.data()),
                                         {table.rows()}, torch::kInt64);
    // from_blob borrows the table's memory: index_select copies what this dataset keeps.
    const auto index = torch::tensor(rows, torch::kInt64);
    m_raw = all.index_select(0, index).contiguous();
    m_features = m_raw.to(torch::kFloat32).reshape({-1, features, 1, 1}).contiguous();
    m_labels = labels.index_select(0, index).contiguous();
}

torch::Tensor CsvDataset::images(const torch::Tensor &indices) const
{
    return m_features.index_select(0, indices.to(torch::kInt64));
}

torch::Tensor CsvDataset::attribute(const std::string &name) const
{
    for (std::size_t i = 0; i < m_featureNames.size(); ++i)
        if (m_featureNames[i] == name)
            return m_raw.select(1, std::int64_t(i)).contiguous();
    return {};
}

namespace {

std::string describe(const std::string &path, const CsvTable &table, std::size_t rows,
                     const char *part)
{
    return "CSV " + std::filesystem::path(path).filename().string() + " (" + part
           + "): " + std::to_string(rows) + " rows of " + std::to_string(table.featureNames.size())
           + " features, label \"" + table.labelName + "\" with "
           + std::to_string(table.classNames.size()) + " classes";
}

} // namespace

sdk::DatasetSplits readCsvDataset(const sdk::DatasetArgs &args)
{
    const auto options = parseCsvOptions(args.options, args.path);
    const auto table = readCsvTable(args.path, options);
    if (options.testFraction <= 0.0) {
        std::vector<std::int64_t> rows(std::size_t(table.rows()));
        for (std::size_t i = 0; i < rows.size(); ++i)
            rows[i] = std::int64_t(i);
        return {std::make_shared<CsvDataset>(table, rows,
                                             describe(args.path, table, rows.size(), "all rows")),
                nullptr};
    }
    const auto split = splitRows(table.labels, std::int64_t(table.classNames.size()),
                                 options.testFraction, options.seed, args.path);
    return {std::make_shared<CsvDataset>(table, split.train,
                                         describe(args.path, table, split.train.size(), "train")),
            std::make_shared<CsvDataset>(table, split.test,
                                         describe(args.path, table, split.test.size(), "test"))};
}

} // namespace lathe::csv
