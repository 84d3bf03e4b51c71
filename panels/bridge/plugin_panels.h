#pragma once

#include "panels/bridge/panel_host.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace lathe::panels {

/// One plugin panel made for a window: what the registry says of it, and the panel itself.
struct PluginPanel
{
    QString name;   ///< the registered name ("class-accuracy")
    QString title;  ///< its dock title
    QString plugin; ///< the plugin that registered it
    std::unique_ptr<sdk::IPanel> panel;
    QPointer<QWidget> widget; ///< panel->widget(), checked non-null when made
    bool showRunFailed = false;
};

/// The panels plugins registered (plugin::registry().panels()), made for one window over a
/// PanelHost of its store. A factory that throws, or makes no panel or no widget, is left out
/// and listed in failures(); an exception from showRun() is caught, logged and reported once per
/// panel through failed(). Destroys the panels before the host. GUI thread only.
class PluginPanels : public QObject
{
    Q_OBJECT

public:
    /// Makes one panel of each registered entry, in registry order, over the store at `db`.
    explicit PluginPanels(std::filesystem::path db, QObject *parent = nullptr);
    ~PluginPanels() override;

    std::vector<PluginPanel> &panels() { return m_panels; }
    /// Why a panel could not be made or stopped working, one line each naming the panel and
    /// its plugin, in the order they happened.
    const QStringList &failures() const { return m_failures; }
    PanelHost &host() { return *m_host; }

public Q_SLOTS:
    /// Shows run `runId` (-1 = none) in every panel.
    void showRun(std::int64_t runId);

Q_SIGNALS:
    /// A panel failed after the window opened (its showRun threw); `message` names it.
    void failed(const QString &message);

private:
    void make();
    void report(const QString &message);

    std::unique_ptr<PanelHost> m_host;
    std::vector<PluginPanel> m_panels;
    QStringList m_failures;
};

} // namespace lathe::panels
