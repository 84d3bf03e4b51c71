#include "panels/log/log_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lathe::panels {

std::shared_ptr<LogSink> LogSink::instance()
{
    static const auto sink = [] {
        auto s = std::make_shared<LogSink>();
        s->set_pattern("%H:%M:%S.%e %l %v");
        return s;
    }();
    return sink;
}

void LogSink::install()
{
    auto logger = spdlog::default_logger();
    auto &sinks = logger->sinks();
    if (std::find(sinks.begin(), sinks.end(), instance()) == sinks.end())
        sinks.push_back(instance());
}

void LogSink::sink_it_(const spdlog::details::log_msg &message)
{
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    QString text = QString::fromUtf8(formatted.data(), qsizetype(formatted.size())).trimmed();
    m_new.push_back({int(message.level), std::move(text)});
    if (m_new.size() > kCapacity)
        m_new.pop_front();
}

std::vector<LogEntry> LogSink::takeNew()
{
    std::lock_guard lock(mutex_);
    std::vector<LogEntry> out(std::make_move_iterator(m_new.begin()),
                              std::make_move_iterator(m_new.end()));
    m_new.clear();
    return out;
}

} // namespace lathe::panels
