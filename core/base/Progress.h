#pragma once
// Progress reporting and cancellation for long jobs (loading, training, inference, meshing).
// Core never depends on Qt: the ui wraps a ProgressSink that forwards to queued signals.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace mitoseg {

/// Receives progress of a long job. Called on the worker thread that runs the job;
/// implementations must be cheap and thread-safe with respect to whoever reads them.
class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    /// `done` of `total` units finished; `message` says what is happening now.
    virtual void progress(double done, double total, const std::string& message) = 0;
};

/// A sink that drops everything (for callers that do not care).
class NullProgress final : public ProgressSink {
public:
    void progress(double, double, const std::string&) override {}
};

/// A sink that forwards to a callable.
class FunctionProgress final : public ProgressSink {
public:
    explicit FunctionProgress(std::function<void(double, double, const std::string&)> fn) : fn_(std::move(fn)) {}
    void progress(double done, double total, const std::string& message) override
    {
        if (fn_)
            fn_(done, total, message);
    }

private:
    std::function<void(double, double, const std::string&)> fn_;
};

/// Shared flag a job polls; any thread may call cancel(). Jobs throw mitoseg::Cancelled
/// (or return early, as documented on the job) once they see it.
class CancelToken {
public:
    void cancel() { flag_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
    /// Throws Cancelled when cancel() was called.
    void check() const;

private:
    std::atomic<bool> flag_{false};
};

/// Shared flag a long job checks between its steps to yield the cores to more urgent work
/// (the studio's training pauses while a "segment slice" runs, so the shown slice answers
/// first). Pauses nest: the job waits while any holder is left. Any thread; not copyable.
class PauseGate {
public:
    /// Pauses until resume() (call once per pause()).
    void pause();
    void resume();
    /// Pauses `gate` until the last copy of the returned handle dies (any thread), e.g. a handle
    /// carried by a job object across threads; the handle keeps the gate alive.
    static std::shared_ptr<void> hold(const std::shared_ptr<PauseGate>& gate);
    bool paused() const;
    /// True while a job sits in waitWhilePaused (it has really stopped).
    bool waiting() const;
    /// Called by the job between steps: blocks while paused, waking on resume or, at least
    /// every 20 ms, to see `cancel`. Returns the seconds it waited (0 when not paused).
    double waitWhilePaused(const CancelToken& cancel) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable wake_;
    int holds_ = 0;
    mutable int waiters_ = 0;
};

}  // namespace mitoseg
