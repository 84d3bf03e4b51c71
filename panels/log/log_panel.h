#pragma once

#include "panels/log/log_sink.h"

#include <QTimer>
#include <QWidget>

#include <deque>

class QComboBox;
class QPlainTextEdit;

namespace lathe::panels {

/// Shows spdlog's lines (from LogSink) with a minimum-level filter; newest at the bottom.
/// Polls the sink five times a second. GUI thread only.
class LogPanel : public QWidget
{
    Q_OBJECT

public:
    explicit LogPanel(QWidget *parent = nullptr);

    /// Lines shown at this level and above (spdlog::level::level_enum).
    void setMinimumLevel(int level);
    int minimumLevel() const { return m_minLevel; }
    /// Reads new lines from the sink now.
    void poll();
    /// The text shown (for tests).
    QString text() const;

private:
    void rebuild();

    QComboBox *m_level = nullptr;
    QPlainTextEdit *m_view = nullptr;
    QTimer m_timer;
    std::deque<LogEntry> m_entries; ///< everything kept, whatever the filter
    int m_minLevel = 2;             ///< info
};

} // namespace lathe::panels
