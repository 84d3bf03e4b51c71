#pragma once

#include "panels/bridge/panel_host.h"
#include "panels/bridge/run_selection.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QWidget>

#include <cstdint>
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
/// PanelHost of its StoreClient, shown the watched run of the window's selection (again when
/// the host's cache of it grows, for panels that do not poll). A factory that throws, or makes no
/// panel or no widget, is left out and listed in failures(); an exception from showRun() is caught,
/// logged and reported once per panel through failed(). Destroys the panels before the host. GUI
/// thread only.
class PluginPanels : public QObject
{
    Q_OBJECT

public:
    /// Makes one panel of each registered entry, in registry order, reading through `store`
    /// (which must outlive this object).
    explicit PluginPanels(StoreClient &store, QObject *parent = nullptr);
    ~PluginPanels() override;

    std::vector<PluginPanel> &panels() { return m_panels; }
    /// Why a panel could not be made or stopped working, one line each naming the panel and
    /// its plugin, in the order they happened.
    const QStringList &failures() const { return m_failures; }
    PanelHost &host() { return *m_host; }

public Q_SLOTS:
    /// Shows the watched run (none: -1 for the panels) in every panel.
    void setSelection(const lathe::panels::RunSelection &selection);

Q_SIGNALS:
    /// A panel failed after the window opened (its showRun threw); `message` names it.
    void failed(const QString &message);

private:
    void make();
    void showRun(std::int64_t runId);
    void report(const QString &message);

    std::unique_ptr<PanelHost> m_host;
    std::vector<PluginPanel> m_panels;
    QStringList m_failures;
    std::int64_t m_shown = -1;
};

} // namespace lathe::panels
