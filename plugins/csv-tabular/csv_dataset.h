// The csv reader's dataset: the rows of a CSV table as float32 samples [F,1,1] (F features), so
// Lathe's per-channel standardisation becomes per-feature standardisation.
#pragma once

#include "lathe/dataset.h"
#include "csv_reader.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe::csv {

/// Some rows of a CSV table held in memory. Its attributes are the feature columns, raw (not
/// standardised), float64 [N]. Implements the SDK's interface only (no Lathe symbol). Immutable
/// after construction, so every method is thread-safe.
class CsvDataset : public data::Dataset
{
public:
    /// The rows `rows` (indices into `table`, each in [0, table.rows())) of `table`;
    /// `description` is what description() returns.
    CsvDataset(const CsvTable &table, const std::vector<std::int64_t> &rows,
               std::string description);

    std::int64_t size() const override { return m_labels.size(0); }
    std::vector<std::int64_t> sampleShape() const override { return {m_features.size(1), 1, 1}; }
    const std::vector<std::string> &classNames() const override { return m_classNames; }
    torch::Tensor labels() const override { return m_labels; }
    /// The samples at `indices` as float32 [B,F,1,1], the table's values as they are.
    torch::Tensor images(const torch::Tensor &indices) const override;
    std::string description() const override { return m_description; }
    std::vector<std::string> attributeNames() const override { return m_featureNames; }
    torch::Tensor attribute(const std::string &name) const override;

private:
    std::vector<std::string> m_featureNames;
    std::vector<std::string> m_classNames;
    torch::Tensor m_raw;      ///< float64 [N, F]
    torch::Tensor m_features; ///< float32 [N, F, 1, 1]
    torch::Tensor m_labels;   ///< int64 [N]
    std::string m_description;
};

/// What the csv reader returns for `path` and `options` (data.path, data.options): the whole
/// table as train, or with test_fraction > 0 a seeded per-class split into train and test.
/// Throws std::runtime_error naming the file for bad options or a bad file (see readCsvTable).
sdk::DatasetSplits readCsvDataset(const sdk::DatasetArgs &args);

} // namespace lathe::csv
