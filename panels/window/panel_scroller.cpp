#include "panels/window/panel_scroller.h"

#include <QEvent>

namespace lathe::panels {

namespace {

/// Holds the panel without a layout, so the scroll area sees no height-for-width: its minimum
/// is the panel's minimum, and the panel always fills it.
class Holder : public QWidget
{
public:
    explicit Holder(QWidget *panel)
        : m_panel(panel)
    {
        panel->setParent(this);
        panel->installEventFilter(this);
    }

    QSize minimumSizeHint() const override { return m_panel->minimumSizeHint(); }
    QSize sizeHint() const override { return m_panel->sizeHint(); }

protected:
    void resizeEvent(QResizeEvent *) override { m_panel->setGeometry(rect()); }

    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_panel && event->type() == QEvent::LayoutRequest)
            updateGeometry(); // the panel's minimum may have changed
        return false;
    }

private:
    QWidget *m_panel;
};

} // namespace

PanelScroller::PanelScroller(QWidget *panel, QWidget *parent)
    : QScrollArea(parent)
{
    setObjectName(panel->objectName() + "-scroll");
    setFrameShape(QFrame::NoFrame);
    setWidgetResizable(true);
    setWidget(new Holder(panel));
}

} // namespace lathe::panels
