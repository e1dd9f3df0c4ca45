#pragma once
// The studio's main window (placeholder until the studio lands).
#include <QMainWindow>

namespace mitoseg::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace mitoseg::ui
