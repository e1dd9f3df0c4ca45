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
    /// The value of --name as an integer in [min, max], or `fallback` when the option is absent.
    /// Throws UsageError naming the option and the range on anything else (trailing
    /// characters, a fraction, a value that does not fit, e.g. 4294967297 for a slice count).
    long long integer(const std::string& name, long long fallback, long long min, long long max) const;
    /// The value of --name as a finite number in [min, max], or `fallback` when absent. NaN,
    /// infinities, trailing characters and out-of-range values are a UsageError.
    double number(const std::string& name, double fallback, double min, double max) const;
    const std::vector<std::string>& positionals() const { return positionals_; }
    /// Throws UsageError unless there are between `min` and `max` positionals.
    void expectPositionals(std::size_t min, std::size_t max) const;

private:
    std::map<std::string, std::string> values_;
    std::map<std::string, bool> flags_;
    std::vector<std::string> positionals_;
};

/// The one strict integer parser behind every numeric option: the whole of `text` must be a
/// decimal integer in [min, max]. Throws UsageError naming `what` (e.g. "option --threads").
long long parseInteger(const std::string& text, const std::string& what, long long min, long long max);
/// The one strict number parser: the whole of `text` must be a finite decimal number in
/// [min, max] ("1e-3" and "5" are fine; "nan", "inf", "1,5" and "" are not).
double parseNumber(const std::string& text, const std::string& what, double min, double max);
/// "a,b,,c" -> {"a", "b", "", "c"}: every item of a comma-separated option value, empty ones
/// kept for the caller to refuse ("" gives one empty item).
std::vector<std::string> splitCommas(const std::string& list);
/// A comma-separated list of exactly `count` numbers, each checked as parseNumber does.
std::vector<double> parseNumberList(const std::string& text, std::size_t count, const std::string& what, double min,
                                    double max);

/// Parses an inclusive slice range "A-B" (0 <= A <= B); throws UsageError naming `option`.
std::pair<std::int64_t, std::int64_t> parseRange(const std::string& text, const std::string& option);

}  // namespace mitoseg::cli
