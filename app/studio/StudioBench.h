#pragma once
// `mitoseg-studio --bench` and `--screenshot`. GUI thread.
#include <QString>

namespace mitoseg::ui {
class MainWindow;
}

namespace mitoseg::studio {

/// Measures (offscreen) the time to change slice with two overlays at a 1024x768 view and one
/// brush stamp including the IoU update; prints medians. `stack` empty: a generated 1024x768
/// stack. `truth` optional reference for `stack`. Returns the process exit code.
int runBench(const QString& stack, const QString& truth);

/// Lets the window settle, grabs it to `png`, returns the exit code (0 on success).
int takeScreenshot(mitoseg::ui::MainWindow& window, const QString& png);

}  // namespace mitoseg::studio
