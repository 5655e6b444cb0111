/*
 * gantry::testing::MockCfg: config nodes for the mock host, built in code
 * or read from TOML (gantry/mock_toml.hpp). Part of gantry/mock_host.hpp.
 */
#ifndef GANTRY_TESTING_MOCK_CFG_HPP
#define GANTRY_TESTING_MOCK_CFG_HPP

#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/module.h"

namespace gantry::testing {

// Durations and sizes exactly as gantry reads them: digits then a unit
// (case-insensitive). Durations need one of ms, s, m, h; sizes take none
// (bytes), k, m or g (powers of 1024), with an optional trailing "b".
namespace units {

inline size_t read_digits(std::string_view text, uint64_t* value) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return 0;
    v = v * 10 + d;
  }
  *value = v;
  return i;
}
inline bool scale(uint64_t v, uint64_t mul, int64_t* out) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / mul) return false;
  *out = static_cast<int64_t>(v * mul);
  return true;
}
inline bool unit_is(std::string_view unit, std::string_view lower) {
  if (unit.size() != lower.size()) return false;
  for (size_t i = 0; i < unit.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(unit[i])) != lower[i]) return false;
  return true;
}
inline bool duration_ms(std::string_view text, int64_t* out) {
  uint64_t v = 0;
  size_t n = read_digits(text, &v);
  if (n == 0) return false;
  std::string_view unit = text.substr(n);
  if (unit_is(unit, "ms")) return scale(v, 1, out);
  if (unit_is(unit, "s")) return scale(v, 1000, out);
  if (unit_is(unit, "m")) return scale(v, 60 * 1000, out);
  if (unit_is(unit, "h")) return scale(v, 3600 * 1000, out);
  return false;
}
inline bool size_bytes(std::string_view text, int64_t* out) {
  uint64_t v = 0;
  size_t n = read_digits(text, &v);
  if (n == 0) return false;
  std::string_view unit = text.substr(n);
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B')) unit.remove_suffix(1);
  if (unit.empty()) return scale(v, 1, out);
  if (unit_is(unit, "k")) return scale(v, uint64_t{1} << 10, out);
  if (unit_is(unit, "m")) return scale(v, uint64_t{1} << 20, out);
  if (unit_is(unit, "g")) return scale(v, uint64_t{1} << 30, out);
  return false;
}

}  // namespace units

// A config value. Cheap to copy (shared node); `raw()` is what a module sees.
class MockCfg {
 public:
  struct Node {
    gantry_cfg_type_t type = GANTRY_CFG_TABLE;
    std::string text;  // strings
    int64_t i = 0;
    double f = 0;
    bool b = false;
    std::vector<std::pair<std::string, MockCfg>> children;  // table (keyed) or array
    std::string file = "mock.toml";  // what cfg_where() reports
    uint32_t line = 1;
    uint32_t column = 1;
  };

  MockCfg() : node_(std::make_shared<Node>()) {}
  static MockCfg table(std::initializer_list<std::pair<std::string, MockCfg>> kv = {}) {
    MockCfg c;
    for (const auto& p : kv) c.node_->children.push_back(p);
    return c;
  }
  static MockCfg array(std::initializer_list<MockCfg> items) {
    MockCfg c = make(GANTRY_CFG_ARRAY);
    for (const auto& it : items) c.node_->children.emplace_back(std::string(), it);
    return c;
  }
  static MockCfg string(std::string s) {
    MockCfg c = make(GANTRY_CFG_STRING);
    c.node_->text = std::move(s);
    return c;
  }
  static MockCfg integer(int64_t v) {
    MockCfg c = make(GANTRY_CFG_INT);
    c.node_->i = v;
    return c;
  }
  static MockCfg number(double v) {
    MockCfg c = make(GANTRY_CFG_FLOAT);
    c.node_->f = v;
    return c;
  }
  static MockCfg boolean(bool v) {
    MockCfg c = make(GANTRY_CFG_BOOL);
    c.node_->b = v;
    return c;
  }
  // A value no typed accessor reads (TOML dates and times); type() is ANY.
  static MockCfg other(std::string text) {
    MockCfg c = make(GANTRY_CFG_ANY);
    c.node_->text = std::move(text);
    return c;
  }
  // The line cfg_where() reports (file "mock.toml").
  MockCfg& at_line(uint32_t line) {
    node_->line = line;
    return *this;
  }
  // The whole position cfg_where() reports.
  MockCfg& at_position(std::string file, uint32_t line, uint32_t column) {
    node_->file = std::move(file);
    node_->line = line;
    node_->column = column;
    return *this;
  }

  // Building and reading trees in tests.
  gantry_cfg_type_t type() const { return node_->type; }
  size_t size() const { return node_->children.size(); }
  // Appends an entry to a table (key) or an element to an array (key "").
  MockCfg& add(std::string key, MockCfg value) {
    node_->children.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // The table entry named `key`, or null.
  const MockCfg* find(std::string_view key) const {
    if (node_->type != GANTRY_CFG_TABLE) return nullptr;
    for (const auto& kv : node_->children)
      if (kv.first == key) return &kv.second;
    return nullptr;
  }
  // The i-th element of an array (or value of a table); throws if out of range.
  const MockCfg& at(size_t i) const { return node_->children.at(i).second; }
  const std::string& key_at(size_t i) const { return node_->children.at(i).first; }

  const gantry_cfg_t* raw() const { return reinterpret_cast<const gantry_cfg_t*>(node_.get()); }
  static const Node* node(const gantry_cfg_t* c) { return reinterpret_cast<const Node*>(c); }
  const Node& node() const { return *node_; }

 private:
  static MockCfg make(gantry_cfg_type_t t) {
    MockCfg c;
    c.node_->type = t;
    return c;
  }
  std::shared_ptr<Node> node_;
};

}  // namespace gantry::testing

#endif /* GANTRY_TESTING_MOCK_CFG_HPP */
