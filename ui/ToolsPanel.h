#pragma once
// Dock panel with the editing tools (buttons for the EditTools actions), brush size, the class
// to paint, and buttons for the prediction actions it is given. GUI thread only.
#include <QList>
#include <QWidget>

class QAction;

namespace mitoseg::ui {

class EditTools;
class StudioDocument;

class ToolsPanel : public QWidget {
    Q_OBJECT
public:
    /// `predictionActions` (segment / accept) get one button each, in order.
    ToolsPanel(EditTools* tools, StudioDocument* doc, const QList<QAction*>& predictionActions, QWidget* parent = nullptr);
};

}  // namespace mitoseg::ui
