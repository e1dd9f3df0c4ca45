#include "core/base/Progress.h"

#include <algorithm>
#include <chrono>

#include "core/base/Error.h"

namespace mitoseg {

void CancelToken::check() const
{
    if (cancelled())
        throw Cancelled();
}

void PauseGate::pause()
{
    std::lock_guard lock(mutex_);
    ++holds_;
}

void PauseGate::resume()
{
    {
        std::lock_guard lock(mutex_);
        holds_ = std::max(0, holds_ - 1);
    }
    wake_.notify_all();
}

std::shared_ptr<void> PauseGate::hold(const std::shared_ptr<PauseGate>& gate)
{
    gate->pause();
    return std::shared_ptr<void>(gate.get(), [keep = gate](void*) { keep->resume(); });
}

bool PauseGate::paused() const
{
    std::lock_guard lock(mutex_);
    return holds_ > 0;
}

bool PauseGate::waiting() const
{
    std::lock_guard lock(mutex_);
    return waiters_ > 0;
}

double PauseGate::waitWhilePaused(const CancelToken& cancel) const
{
    std::unique_lock lock(mutex_);
    if (holds_ == 0)
        return 0;
    const auto start = std::chrono::steady_clock::now();
    ++waiters_;
    while (holds_ > 0 && !cancel.cancelled())
        wake_.wait_for(lock, std::chrono::milliseconds(20));
    --waiters_;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace mitoseg
