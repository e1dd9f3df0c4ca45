#include "core/engine/Json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error("JSON: " + what); }

/// Deepest nesting a parsed document may have (model headers need 3): bounds what a hostile
/// file can make the converter below recurse through.
constexpr int kMaxDepth = 32;
/// Longest text parse() accepts (model headers are a few kB).
constexpr std::size_t kMaxText = std::size_t{16} << 20;

Json fromLibrary(const nlohmann::json& j)
{
    switch (j.type()) {
    case nlohmann::json::value_t::null: return Json();
    case nlohmann::json::value_t::boolean: return Json(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: {
        const double d = j.get<double>();
        if (!std::isfinite(d))
            fail("number out of range");
        return Json(d);
    }
    case nlohmann::json::value_t::string: return Json(j.get<std::string>());
    case nlohmann::json::value_t::array: {
        Json a = Json::array();
        for (const auto& v : j)
            a.push(fromLibrary(v));
        return a;
    }
    case nlohmann::json::value_t::object: {
        Json o = Json::object();
        for (const auto& [k, v] : j.items())
            o[k] = fromLibrary(v);
        return o;
    }
    default: fail("unsupported value");
    }
}

nlohmann::json toLibrary(const Json& j)
{
    switch (j.type()) {
    case Json::Type::Null: return nullptr;
    case Json::Type::Bool: return j.boolean();
    case Json::Type::Number: {
        // Whole numbers are written without a fraction ("3", not "3.0").
        const double d = j.number();
        if (std::nearbyint(d) == d && std::fabs(d) < 9e15)
            return static_cast<std::int64_t>(d);
        return d;
    }
    case Json::Type::String: return j.string();
    case Json::Type::Array: {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& v : j.items())
            a.push_back(toLibrary(v));
        return a;
    }
    case Json::Type::Object: {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& [k, v] : j.members())
            o[k] = toLibrary(v);
        return o;
    }
    }
    return nullptr;
}

const char* typeName(Json::Type t)
{
    switch (t) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool: return "bool";
    case Json::Type::Number: return "number";
    case Json::Type::String: return "string";
    case Json::Type::Array: return "array";
    case Json::Type::Object: return "object";
    }
    return "?";
}

}  // namespace

Json& Json::operator[](const std::string& key)
{
    if (type_ == Type::Null)
        type_ = Type::Object;
    if (type_ != Type::Object)
        fail(std::string("expected object, found ") + typeName(type_));
    return object_[key];
}

const Json* Json::find(const std::string& key) const
{
    if (type_ != Type::Object)
        return nullptr;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &it->second;
}

void Json::push(Json v)
{
    if (type_ == Type::Null)
        type_ = Type::Array;
    if (type_ != Type::Array)
        fail(std::string("expected array, found ") + typeName(type_));
    array_.push_back(std::move(v));
}

double Json::number() const
{
    if (type_ != Type::Number)
        fail(std::string("expected number, found ") + typeName(type_));
    return number_;
}

bool Json::boolean() const
{
    if (type_ != Type::Bool)
        fail(std::string("expected bool, found ") + typeName(type_));
    return bool_;
}

const std::string& Json::string() const
{
    if (type_ != Type::String)
        fail(std::string("expected string, found ") + typeName(type_));
    return string_;
}

double Json::number(const std::string& key, double fallback) const
{
    const Json* j = find(key);
    if (!j)
        return fallback;
    if (j->type_ != Type::Number)
        fail("'" + key + "' should be a number");
    return j->number_;
}

std::string Json::string(const std::string& key, const std::string& fallback) const
{
    const Json* j = find(key);
    if (!j)
        return fallback;
    if (j->type_ != Type::String)
        fail("'" + key + "' should be a string");
    return j->string_;
}

bool Json::boolean(const std::string& key, bool fallback) const
{
    const Json* j = find(key);
    if (!j)
        return fallback;
    if (j->type_ != Type::Bool)
        fail("'" + key + "' should be true or false");
    return j->bool_;
}

std::string Json::dump(int indent) const
{
    // Bytes that are not UTF-8 are replaced rather than thrown on (names come from users).
    return toLibrary(*this).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json Json::parse(std::string_view text)
{
    if (text.size() > kMaxText)
        fail("text longer than " + std::to_string(kMaxText) + " bytes");
    const nlohmann::json::parser_callback_t bounded = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxDepth)
            fail("nested deeper than " + std::to_string(kMaxDepth));
        return true;
    };
    try {
        return fromLibrary(nlohmann::json::parse(text.begin(), text.end(), bounded));
    } catch (const nlohmann::json::exception& e) {
        fail(e.what());
    }
}

}  // namespace mitoseg
