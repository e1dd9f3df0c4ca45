#pragma once
// The studio's memory budget preference: how much its caches, label stores and jobs may hold
// (core's memoryBudget()). Kept in QSettings ("memory/budget", bytes). At start-up it applies
// unless `--memory-budget` or MITOSEG_MEMORY_BUDGET gave one (a deliberate override for one
// run wins over a saved habit). Edit ▸ Memory budget… changes it; stacks opened from then on
// size their caches by it. GUI thread.
#include <QString>

#include <cstdint>

class QWidget;

namespace mitoseg::ui {

class MemoryPreference {
public:
    enum class Source { CommandLine, Environment, Preference, Default };

    /// Applies the saved preference unless the command line or the environment set a budget;
    /// returns where the budget in force comes from.
    static Source applyAtStartup(bool fromCommandLine);
    /// The saved preference in bytes; 0 when none.
    static std::uint64_t saved();
    /// Parses `text` ("2G", "768M", "1.5G"; "default" or empty forgets the preference), saves
    /// and applies it. False with the reason in `error` for anything else or a budget under
    /// kMinimum. The environment variable, when set, still wins at the next start (said in
    /// `note`).
    static bool setFromText(const QString& text, QString* error, QString* note = nullptr);
    /// The dialog: shows the budget in force and where it comes from, asks, checks, saves.
    /// Returns true when the preference changed.
    static bool edit(QWidget* parent);
    /// "1.0 GiB (the default)", "2.0 GiB (this preference)", ...
    static QString describe();

    static constexpr std::uint64_t kMinimum = 128ull << 20;

private:
    static Source source_;
};

}  // namespace mitoseg::ui
