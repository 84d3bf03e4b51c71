#pragma once

#include "plugins/sdk/lathe/plugin.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lathe::track {
class RunStore;
}

namespace lathe::panels {

/// What plugin panels see of a window's experiment store (sdk::IPanelHost): one RunStore
/// connection of the GUI thread, opened on the first query. Each query is an indexed read;
/// metric() remembers how far it has read each series, so polling with the last step seen reads
/// only the rows added since. Never throws: a store failure gives an empty answer, is logged
/// once (until the next different failure) and kept in lastError(). GUI thread only (it may be
/// used on any one thread, but on one only).
class PanelHost final : public sdk::IPanelHost
{
public:
    /// A host over the store at `db` (nothing is opened yet).
    explicit PanelHost(std::filesystem::path db);
    ~PanelHost() override;

    PanelHost(const PanelHost &) = delete;
    PanelHost &operator=(const PanelHost &) = delete;

    std::vector<std::string> metricNames(std::int64_t runId) override;
    std::vector<sdk::MetricPoint> metric(std::int64_t runId, const std::string &metric,
                                         std::int64_t afterStep = -1) override;
    std::string runName(std::int64_t runId) override;

    /// The last store failure ("" when the last query succeeded).
    const std::string &lastError() const { return m_lastError; }

private:
    /// How far metric() has read one series: every row with id <= lastId has step <= maxStep.
    struct Cursor
    {
        std::int64_t lastId = 0;
        std::int64_t maxStep = -1;
    };

    track::RunStore *store();
    void fail(const std::string &message);

    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::map<std::pair<std::int64_t, std::string>, Cursor> m_cursors;
    std::string m_lastError;
};

} // namespace lathe::panels
