#include "ui/MainWindow.h"

namespace mitoseg::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Mitoseg Studio"));
}

}  // namespace mitoseg::ui
