#include "core/engine/Json.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error("JSON: " + what); }

class Parser {
public:
    explicit Parser(std::string_view t) : t_(t) {}
    Json document()
    {
        Json v = value(0);
        ws();
        if (i_ != t_.size())
            fail("trailing characters at offset " + std::to_string(i_));
        return v;
    }

private:
    void ws()
    {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t'))
            ++i_;
    }
    char peek()
    {
        ws();
        if (i_ >= t_.size())
            fail("unexpected end");
        return t_[i_];
    }
    void expect(char c)
    {
        if (peek() != c)
            fail(std::string("expected '") + c + "' at offset " + std::to_string(i_));
        ++i_;
    }
    bool literal(std::string_view word)
    {
        if (t_.substr(i_, word.size()) == word) {
            i_ += word.size();
            return true;
        }
        return false;
    }
    std::string str()
    {
        expect('"');
        std::string s;
        while (true) {
            if (i_ >= t_.size())
                fail("unterminated string");
            char c = t_[i_++];
            if (c == '"')
                return s;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in string");
            if (c != '\\') {
                s += c;
                continue;
            }
            if (i_ >= t_.size())
                fail("unterminated escape");
            char e = t_[i_++];
            switch (e) {
            case '"': s += '"'; break;
            case '\\': s += '\\'; break;
            case '/': s += '/'; break;
            case 'b': s += '\b'; break;
            case 'f': s += '\f'; break;
            case 'n': s += '\n'; break;
            case 'r': s += '\r'; break;
            case 't': s += '\t'; break;
            case 'u': {
                if (i_ + 4 > t_.size())
                    fail("short \\u escape");
                unsigned code = 0;
                for (int k = 0; k < 4; ++k) {
                    char h = t_[i_++];
                    code <<= 4;
                    if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
                    else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
                    else fail("bad \\u escape");
                }
                if (code < 0x80) {
                    s += static_cast<char>(code);
                } else if (code < 0x800) {
                    s += static_cast<char>(0xC0 | (code >> 6));
                    s += static_cast<char>(0x80 | (code & 0x3F));
                } else {
                    s += static_cast<char>(0xE0 | (code >> 12));
                    s += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
                    s += static_cast<char>(0x80 | (code & 0x3F));
                }
                break;
            }
            default: fail("bad escape");
            }
        }
    }
    Json value(int depth)
    {
        if (depth > 32)
            fail("nesting too deep");
        char c = peek();
        if (c == '{') {
            ++i_;
            Json o = Json::object();
            if (peek() == '}') {
                ++i_;
                return o;
            }
            while (true) {
                std::string k = str();
                expect(':');
                o[k] = value(depth + 1);
                if (peek() == ',') {
                    ++i_;
                    continue;
                }
                expect('}');
                return o;
            }
        }
        if (c == '[') {
            ++i_;
            Json a = Json::array();
            if (peek() == ']') {
                ++i_;
                return a;
            }
            while (true) {
                a.push(value(depth + 1));
                if (peek() == ',') {
                    ++i_;
                    continue;
                }
                expect(']');
                return a;
            }
        }
        if (c == '"')
            return Json(str());
        if (literal("true"))
            return Json(true);
        if (literal("false"))
            return Json(false);
        if (literal("null"))
            return Json();
        std::size_t start = i_;
        while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '-' || t_[i_] == '+' ||
                                  t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E'))
            ++i_;
        if (start == i_ || i_ - start > 64)
            fail("unexpected character at offset " + std::to_string(start));
        std::string num(t_.substr(start, i_ - start));
        char* end = nullptr;
        double d = std::strtod(num.c_str(), &end);
        if (end != num.c_str() + num.size() || !std::isfinite(d))
            fail("bad number '" + num + "'");
        return Json(d);
    }
    std::string_view t_;
    std::size_t i_ = 0;
};

void escapeTo(std::string& out, const std::string& s)
{
    out += '"';
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
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
    std::string out;
    dumpTo(out, indent, 0);
    return out;
}

void Json::dumpTo(std::string& out, int indent, int level) const
{
    auto newline = [&](int lvl) {
        if (indent >= 0) {
            out += '\n';
            out.append(static_cast<std::size_t>(indent * lvl), ' ');
        }
    };
    switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += bool_ ? "true" : "false"; break;
    case Type::Number: {
        char buf[32];
        if (std::nearbyint(number_) == number_ && std::fabs(number_) < 9e15)
            std::snprintf(buf, sizeof buf, "%.0f", number_);
        else
            std::snprintf(buf, sizeof buf, "%.17g", number_);
        out += buf;
        break;
    }
    case Type::String: escapeTo(out, string_); break;
    case Type::Array:
        out += '[';
        for (std::size_t k = 0; k < array_.size(); ++k) {
            if (k)
                out += indent >= 0 ? ", " : ",";
            array_[k].dumpTo(out, indent, level + 1);
        }
        out += ']';
        break;
    case Type::Object: {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : object_) {
            if (!first)
                out += ',';
            first = false;
            newline(level + 1);
            escapeTo(out, k);
            out += indent >= 0 ? ": " : ":";
            v.dumpTo(out, indent, level + 1);
        }
        if (!object_.empty())
            newline(level);
        out += '}';
        break;
    }
    }
}

Json Json::parse(std::string_view text) { return Parser(text).document(); }

}  // namespace mitoseg
