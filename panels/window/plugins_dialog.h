#pragma once

#include <QDialog>

class QTableWidget;

namespace lathe::panels {

/// Help → Plugins: every plugin this process tried to load (name, version, status, what it
/// registers or why it was refused, path) and the folders searched. Read-only; GUI thread only.
class PluginsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit PluginsDialog(QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }

private:
    QTableWidget *m_table = nullptr;
};

} // namespace lathe::panels
