#pragma once
// `mitoseg-studio --first-run SECONDS`: the first run on the demo stack, measured through the
// Training dock's own code path (TrainingController: from scratch, the panel's settings). GUI
// thread.
#include <QString>

namespace mitoseg::studio {

/// Opens the generated demo stack (3 classes) in a studio window, labels its slices outside the
/// held-out last eighth from the demo's truth (as a user's corrections), trains a new network
/// from scratch in the Training dock for `seconds`, lets the studio re-predict the stack and
/// prints the per-class IoU on the held-out slices (mitochondria is the figure of merit).
/// With `screenshot`, saves the window then. Returns the process exit code.
int runFirstRun(double seconds, const QString& screenshot);

}  // namespace mitoseg::studio
