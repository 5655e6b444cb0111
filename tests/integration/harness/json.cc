#include "harness/json.h"

#include <cstdlib>
#include <cstring>

namespace gantry::itest {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}

  bool document(JsonValue* out) {
    if (!value(out, 0)) return false;
    ws();
    if (i_ != t_.size()) return fail("trailing characters");
    return true;
  }
  std::string error() const { return error_ + " at offset " + std::to_string(i_); }

 private:
  bool fail(const char* why) {
    if (error_.empty()) error_ = why;
    return false;
  }
  void ws() {
    while (i_ < t_.size() && std::strchr(" \t\r\n", t_[i_]) != nullptr && t_[i_] != '\0') ++i_;
  }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (t_.compare(i_, n, word) != 0) return fail("invalid literal");
    i_ += n;
    return true;
  }

  bool value(JsonValue* out, int depth) {
    if (depth > 64) return fail("nesting too deep");
    ws();
    if (i_ >= t_.size()) return fail("unexpected end");
    char c = t_[i_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(&s)) return false;
      *out = JsonValue::make_string(std::move(s));
      return true;
    }
    if (c == 't') return literal("true") && (*out = JsonValue::make_bool(true), true);
    if (c == 'f') return literal("false") && (*out = JsonValue::make_bool(false), true);
    if (c == 'n') return literal("null") && (*out = JsonValue::make_null(), true);
    return number(out);
  }

  bool number(JsonValue* out) {
    size_t start = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    while (i_ < t_.size() && std::strchr("0123456789.eE+-", t_[i_]) != nullptr && t_[i_] != '\0') ++i_;
    if (i_ == start) return fail("unexpected character");
    std::string text = t_.substr(start, i_ - start);
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end == nullptr || *end != '\0') return fail("invalid number");
    *out = JsonValue::make_number(d);
    return true;
  }

  bool hex4(unsigned* cp) {
    if (i_ + 4 > t_.size()) return fail("short \\u escape");
    *cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = t_[i_++];
      *cp <<= 4;
      if (h >= '0' && h <= '9') *cp |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') *cp |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') *cp |= static_cast<unsigned>(h - 'A' + 10);
      else return fail("invalid \\u escape");
    }
    return true;
  }

  static void put_utf8(unsigned cp, std::string* s) {
    if (cp < 0x80) {
      *s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *s += static_cast<char>(0xC0 | (cp >> 6));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *s += static_cast<char>(0xE0 | (cp >> 12));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *s += static_cast<char>(0xF0 | (cp >> 18));
      *s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool string(std::string* s) {
    ++i_;  // opening quote
    while (true) {
      if (i_ >= t_.size()) return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(t_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return fail("control character in string");
      if (c != '\\') {
        *s += static_cast<char>(c);
        continue;
      }
      if (i_ >= t_.size()) return fail("unterminated escape");
      char e = t_[i_++];
      switch (e) {
        case '"': *s += '"'; break;
        case '\\': *s += '\\'; break;
        case '/': *s += '/'; break;
        case 'b': *s += '\b'; break;
        case 'f': *s += '\f'; break;
        case 'n': *s += '\n'; break;
        case 'r': *s += '\r'; break;
        case 't': *s += '\t'; break;
        case 'u': {
          unsigned cp;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && t_.compare(i_, 2, "\\u") == 0) {
            size_t save = i_;
            i_ += 2;
            unsigned lo;
            if (!hex4(&lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              i_ = save;
            }
          }
          put_utf8(cp, s);
          break;
        }
        default:
          return fail("invalid escape");
      }
    }
  }

  bool array(JsonValue* out, int depth) {
    ++i_;
    std::vector<JsonValue> items;
    ws();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      *out = JsonValue::make_array(std::move(items));
      return true;
    }
    while (true) {
      JsonValue v;
      if (!value(&v, depth + 1)) return false;
      items.push_back(std::move(v));
      ws();
      if (i_ >= t_.size()) return fail("unterminated array");
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (t_[i_] != ']') return fail("expected , or ]");
      ++i_;
      *out = JsonValue::make_array(std::move(items));
      return true;
    }
  }

  bool object(JsonValue* out, int depth) {
    ++i_;
    std::map<std::string, JsonValue> members;
    ws();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      *out = JsonValue::make_object(std::move(members));
      return true;
    }
    while (true) {
      ws();
      if (i_ >= t_.size() || t_[i_] != '"') return fail("expected member name");
      std::string key;
      if (!string(&key)) return false;
      ws();
      if (i_ >= t_.size() || t_[i_] != ':') return fail("expected :");
      ++i_;
      JsonValue v;
      if (!value(&v, depth + 1)) return false;
      members[key] = std::move(v);
      ws();
      if (i_ >= t_.size()) return fail("unterminated object");
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (t_[i_] != '}') return fail("expected , or }");
      ++i_;
      *out = JsonValue::make_object(std::move(members));
      return true;
    }
  }

  const std::string& t_;
  size_t i_ = 0;
  std::string error_;
};

const JsonValue& null_value() {
  static const JsonValue v;
  return v;
}

}  // namespace

const JsonValue& JsonValue::operator[](const std::string& key) const {
  if (type_ != Type::kObject) return null_value();
  auto it = object_.find(key);
  return it == object_.end() ? null_value() : it->second;
}

bool JsonValue::has(const std::string& key) const {
  return type_ == Type::kObject && object_.count(key) > 0;
}

JsonValue JsonValue::make_bool(bool b) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::make_number(double d) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = d;
  return v;
}

JsonValue JsonValue::make_string(std::string s) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::make_array(std::vector<JsonValue> a) {
  JsonValue v;
  v.type_ = Type::kArray;
  v.array_ = std::move(a);
  return v;
}

JsonValue JsonValue::make_object(std::map<std::string, JsonValue> o) {
  JsonValue v;
  v.type_ = Type::kObject;
  v.object_ = std::move(o);
  return v;
}

bool parse_json(const std::string& text, JsonValue* out, std::string* error) {
  Parser p(text);
  if (p.document(out)) return true;
  *error = p.error();
  return false;
}

bool utf8_to_latin1(const std::string& utf8, std::string* out) {
  out->clear();
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      *out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      unsigned cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp > 0xFF) return false;
      *out += static_cast<char>(cp);
      i += 2;
    } else {
      return false;  // three- and four-byte sequences are above U+00FF
    }
  }
  return true;
}

}  // namespace gantry::itest
