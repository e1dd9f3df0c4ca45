#pragma once
// `mitoseg-studio --simulate-rounds N`: drives the Training dock as a user would, for screenshots
// and demonstrations. GUI thread.
namespace mitoseg::ui {
class MainWindow;
}

namespace mitoseg::studio {

/// Runs `rounds` retraining rounds of `seconds` each in `window`: each round jumps to the next
/// slice to correct, takes that slice's labels from the open reference (the user's correction),
/// retrains and waits until the stack is re-predicted. Needs a model, a reference and a
/// predicted stack. Prints one line per round; returns the process exit code.
int simulateRounds(ui::MainWindow& window, int rounds, double seconds);

}  // namespace mitoseg::studio
