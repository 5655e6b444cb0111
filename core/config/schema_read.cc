// Reading one value as its schema entry says: the type, then the range or
// the enum values. Messages keep the loader's form "file:line:col: path: what".
#include <string>

#include "config/address.h"
#include "config/cfg_node.h"
#include "config/schema.h"
#include "config/units.h"

namespace gantry::config::schema {
namespace {

using config::detail::Section;

std::string expected(const char* want, const toml::node& n) {
  return std::string("expected ") + want + ", got " + toml_type_name(n.type());
}

void need(const Value& v, bool ok, const char* want) {
  if (!ok) v.fail(expected(want, v.node));
}

[[noreturn]] void fail_range(const Value& v) {
  std::string got = v.node.is_string() ? *v.node.value_exact<std::string>()
                                       : std::to_string(*v.node.value_exact<int64_t>());
  v.fail("must be between " + bound(v.spec.type, v.spec.range.lo) + " and " +
         bound(v.spec.type, v.spec.range.hi) + ", got " + got);
}

void check_range(const Value& v) {
  if (v.number < v.spec.range.lo || v.number > v.spec.range.hi) fail_range(v);
}

// Durations and sizes: a malformed value gets the message that shows the
// accepted forms; one too large for 64 bits is out of range like any other.
void read_unit(Value* v) {
  uint64_t u = 0;
  bool duration = v->spec.type == Type::kDuration;
  UnitRead r = duration ? read_duration_ms(v->node, &u) : read_size_bytes(v->node, &u);
  if (r == UnitRead::kTooLarge) fail_range(*v);
  if (r != UnitRead::kOk) {
    std::string why;
    matches_cfg_type(v->node, duration ? GANTRY_CFG_DURATION : GANTRY_CFG_SIZE, &why);
    v->fail(why);
  }
  v->number = static_cast<int64_t>(u);  // read_* never return more than INT64_MAX
  check_range(*v);
}

void read_text(Value* v) {
  need(*v, v->node.is_string(), "a string");
  v->text = *v->node.value_exact<std::string>();
  const Range& r = v->spec.range;
  if (v->spec.type == Type::kEnum) {
    std::string list;
    for (size_t i = 0; i < v->spec.choices.size; ++i) {
      if (v->spec.choices.items[i] == v->text) {
        v->number = static_cast<int64_t>(i);
        return;
      }
      list += (i == 0 ? "" : ", ") + std::string(v->spec.choices.items[i]);
    }
    v->fail("unknown " + std::string(v->spec.name) + " \"" + v->text + "\" (" + list + ")");
  }
  auto len = static_cast<int64_t>(v->text.size());
  if (len < r.lo) {
    v->fail(r.lo == 1 ? "must not be empty"
                      : "must be at least " + std::to_string(r.lo) + " bytes");
  }
  if (len > r.hi) v->fail("must be at most " + std::to_string(r.hi) + " bytes");
  if (v->spec.type == Type::kPath) v->text = config_relative(v->cfg, v->text);
}

}  // namespace

// Relative paths in a config are relative to the config file, not to the
// working directory, so `gantry -c conf/x.toml` works from anywhere.
std::string config_relative(const Config& cfg, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return cfg.dir + "/" + path;
}

std::string bound(Type type, int64_t x) {
  if (type == Type::kDuration) return format_duration_ms(static_cast<uint64_t>(x));
  if (type == Type::kSize) return format_size_bytes(static_cast<uint64_t>(x));
  return std::to_string(x);
}

void Value::fail(const std::string& what) const { config::detail::fail(node.source(), path, what); }

Section Value::section() const { return Section(*node.as_table(), path); }

Value read_value(const Spec& spec, const toml::node& n, std::string path, const Config& cfg) {
  Value v{spec, n, std::move(path), cfg, 0, {}, {}};
  switch (spec.type) {
    case Type::kBool:
      need(v, n.is_boolean(), "a boolean");
      v.number = *n.value_exact<bool>() ? 1 : 0;
      break;
    case Type::kInt:
      need(v, n.is_integer(), "an integer");
      v.number = *n.value_exact<int64_t>();
      check_range(v);
      break;
    case Type::kString:
    case Type::kEnum:
    case Type::kPath:
      read_text(&v);
      break;
    case Type::kDuration:
    case Type::kSize:
      read_unit(&v);
      break;
    case Type::kAddress: {
      need(v, n.is_string(), "an address string");
      v.text = *n.value_exact<std::string>();
      std::string why;
      if (!parse_address(v.text, spec.range.lo == 0, &v.address, &why)) v.fail(why);
      break;
    }
    case Type::kTable:
      need(v, n.is_table(), "a table");
      break;
    case Type::kArray:
      need(v, n.is_array(), "an array");
      break;
    case Type::kTables:
      if (!n.is_array()) {
        v.fail("expected an array of tables ([[" + std::string(spec.name) + "]]), got " +
               toml_type_name(n.type()));
      }
      break;
  }
  return v;
}

namespace internal {

void fail_unknown(const Section& s, const toml::key& k, const toml::node& v) {
  // A [header] table's key position points into the header; the value's
  // position is the header itself, which is what a reader looks for.
  const toml::source_region& at = v.is_table() ? v.source() : k.source();
  config::detail::fail(at, s.path(), "unknown key '" + std::string(k.str()) + "'");
}

void fail_missing(const Section& s, const Spec& spec) {
  std::string name(spec.name);
  if (spec.type == Type::kTables) {
    config::detail::fail(s.table().source(), s.key_path(name),
                         "at least one [[" + name + "]] is required");
  }
  s.fail_here("missing required key '" + name + "'");
}

bool is_module_name(const Config& cfg, std::string_view key) {
  for (const ModuleEntry& m : cfg.modules) {
    if (m.name == key) return true;
  }
  return false;
}

}  // namespace internal
}  // namespace gantry::config::schema
