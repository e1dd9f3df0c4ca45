#include "core/labels/ClassMatch.h"

#include <algorithm>
#include <cctype>

namespace mitoseg::labels {

namespace {
std::string key(const std::string& name)
{
    std::string k;
    for (unsigned char c : name)
        if (std::isalnum(c))
            k.push_back(static_cast<char>(std::tolower(c)));
    return k;
}
}  // namespace

bool sameClassName(const std::string& a, const std::string& b)
{
    const std::string ka = key(a), kb = key(b);
    if (ka.empty() || kb.empty())
        return false;
    if (ka == kb)
        return true;
    // A shared stem of at least 4 letters, with at most 2 letters of ending on the longer name.
    const std::size_t common = static_cast<std::size_t>(
        std::mismatch(ka.begin(), ka.begin() + static_cast<std::ptrdiff_t>(std::min(ka.size(), kb.size())), kb.begin()).first -
        ka.begin());
    // The endings must be letters ("class 1" and "class 2" are different classes).
    auto letters = [common](const std::string& k) {
        return std::all_of(k.begin() + static_cast<std::ptrdiff_t>(common), k.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
    };
    return common >= 4 && common + 2 >= std::max(ka.size(), kb.size()) && letters(ka) && letters(kb);
}

std::vector<int> matchClasses(const std::vector<std::string>& modelNames, const std::vector<std::string>& maskNames)
{
    std::vector<int> out(modelNames.size(), -1);
    std::vector<bool> taken(maskNames.size(), false);
    if (!out.empty()) {
        out[0] = 0;
        if (!taken.empty())
            taken[0] = true;
    }
    for (std::size_t i = 1; i < modelNames.size(); ++i)
        for (std::size_t j = 1; j < maskNames.size(); ++j)
            if (!taken[j] && sameClassName(modelNames[i], maskNames[j])) {
                out[i] = static_cast<int>(j);
                taken[j] = true;
                break;
            }
    return out;
}

}  // namespace mitoseg::labels
