#pragma once

#include <QDialog>
#include <QStringList>

class QLabel;
class QTableWidget;
class QTabWidget;
class QTreeWidget;

namespace lathe::panels {

/// Help → Plugins, two tabs: "Plugins", every plugin this process tried to load (name, version,
/// status, what it registers or why it was refused, path) and the folders searched; and
/// "Registered", every entry of the plugin registry by kind (dataset readers, models, metrics,
/// augmentations, schedules, panels) with its source (built-in or the plugin's name) and
/// description (a panel's: its title). Below them, the window's plugin panels that failed
/// (one line each; shown when there are any). Its parts are named "plugins-tabs",
/// "plugins-table", "registered" (one top-level item per kind in plugin::allKinds() order, its
/// data(0, Qt::UserRole) the kind's name, e.g. "metric", a child per entry with the columns
/// name, source, description) and "panel-problems". Read-only; GUI thread only.
class PluginsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit PluginsDialog(QWidget *parent = nullptr, const QStringList &panelProblems = {});

private:
    QWidget *createPluginsTab();
    QWidget *createRegisteredTab();

    QTabWidget *m_tabs = nullptr;
    QTableWidget *m_table = nullptr;
    QTreeWidget *m_registered = nullptr;
    QLabel *m_panelProblems = nullptr;
};

} // namespace lathe::panels
