#pragma once
// Autosave and crash recovery. While the studio runs, a lock file sits in the autosave folder;
// every N seconds, when the mask changed since the last autosave, the session and the mask
// (run-length encoded) are written there atomically. A clean exit removes lock and autosave.
// At start, an autosave next to a lock that was not removed means the last run crashed.
// GUI thread only; does not own the document.
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "core/base/Volume.h"
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
    /// True when a previous run crashed: it left an autosave and a lock whose process is gone
    /// (call before start()). A lock held by another running studio is not a crash.
    bool hasRecovery() const;
    /// True when another running studio holds the lock (this one then does not autosave).
    bool lockedByOther() const;
    /// Reads the autosaved session and mask. nullopt (and `error`) when unreadable.
    std::optional<std::pair<Session, VolumeU8>> recover(QString* error = nullptr) const;
    /// Takes the lock and starts the timer (`seconds` between checks). Returns false (and does
    /// not autosave) when another running studio holds the lock.
    bool start(int seconds = 60);
    /// Writes the autosave now (on the calling thread) if the mask changed since the last one.
    /// Returns true if written.
    bool saveNow();
    /// What the timer does: copies the mask and session on the GUI thread, then encodes and
    /// writes them on a background thread (skipped while the previous write still runs).
    /// Returns true when a write was started.
    bool saveInBackground();
    /// Clean shutdown: stops, removes lock and autosave files.
    void finish();
    /// Drops the autosave files (e.g. the user declined recovery).
    void discard();

    QString lockPath() const;
    QString sessionPath() const;
    QString maskPath() const;

private:
    void joinWriter();
    /// Process id written in the lock file, or 0 when there is none.
    qint64 lockOwner() const;

    StudioDocument* doc_;
    std::function<Session()> session_;
    QString folder_;
    QTimer timer_;
    bool pending_ = false;
    bool ownsLock_ = false;
    std::thread writer_;
    std::atomic<bool> writing_{false};
    std::atomic<bool> failed_{false};
};

/// Writes / reads the autosave mask format: "MSGMASK1", depth, height, width (int64 LE),
/// then (uint32 count, uint8 value) runs. Readers reject sizes not matching the runs.
bool writeMaskRle(const QString& path, const VolumeU8& mask, QString* error = nullptr);
std::optional<VolumeU8> readMaskRle(const QString& path, QString* error = nullptr);

}  // namespace mitoseg::ui
