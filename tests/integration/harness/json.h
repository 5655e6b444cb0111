#pragma once
// A small JSON reader, enough for test data files (RFC 8259: objects, arrays,
// strings with escapes and surrogate pairs, numbers, true/false/null).
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gantry::itest {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  // Strings are held as UTF-8.
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& as_array() const { return array_; }
  const std::map<std::string, JsonValue>& as_object() const { return object_; }
  // Member lookup; a null value when absent or not an object.
  const JsonValue& operator[](const std::string& key) const;
  bool has(const std::string& key) const;

  static JsonValue make_null() { return JsonValue(); }
  static JsonValue make_bool(bool b);
  static JsonValue make_number(double d);
  static JsonValue make_string(std::string s);
  static JsonValue make_array(std::vector<JsonValue> a);
  static JsonValue make_object(std::map<std::string, JsonValue> o);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

// Parses a whole document; on failure returns false and sets *error (with offset).
bool parse_json(const std::string& text, JsonValue* out, std::string* error);

// UTF-8 text whose code points are all <= U+00FF, as latin-1 bytes (one byte
// per code point). False when a code point does not fit.
bool utf8_to_latin1(const std::string& utf8, std::string* out);

}  // namespace gantry::itest
