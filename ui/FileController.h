#pragma once
// Opening and saving for the studio: stacks (lazy TIFF or the demo), masks, references,
// models, sessions, recent files (QSettings), and the "unsaved edits" question on close.
// Errors are shown in a message box, or only recorded (lastError) when not interactive (tests).
// GUI thread only; does not own what it is given.
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

#include "core/base/Volume.h"
#include "core/labels/SliceStore.h"
#include "ui/Session.h"

class QMenu;
class QWidget;

namespace mitoseg::ui {

class StudioDocument;
class SliceView;
class LayerSettings;
class SegmentationController;

class FileController : public QObject {
    Q_OBJECT
public:
    FileController(StudioDocument* doc, SliceView* view, LayerSettings* layers, SegmentationController* seg,
                   QWidget* dialogParent);

    /// Message boxes and dialogs on (default) or off (errors only recorded).
    void setInteractive(bool on) { interactive_ = on; }
    QString lastError() const { return lastError_; }

    bool openStack(const QString& path);
    /// Opens the generated demo stack (core/demo) with its mitochondria as the reference.
    bool openDemo(std::int64_t depth = 48, std::int64_t height = 384, std::int64_t width = 512);
    /// Opens a mask in place of the current one; asks first (maybeSave) when it has unsaved edits.
    bool openMask(const QString& path);
    bool openReference(const QString& path);
    bool openModel(const QString& path);
    /// Loads the model shipped with Mitoseg (Segmenter::defaultModelPath); false when there is none.
    bool openShippedModel();
    /// Copies the model in use to `path` (atomically; an existing file is replaced). The model
    /// in use stays the same file.
    bool saveModelAs(const QString& path);
    /// Writes the mask as TIFF (atomic). Marks the document clean on success.
    bool saveMask(const QString& path);
    /// Writes the session (JSON) and, when there are predictions, predictionsPathFor(path).
    bool saveSession(const QString& path);
    /// Opens a session and restores its stored predictions (a damaged predictions file is
    /// reported; the session still opens).
    bool openSession(const QString& path);
    /// Where saveSession puts the predictions of a session saved as `sessionPath`.
    static QString predictionsPathFor(const QString& sessionPath);

    /// The current state as a session (files, view, edited slices). `sessionPath`: where it is
    /// being saved (empty: not to a file of the user's, e.g. the autosave).
    Session currentSession(const QString& sessionPath = {}) const;
    /// Opens the files of `session` (mask from `maskOverride` when given) and restores the view.
    /// `sessionPath`: the file it came from (empty: none); relative model paths in it are
    /// relative to that file's folder.
    bool applySession(const Session& session, labels::SliceStore* maskOverride = nullptr, const QString& sessionPath = {});
    /// Session state owned by other parts (the training rounds): `save` adds it to the session
    /// being built by currentSession (with the path it is saved to, may be empty), `load` reads
    /// it at the end of applySession.
    using SaveHook = std::function<void(Session&, const QString& sessionPath)>;
    using LoadHook = std::function<void(const Session&, const QString& sessionPath)>;
    void setSessionHooks(SaveHook save, LoadHook load)
    {
        saveHook_ = std::move(save);
        loadHook_ = std::move(load);
    }
    /// Restores only the view part (slice, zoom, pan, levels).
    void applyView(const Session& session);

    /// Sets levels from percentiles of the shown slice, or of the nearest readable slice (within
    /// 16) when it cannot be read; unchanged when none can.
    void autoLevels();

    /// Asks Save / Discard / Cancel when the mask has unsaved edits (`question` replaces "Save
    /// them before closing?"). True: go on (saved or discarded); false: cancelled or save failed.
    bool maybeSave(const QString& question = {});
    /// What maybeSave answers when not interactive (default: Discard).
    enum class Answer { Save, Discard, Cancel };
    void setNonInteractiveAnswer(Answer a) { answer_ = a; }

    QStringList recentFiles() const;
    /// Fills `menu` with the recent files (rebuilt when they change).
    void attachRecentMenu(QMenu* menu);

public Q_SLOTS:
    void openStackDialog();
    void openMaskDialog();
    void openReferenceDialog();
    void openModelDialog();
    void saveModelAsDialog();
    bool saveMaskDialog(bool saveAs = false);
    void saveSessionDialog();
    void openSessionDialog();

Q_SIGNALS:
    void message(const QString& text);
    void recentChanged();

private:
    bool fail(const QString& title, const QString& text);
    void addRecent(const QString& path);
    QString dialogDir() const;

    StudioDocument* doc_;
    SliceView* view_;
    LayerSettings* layers_;
    SegmentationController* seg_;
    QWidget* parent_;
    bool interactive_ = true;
    Answer answer_ = Answer::Discard;
    QString lastError_;
    SaveHook saveHook_;
    LoadHook loadHook_;
};

}  // namespace mitoseg::ui
