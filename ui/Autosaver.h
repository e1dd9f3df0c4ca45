#pragma once
// Autosave and crash recovery. While the studio runs it holds an exclusive lock (flock) on
// studio.lock in the autosave folder; every N seconds, when the mask changed since the last
// autosave, the session and the mask (run-length encoded) are written there atomically. A clean
// exit removes the autosave and releases the lock. The kernel releases the lock of a process
// that dies, so at start an autosave with no one holding the lock means the last run crashed,
// whatever process id the lock file names (process ids get reused). GUI thread only; does not
// own the document.
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "core/base/Volume.h"
#include "core/labels/SliceStore.h"
#include "ui/Session.h"

namespace mitoseg::ui {

class StudioDocument;

class Autosaver : public QObject {
    Q_OBJECT
public:
    /// `folder` empty: the per-user data folder (QStandardPaths::AppLocalDataLocation)/autosave.
    /// `session` returns the current session (file names and view) when saving.
    Autosaver(StudioDocument* doc, std::function<Session()> session, QString folder = {}, QObject* parent = nullptr);
    ~Autosaver() override;

    QString folder() const { return folder_; }
    /// True when a previous run crashed: it left an autosave and no running studio holds the
    /// lock (call before start()). An autosave of another running studio is not a crash.
    bool hasRecovery() const;
    /// True when another running studio holds the lock (this one then does not autosave).
    bool lockedByOther() const;
    /// True while this studio autosaves (start() took the lock and finish() was not called).
    bool isActive() const { return lockFd_ >= 0; }
    /// Why this studio does not autosave (empty while it does, or before start()): another
    /// studio holds the lock, or the folder or lock file cannot be used. Names the folder.
    QString offReason() const { return offReason_; }
    /// Reads the autosaved session and mask. nullopt (and `error`) when unreadable.
    std::optional<std::pair<Session, labels::SliceStore>> recover(QString* error = nullptr) const;
    /// Takes the lock and starts the timer (`seconds` between checks). Returns false (and does
    /// not autosave; offReason() says why) when another running studio holds the lock or the
    /// lock cannot be taken. Emits stateChanged.
    bool start(int seconds = 60);
    /// Writes the autosave now (on the calling thread) if the mask changed since the last one.
    /// Returns true if written.
    bool saveNow();
    /// What the timer does: copies the mask and session on the GUI thread, then encodes and
    /// writes them on a background thread (skipped while the previous write still runs).
    /// Returns true when a write was started.
    bool saveInBackground();
    /// Clean shutdown: stops, removes the autosave files and releases the lock (the lock file
    /// itself stays: removing it could let two studios lock two different files).
    void finish();
    /// Drops the autosave files (e.g. the user declined recovery).
    void discard();

    QString lockPath() const;
    QString sessionPath() const;
    QString maskPath() const;

Q_SIGNALS:
    /// isActive() or offReason() changed, or a background write failed (`error`) or worked
    /// again after failing (empty `error`).
    void stateChanged(const QString& error);

private:
    void joinWriter();
    void releaseLock();

    StudioDocument* doc_;
    std::function<Session()> session_;
    QString folder_;
    QTimer timer_;
    bool pending_ = false;
    int lockFd_ = -1;          ///< open and flock()ed while this studio holds the lock
    QString offReason_;
    QString writeError_;       ///< last background write error (GUI thread copy)
    std::thread writer_;
    std::atomic<bool> writing_{false};
    std::atomic<bool> failed_{false};
    std::mutex errorMutex_;
    QString threadError_;      ///< the background writer's error (under errorMutex_)
};

/// Writes / reads the autosave mask format: "MSGMASK1", depth, height, width (int64 LE),
/// then (uint32 count, uint8 value) runs. Readers reject sizes not matching the runs.
/// The snapshot form streams slice by slice (any thread), so no copy of the volume is made.
bool writeMaskRle(const QString& path, const labels::SliceSnapshot& mask, QString* error = nullptr);
bool writeMaskRle(const QString& path, const VolumeU8& mask, QString* error = nullptr);
/// Reads slice by slice into a store (the volume is never in memory whole).
std::optional<labels::SliceStore> readMaskRleStore(const QString& path, QString* error = nullptr);
std::optional<VolumeU8> readMaskRle(const QString& path, QString* error = nullptr);

}  // namespace mitoseg::ui
