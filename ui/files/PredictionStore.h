#pragma once
// The predictions of a studio document saved beside its session, so reopening the session does
// not mean segmenting again (15 min on the EPFL stack). Per predicted slice: P(foreground) as
// 0..255 and, for multi-class slices, the labels; each slice zlib-compressed. Written to a temp
// file that is renamed over the target (QSaveFile), read back with every size checked.
// GUI thread (it reads and writes the document); a few seconds for a 165-slice EPFL stack.
#include <QString>

namespace mitoseg::ui {

class StudioDocument;

class PredictionStore {
public:
    /// Writes every prediction of `doc` to `path` atomically. False (and `error`) on failure;
    /// true without writing anything when there is no prediction.
    static bool save(const StudioDocument& doc, const QString& path, QString* error = nullptr);
    /// Restores the predictions in `path` into `doc` (whose stack must have the stored shape).
    /// Returns the number of slices restored, or -1 (and `error`) when the file is not such a
    /// store, is damaged or does not fit the stack; then the document is left unchanged.
    static int load(StudioDocument& doc, const QString& path, QString* error = nullptr);
};

}  // namespace mitoseg::ui
