#pragma once

#include <QDialog>
#include <QStringList>

class QLabel;
class QTableWidget;

namespace lathe::panels {

/// Help → Plugins: every plugin this process tried to load (name, version, status, what it
/// registers or why it was refused, path), the folders searched, and the window's plugin panels
/// that failed (`panelProblems`, one line each; shown under the table when there are any).
/// Read-only; GUI thread only.
class PluginsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit PluginsDialog(QWidget *parent = nullptr, const QStringList &panelProblems = {});

    QTableWidget *table() const { return m_table; }
    /// The failed panels' lines; null when none failed.
    QLabel *panelProblems() const { return m_panelProblems; }

private:
    QTableWidget *m_table = nullptr;
    QLabel *m_panelProblems = nullptr;
};

} // namespace lathe::panels
