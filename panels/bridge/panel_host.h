#pragma once

#include "plugins/sdk/lathe/plugin.h"

#include <QElapsedTimer>
#include <QObject>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe::panels {

class StoreClient;

/// What plugin panels see of the window's experiment store (sdk::IPanelHost). The SDK's calls
/// are synchronous and come on the GUI thread, which never touches the store: they answer from
/// a cache (empty at first) and ask the window's StoreClient, off the GUI thread, for what is
/// newer; updated() says when it has landed. A run's name, metric names and the series panels
/// asked for are refreshed together, at most every kFreshMs while a panel keeps asking, each
/// series by the rows added since the last read (all of it again when a caller asks for steps
/// before the last cached one: a resumed run may have replaced them). Never throws: a store
/// failure leaves the cache as it was, is logged once (until the next different failure) and
/// kept in lastError(). GUI thread only.
class PanelHost final : public QObject, public sdk::IPanelHost
{
    Q_OBJECT

public:
    /// How old a cached run may be before a query asks the store again, in ms.
    static constexpr int kFreshMs = 200;

    /// A host reading through `store`, which must outlive it.
    explicit PanelHost(StoreClient &store, QObject *parent = nullptr);
    ~PanelHost() override;

    PanelHost(const PanelHost &) = delete;
    PanelHost &operator=(const PanelHost &) = delete;

    std::vector<std::string> metricNames(std::int64_t runId) override;
    std::vector<sdk::MetricPoint> metric(std::int64_t runId, const std::string &metric,
                                         std::int64_t afterStep = -1) override;
    std::string runName(std::int64_t runId) override;

    /// The last store failure ("" when the last read succeeded).
    const std::string &lastError() const { return m_lastError; }

Q_SIGNALS:
    /// Newer names, metric names or rows of run `runId` are in the cache.
    void updated(qint64 runId);

private:
    /// One series as read so far: every stored row with id <= lastId, in step order.
    struct Series
    {
        std::int64_t lastId = 0;
        std::vector<sdk::MetricPoint> points;
        bool reread = false; ///< read it from its start next time
    };
    /// What one refresh of a run read (defined in the .cpp).
    struct Fetched;
    /// A run as cached.
    struct Run
    {
        bool loaded = false; ///< read once at least: name and metrics are the store's
        std::string name;    ///< empty when the store has no such run
        std::vector<std::string> metrics;
        std::map<std::string, Series> series; ///< the series panels asked for
        bool inFlight = false;
        bool again = false; ///< asked for something new while a read was in flight
        QElapsedTimer age;  ///< since the last read landed
    };

    Run &touch(std::int64_t runId, bool force);
    void fetch(std::int64_t runId);
    void apply(std::int64_t runId, Fetched fetched);
    void fail(const std::string &message);

    StoreClient &m_store;
    std::map<std::int64_t, Run> m_runs;
    std::string m_lastError;
};

} // namespace lathe::panels
