#pragma once
// A small JSON value used for model-file headers and the CLI's --json output. Parsing and
// writing go through nlohmann-json (Debian's nlohmann-json3-dev), bounded in size and depth
// for hostile model files. Plain value type; not synchronised.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mitoseg {

/// JSON null, bool, number, string, array or object (keys sorted).
class Json {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    Json() = default;
    Json(bool b) : type_(Type::Bool), bool_(b) {}
    Json(double d) : type_(Type::Number), number_(d) {}
    Json(int i) : Json(static_cast<double>(i)) {}
    Json(std::int64_t i) : Json(static_cast<double>(i)) {}
    Json(const char* s) : type_(Type::String), string_(s) {}
    Json(std::string s) : type_(Type::String), string_(std::move(s)) {}
    static Json array() { Json j; j.type_ = Type::Array; return j; }
    static Json object() { Json j; j.type_ = Type::Object; return j; }

    Type type() const { return type_; }
    bool isObject() const { return type_ == Type::Object; }

    /// Object member access; creates the member (turning null into an object).
    Json& operator[](const std::string& key);
    /// Member or nullptr.
    const Json* find(const std::string& key) const;
    void push(Json v);
    const std::vector<Json>& items() const { return array_; }
    const std::map<std::string, Json>& members() const { return object_; }

    /// Typed getters: throw mitoseg::Error("...: expected ...") when the type differs.
    double number() const;
    bool boolean() const;
    const std::string& string() const;
    /// Member `key` of an object with a type check, or `fallback` when absent.
    double number(const std::string& key, double fallback) const;
    std::string string(const std::string& key, const std::string& fallback) const;
    bool boolean(const std::string& key, bool fallback) const;

    /// Serialises compactly (indent < 0) or pretty-printed (one member or item a line).
    std::string dump(int indent = -1) const;
    /// Parses `text`; throws mitoseg::Error on malformed input, nesting deeper than 32, text
    /// over 16 MB, numbers out of range or trailing garbage.
    static Json parse(std::string_view text);

private:
    Type type_ = Type::Null;
    bool bool_ = false;
    double number_ = 0;
    std::string string_;
    std::vector<Json> array_;
    std::map<std::string, Json> object_;
};

}  // namespace mitoseg
