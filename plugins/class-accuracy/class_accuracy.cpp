// class-accuracy: a sample panel plugin. It docks "Per-class accuracy", which plots the
// validation recall of every class of the selected (or training) run over its steps: the
// val/per-class-accuracy/<class> metrics a run records when its config lists
// "metrics": [{"name": "per-class-accuracy"}]. It needs Qt Widgets and the SDK header only.
#include "class_accuracy_view.h"

#include "lathe/plugin.h"

#include <QPointer>

#include <memory>

LATHE_PLUGIN("class-accuracy", "1.0")

namespace class_accuracy {

namespace {

/// The panel Lathe docks: the view, deleted with the panel (unless its dock went first).
class ClassAccuracyPanel final : public lathe::sdk::IPanel
{
public:
    explicit ClassAccuracyPanel(lathe::sdk::IPanelHost &host)
        : m_view(new ClassAccuracyView(host))
    {
    }
    ~ClassAccuracyPanel() override { delete m_view.data(); }

    QWidget *widget() override { return m_view.data(); }
    void showRun(std::int64_t runId) override
    {
        if (m_view)
            m_view->showRun(runId);
    }

private:
    QPointer<ClassAccuracyView> m_view;
};

} // namespace

} // namespace class_accuracy

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    registry->addPanel("class-accuracy", "Per-class accuracy",
                       [](lathe::sdk::IPanelHost &host) -> std::unique_ptr<lathe::sdk::IPanel> {
                           return std::make_unique<class_accuracy::ClassAccuracyPanel>(host);
                       });
    return 0;
}
