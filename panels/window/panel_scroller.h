#pragma once

#include <QScrollArea>

namespace lathe::panels {

/// A dock's content: the panel fills the dock, and the dock scrolls only where it is smaller
/// than the panel's minimum size, so a panel's minimum never pushes the window beyond a small
/// screen. (A plain widget-resizable QScrollArea sizes a panel with word-wrapped text to its
/// preferred height and scrolls even when the dock could hold the panel.) Named
/// "<panel's object name>-scroll". GUI thread only.
class PanelScroller : public QScrollArea
{
    Q_OBJECT

public:
    explicit PanelScroller(QWidget *panel, QWidget *parent = nullptr);
};

} // namespace lathe::panels
