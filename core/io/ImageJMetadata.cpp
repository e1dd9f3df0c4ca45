#include "core/io/ImageJMetadata.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

std::string formatNumber(double v)
{
    std::ostringstream out;
    out.precision(17);
    out << v;
    return out.str();
}

std::string formatShort(double v)
{
    std::ostringstream out;
    out << v;
    return out.str();
}

std::map<std::string, std::string> parseKeyValues(const std::string& text)
{
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0)
            continue;
        out.emplace(line.substr(0, eq), line.substr(eq + 1));
    }
    return out;
}

/// The whole of `s` (blanks around it allowed) as a positive, finite number; nothing else
/// ("5abc", "5 nm", "1,5" are refused). from_chars, not strtod: the studio runs under the
/// user's locale, where strtod would read "0.03" as 0 with a comma decimal separator.
std::optional<double> positiveNumber(const std::string& s)
{
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos)
        return std::nullopt;
    const auto last = s.find_last_not_of(" \t");
    const char* begin = s.data() + first;
    const char* end = s.data() + last + 1;
    if (*begin == '+')
        ++begin;
    double v = 0;
    const auto [stop, ec] = std::from_chars(begin, end, v);
    if (ec != std::errc() || stop != end || !std::isfinite(v) || v <= 0)
        return std::nullopt;
    return v;
}

/// A resolution tag that is present must be a positive, finite number of pixels per unit.
double checkedResolution(const char* name, double r)
{
    if (!std::isfinite(r) || r <= 0)
        throw Error(std::string("the ") + name + " tag is " + formatShort(r) +
                    " pixels per unit; a calibrated stack needs a positive number (fix the metadata, e.g. in Fiji: "
                    "Image > Properties)");
    return r;
}

/// libtiff hands resolutions over as float: 1/0.2f is 4.9999999. Seven significant digits is
/// all a float holds, so round there.
double fromFloatResolution(double factor, double resolution)
{
    const double v = factor / resolution;
    if (!std::isfinite(v) || v < 1e-30 || v > 1e30)
        return std::isfinite(v) && v > 0 ? v : 1.0;
    const double scale = std::pow(10.0, 6 - static_cast<int>(std::floor(std::log10(v))));
    return std::round(v * scale) / scale;
}

}  // namespace

std::int64_t imageJImageCount(const std::string& description)
{
    if (description.rfind("ImageJ=", 0) != 0)
        return 0;
    auto kv = parseKeyValues(description);
    auto it = kv.find("images");
    if (it == kv.end())
        return 0;
    char* end = nullptr;
    const long long n = std::strtoll(it->second.c_str(), &end, 10);
    return end != it->second.c_str() && n > 0 ? n : 0;
}

std::string normaliseUnit(const std::string& unit)
{
    if (unit == "micron" || unit == "microns" || unit == "\\u00B5m" || unit == "\xC2\xB5m" || unit == "\xB5m" ||
        unit == "\xCE\xBCm")
        return "um";
    if (unit == "pixel" || unit == "pixels" || unit.empty() || unit == " ")
        return "px";
    if (unit == "nanometer" || unit == "nanometers")
        return "nm";
    return unit;
}

Spacing parseSpacing(const std::string& description, const ResolutionTags& tags)
{
    Spacing s;
    const bool imageJ = description.rfind("ImageJ=", 0) == 0;
    std::map<std::string, std::string> kv;
    if (imageJ)
        kv = parseKeyValues(description);

    std::string unit = "px";
    double factor = 1.0;  // converts 1/resolution into `unit`
    if (imageJ && kv.count("unit")) {
        unit = normaliseUnit(kv["unit"]);
    } else if (tags.unit && *tags.unit == 2) {
        unit = "um";
        factor = 25400.0;
    } else if (tags.unit && *tags.unit == 3) {
        unit = "um";
        factor = 10000.0;
    }
    if (unit == "px")
        return s;  // uncalibrated: ImageJ ignores the resolution too
    s.unit = unit;
    if (tags.xResolution)
        s.x = fromFloatResolution(factor, checkedResolution("XResolution", *tags.xResolution));
    if (tags.yResolution)
        s.y = fromFloatResolution(factor, checkedResolution("YResolution", *tags.yResolution));
    else
        s.y = s.x;
    if (imageJ && kv.count("spacing")) {
        const auto z = positiveNumber(kv["spacing"]);
        if (!z)
            throw Error("the ImageJ metadata gives spacing=" + kv["spacing"] +
                        "; the z voxel size must be a positive number (fix it, e.g. in Fiji: Image > Properties)");
        s.z = *z;
    }
    return s;
}

std::string imageJDescription(std::int64_t slices, const Spacing& spacing, std::optional<std::pair<double, double>> minMax)
{
    std::string d = "ImageJ=1.11a\n";
    if (slices > 1)
        d += "images=" + std::to_string(slices) + "\nslices=" + std::to_string(slices) + "\n";
    const std::string unit = normaliseUnit(spacing.unit);
    if (unit != "px") {
        d += "unit=" + unit + "\n";
        if (slices > 1)
            d += "spacing=" + formatNumber(spacing.z) + "\n";
    }
    if (slices > 1)
        d += "loop=false\n";
    if (minMax)
        d += "min=" + formatNumber(minMax->first) + "\nmax=" + formatNumber(minMax->second) + "\n";
    return d;
}

}  // namespace mitoseg
