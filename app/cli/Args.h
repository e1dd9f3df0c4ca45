#pragma once
// Minimal command-line parsing for `mitoseg` sub-commands: positionals, `--flag`,
// `--name VALUE` and `--name=VALUE`. Unknown options are an error (UsageError).
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mitoseg::cli {

/// Wrong use of the command line; main prints it with the command's usage and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Args {
public:
    /// `args` are the words after the sub-command name. `valueOptions` names options that take a
    /// value (without leading dashes); every other `--x` is a boolean flag.
    Args(const std::vector<std::string>& args, const std::vector<std::string>& valueOptions,
         const std::vector<std::string>& flags);

    bool flag(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::string value(const std::string& name, const std::string& fallback) const;
    long long integer(const std::string& name, long long fallback) const;
    double number(const std::string& name, double fallback) const;
    const std::vector<std::string>& positionals() const { return positionals_; }
    /// Throws UsageError unless there are between `min` and `max` positionals.
    void expectPositionals(std::size_t min, std::size_t max) const;

private:
    std::map<std::string, std::string> values_;
    std::map<std::string, bool> flags_;
    std::vector<std::string> positionals_;
};

/// Parses an inclusive slice range "A-B" (0 <= A <= B); throws UsageError naming `option`.
std::pair<std::int64_t, std::int64_t> parseRange(const std::string& text, const std::string& option);

}  // namespace mitoseg::cli
