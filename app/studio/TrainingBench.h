#pragma once
// `mitoseg-studio --bench`, training part: how responsive the GUI stays while the Training dock
// trains in the background. GUI thread.
#include <QString>

namespace mitoseg::studio {

/// Opens `stack` (empty: a generated 768x1024 demo stack) with `truth` in a studio window
/// (offscreen), labels every third slice from the reference, trains a `fast` U-Net from scratch
/// in the background for `seconds` while a user paints every 100 ms, and prints the event-loop
/// delay (lateness of a 10 ms timer: median, p99, max) with and without training, plus the
/// steps done. Returns the process exit code.
int runTrainingBench(const QString& stack, const QString& truth, double seconds);

}  // namespace mitoseg::studio
