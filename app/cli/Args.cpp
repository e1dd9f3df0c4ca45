#include "app/cli/Args.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace mitoseg::cli {

Args::Args(const std::vector<std::string>& args, const std::vector<std::string>& valueOptions,
           const std::vector<std::string>& flags)
{
    auto isValue = [&](const std::string& n) { return std::find(valueOptions.begin(), valueOptions.end(), n) != valueOptions.end(); };
    auto isFlag = [&](const std::string& n) { return std::find(flags.begin(), flags.end(), n) != flags.end(); };
    bool onlyPositionals = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (onlyPositionals || a.size() < 2 || a.rfind("--", 0) != 0) {
            if (!onlyPositionals && a.size() >= 2 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])))
                throw UsageError("unknown option '" + a + "'");
            positionals_.push_back(a);
            continue;
        }
        if (a == "--") {
            onlyPositionals = true;
            continue;
        }
        std::string name = a.substr(2);
        std::optional<std::string> inlineValue;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (isValue(name)) {
            if (inlineValue) {
                values_[name] = *inlineValue;
            } else {
                if (i + 1 >= args.size())
                    throw UsageError("option --" + name + " needs a value");
                values_[name] = args[++i];
            }
        } else if (isFlag(name)) {
            if (inlineValue)
                throw UsageError("option --" + name + " takes no value");
            flags_[name] = true;
        } else {
            throw UsageError("unknown option '--" + name + "'");
        }
    }
}

bool Args::flag(const std::string& name) const { return flags_.count(name) != 0; }

std::optional<std::string> Args::value(const std::string& name) const
{
    auto it = values_.find(name);
    if (it == values_.end())
        return std::nullopt;
    return it->second;
}

std::string Args::value(const std::string& name, const std::string& fallback) const
{
    return value(name).value_or(fallback);
}

long long parseInteger(const std::string& text, const std::string& what, long long min, long long max)
{
    long long out = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    if (ec == std::errc() && p == end && !text.empty() && out >= min && out <= max)
        return out;
    std::string range = max == std::numeric_limits<long long>::max() ? "at least " + std::to_string(min)
                                                                      : "in " + std::to_string(min) + ".." + std::to_string(max);
    throw UsageError(what + " needs an integer " + range + ", got '" + text + "'");
}

double parseNumber(const std::string& text, const std::string& what, double min, double max)
{
    double out = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    if (ec == std::errc() && p == end && !text.empty() && std::isfinite(out) && out >= min && out <= max)
        return out;
    std::ostringstream range;
    range << "a finite number";
    if (max == std::numeric_limits<double>::max())
        range << " >= " << min;
    else
        range << " in [" << min << ", " << max << "]";
    throw UsageError(what + " needs " + range.str() + ", got '" + text + "'");
}

std::vector<std::string> splitCommas(const std::string& list)
{
    std::vector<std::string> items;
    for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        items.push_back(list.substr(at, comma - at));
        at = comma + 1;
    }
    return items;
}

std::vector<double> parseNumberList(const std::string& text, std::size_t count, const std::string& what, double min,
                                    double max)
{
    std::vector<double> out;
    for (const std::string& item : splitCommas(text))
        out.push_back(parseNumber(item, what, min, max));
    if (out.size() != count)
        throw UsageError(what + " needs " + std::to_string(count) + " comma-separated numbers, got '" + text + "'");
    return out;
}

long long Args::integer(const std::string& name, long long fallback, long long min, long long max) const
{
    auto v = value(name);
    return v ? parseInteger(*v, "option --" + name, min, max) : fallback;
}

double Args::number(const std::string& name, double fallback, double min, double max) const
{
    auto v = value(name);
    return v ? parseNumber(*v, "option --" + name, min, max) : fallback;
}

void Args::expectPositionals(std::size_t min, std::size_t max) const
{
    if (positionals_.size() < min)
        throw UsageError("missing argument");
    if (positionals_.size() > max)
        throw UsageError("unexpected argument '" + positionals_[max] + "'");
}

std::pair<std::int64_t, std::int64_t> parseRange(const std::string& text, const std::string& option)
{
    auto dash = text.find('-');
    try {
        if (dash == std::string::npos || dash == 0)
            throw UsageError(text);
        const long long a = parseInteger(text.substr(0, dash), option, 0, std::numeric_limits<std::int32_t>::max());
        const long long b = parseInteger(text.substr(dash + 1), option, 0, std::numeric_limits<std::int32_t>::max());
        if (b < a)
            throw UsageError(text);
        return {a, b};
    } catch (const UsageError&) {
        throw UsageError("bad " + option + " '" + text + "' (expected A-B with A <= B, e.g. 133-164)");
    }
}

}  // namespace mitoseg::cli
