#include "core/util/log.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <system_error>
#include <vector>

namespace lathe::util {

void setupLogging(const std::filesystem::path &logDir, const std::string &consoleLevel)
{
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(spdlog::level::from_str(consoleLevel));
    std::vector<spdlog::sink_ptr> sinks{console};

    std::string fileProblem;
    std::error_code ec;
    std::filesystem::create_directories(logDir, ec);
    if (ec) {
        fileProblem = "cannot create log directory " + logDir.string() + ": " + ec.message();
    } else {
        try {
            auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                (logDir / "lathe.log").string(), 5 * 1024 * 1024, 5);
            file->set_level(spdlog::level::debug);
            sinks.push_back(file);
        } catch (const spdlog::spdlog_ex &e) {
            fileProblem = e.what();
        }
    }
    auto logger = std::make_shared<spdlog::logger>("lathe", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    if (!fileProblem.empty())
        spdlog::warn("logging to the console only: {}", fileProblem);
}

} // namespace lathe::util
