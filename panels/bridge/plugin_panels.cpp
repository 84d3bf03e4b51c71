#include "panels/bridge/plugin_panels.h"

#include "core/plugin/registry.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace lathe::panels {

namespace {

QString describe(const PluginPanel &panel)
{
    return QObject::tr("panel \"%1\" of plugin \"%2\"").arg(panel.name, panel.plugin);
}

QString exceptionText(std::exception_ptr error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return QObject::tr("an unknown exception");
    }
}

} // namespace

PluginPanels::PluginPanels(StoreClient &store, QObject *parent)
    : QObject(parent)
    , m_host(std::make_unique<PanelHost>(store))
{
    make();
    connect(m_host.get(), &PanelHost::updated, this, [this](qint64 runId) {
        if (runId == m_shown)
            showRun(runId);
    });
}

PluginPanels::~PluginPanels()
{
    // Each panel deletes its widget; the host outlives every panel (the SDK's promise).
    m_panels.clear();
    m_host.reset();
}

void PluginPanels::make()
{
    for (auto &entry : plugin::registry().panels()) {
        PluginPanel made;
        made.name = QString::fromStdString(entry.name);
        made.title = QString::fromStdString(entry.title);
        made.plugin = QString::fromStdString(entry.source);
        QString problem;
        try {
            made.panel = entry.factory(*m_host);
            if (!made.panel)
                problem = tr("its factory made no panel");
            else if (!(made.widget = made.panel->widget()))
                problem = tr("it has no widget");
        } catch (...) {
            problem = tr("its factory threw: %1").arg(exceptionText(std::current_exception()));
        }
        if (problem.isEmpty()) {
            m_panels.push_back(std::move(made));
            continue;
        }
        made.panel.reset();
        report(tr("The %1 could not be opened: %2").arg(describe(made), problem));
    }
}

void PluginPanels::report(const QString &message)
{
    spdlog::warn("{}", message.toStdString());
    m_failures << message;
}

void PluginPanels::setSelection(const RunSelection &selection)
{
    const std::int64_t runId = selection.watched != 0 ? selection.watched : -1;
    if (runId == m_shown)
        return;
    m_shown = runId;
    showRun(runId);
}

void PluginPanels::showRun(std::int64_t runId)
{
    for (auto &panel : m_panels) {
        try {
            panel.panel->showRun(runId);
        } catch (...) {
            if (panel.showRunFailed)
                continue;
            panel.showRunFailed = true;
            const auto message = tr("The %1 failed to show run %2: %3")
                                     .arg(describe(panel))
                                     .arg(runId)
                                     .arg(exceptionText(std::current_exception()));
            report(message);
            Q_EMIT failed(message);
        }
    }
}

} // namespace lathe::panels
