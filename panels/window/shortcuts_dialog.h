#pragma once

#include <QDialog>

class QMenuBar;
class QTableWidget;

namespace lathe::panels {

/// Help → Keyboard shortcuts: every action of the menu bar's menus (submenus included) with its
/// menu and its shortcuts, read from the actions themselves, so it cannot go stale. The table
/// is "shortcuts-table" (columns: menu, action, shortcut). GUI thread only.
class ShortcutsDialog : public QDialog
{
    Q_OBJECT

public:
    ShortcutsDialog(const QMenuBar *menus, QWidget *parent = nullptr);
};

} // namespace lathe::panels
