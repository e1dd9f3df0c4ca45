#pragma once
// A progress line for long CLI jobs on stderr: a redrawn bar with ETA on a terminal, plain
// log lines (at most one per `minSeconds`) when stderr is redirected to a file. Header-only,
// used from the thread that runs the command.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace mitoseg::cli {

/// "1h02m", "3m05s", "12s".
inline std::string formatDuration(double s)
{
    if (!(s >= 0) || s > 1e7)
        return "?";
    long t = static_cast<long>(s + 0.5);
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%lds", t);
    return buf;
}

class TerminalProgress {
public:
    explicit TerminalProgress(std::string label, double minSeconds = 10.0)
        : label_(std::move(label)), tty_(isatty(2) != 0), minSeconds_(minSeconds), start_(Clock::now()), last_(start_)
    {
    }
    /// Shows `done` of `total` with `detail`; `eta` < 0 estimates from the elapsed time.
    /// `force` prints a log line even when one was printed recently.
    void update(double done, double total, const std::string& detail, double eta = -1, bool force = false)
    {
        auto now = Clock::now();
        double elapsed = std::chrono::duration<double>(now - start_).count();
        if (eta < 0)
            eta = done > 0 ? elapsed * (total - done) / done : -1;
        double frac = total > 0 ? done / total : 0;
        if (tty_) {
            if (!force && done < total && std::chrono::duration<double>(now - last_).count() < 0.2)
                return;
            const int width = 24;
            int filled = static_cast<int>(frac * width + 0.5);
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar.resize(width, '.');
            std::fprintf(stderr, "\r%s [%s] %3.0f%% %s  ETA %s   ", label_.c_str(), bar.c_str(), 100 * frac, detail.c_str(),
                         formatDuration(eta).c_str());
            if (done >= total)
                std::fputc('\n', stderr);
        } else {
            if (!force && done < total && std::chrono::duration<double>(now - last_).count() < minSeconds_)
                return;
            std::fprintf(stderr, "%s %.0f/%.0f %s elapsed %s ETA %s\n", label_.c_str(), done, total, detail.c_str(),
                         formatDuration(elapsed).c_str(), formatDuration(eta).c_str());
        }
        std::fflush(stderr);
        last_ = now;
    }
    /// Ends a redrawn line (so the next message starts on a new line).
    void finish()
    {
        if (tty_)
            std::fputc('\n', stderr);
    }

private:
    using Clock = std::chrono::steady_clock;
    std::string label_;
    bool tty_;
    double minSeconds_;
    Clock::time_point start_, last_;
};

}  // namespace mitoseg::cli
