#pragma once

#include <spdlog/sinks/base_sink.h>

#include <QString>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace lathe::panels {

/// One formatted log line with its level.
struct LogEntry
{
    int level = 0; ///< spdlog::level::level_enum
    QString text;
};

/// An spdlog sink that keeps the latest lines in memory for the Log panel. Any thread may log;
/// the panel takes new lines with takeNew() from the GUI thread. Bounded: the oldest lines are
/// dropped past kCapacity. Thread-safe.
class LogSink : public spdlog::sinks::base_sink<std::mutex>
{
public:
    static constexpr std::size_t kCapacity = 10000;

    /// The sink every Log panel reads; install() adds it to the default logger once.
    static std::shared_ptr<LogSink> instance();
    /// Adds instance() to spdlog's default logger (idempotent). Call after setupLogging().
    static void install();

    /// Lines logged since the previous call, oldest first.
    std::vector<LogEntry> takeNew();

protected:
    void sink_it_(const spdlog::details::log_msg &message) override;
    void flush_() override {}

private:
    std::deque<LogEntry> m_new; // guarded by the base class's mutex
};

} // namespace lathe::panels
