#pragma once

#include "core/data/dataset.h"
#include "panels/bridge/dataset_source.h"

#include <torch/torch.h>

#include <chrono>
#include <memory>

namespace lathe::panels {

/// The loaded dataset as the workers see it (private to DatasetSource's sources).
struct DatasetSource::State
{
    std::shared_ptr<const data::Dataset> dataset;
    torch::Tensor raw;      ///< uint8 [N,C,H,W] contiguous, or undefined
    torch::Tensor features; ///< float64 [N,C] contiguous for a tabular dataset, or undefined
    int channels = 0, height = 0, width = 0;
};

/// Lets a worker report progress at most ~30 times a second (always the last step).
class ProgressThrottle
{
public:
    bool due(qint64 done, qint64 total)
    {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - m_last < std::chrono::milliseconds(33))
            return false;
        m_last = now;
        return true;
    }

private:
    std::chrono::steady_clock::time_point m_last{};
};

} // namespace lathe::panels
