#include "app/cli/Args.h"

#include <algorithm>
#include <cctype>
#include <charconv>

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

long long Args::integer(const std::string& name, long long fallback) const
{
    auto v = value(name);
    if (!v)
        return fallback;
    long long out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size())
        throw UsageError("option --" + name + " needs an integer, got '" + *v + "'");
    return out;
}

double Args::number(const std::string& name, double fallback) const
{
    auto v = value(name);
    if (!v)
        return fallback;
    try {
        std::size_t used = 0;
        double out = std::stod(*v, &used);
        if (used == v->size())
            return out;
    } catch (const std::exception&) {
    }
    throw UsageError("option --" + name + " needs a number, got '" + *v + "'");
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
            throw std::invalid_argument(text);
        std::size_t used = 0;
        long long a = std::stoll(text.substr(0, dash), &used);
        if (used != dash)
            throw std::invalid_argument(text);
        long long b = std::stoll(text.substr(dash + 1), &used);
        if (used != text.size() - dash - 1 || a < 0 || b < a)
            throw std::invalid_argument(text);
        return {a, b};
    } catch (const std::logic_error&) {
        throw UsageError("bad " + option + " '" + text + "' (expected A-B with A <= B, e.g. 133-164)");
    }
}

}  // namespace mitoseg::cli
