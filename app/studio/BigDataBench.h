#pragma once
// `mitoseg-studio --bench-bigdata STACK [--json]`: what a user does on a stack far larger than
// memory, offscreen, with figures. `mitoseg bench bigdata` calls exactly this interface; keep its
// JSON keys stable. GUI thread (needs a QApplication; no window is shown).
#include <QString>

namespace mitoseg::studio {

/// Opens `stack` in a StudioDocument with a SliceView (1024 x 768, offscreen), browses 100
/// slices spread over the stack, paints a stroke on each of several slices, undoes one, saves
/// the mask streamed to a temporary TIFF in $TMPDIR (removed afterwards) and checks it, and
/// prints the figures. With `json` the last stdout line is one JSON object with at least
/// peak_rss_mb, open_s, slice_change_ms_median, slice_change_ms_p99 and save_s. Returns the
/// exit code (1 when the stack cannot be opened or the saved mask is wrong).
int runBigDataBench(const QString& stack, bool json);

}  // namespace mitoseg::studio
