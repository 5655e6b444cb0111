#include "config/cfg_node.h"

#include "config/units.h"

namespace gantry::config {

SourcePos to_pos(const toml::source_region& region) {
  SourcePos p;
  if (region.path) p.file = *region.path;
  p.line = region.begin.line;
  p.column = region.begin.column;
  return p;
}

const char* toml_type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

const char* cfg_type_name(uint32_t type) {
  switch (type) {
    case GANTRY_CFG_ANY: return "any";
    case GANTRY_CFG_BOOL: return "boolean";
    case GANTRY_CFG_INT: return "integer";
    case GANTRY_CFG_FLOAT: return "float";
    case GANTRY_CFG_STRING: return "string";
    case GANTRY_CFG_ARRAY: return "array";
    case GANTRY_CFG_TABLE: return "table";
    case GANTRY_CFG_DURATION: return "duration";
    case GANTRY_CFG_SIZE: return "size";
    default: return nullptr;
  }
}

uint32_t cfg_type_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return GANTRY_CFG_TABLE;
    case toml::node_type::array: return GANTRY_CFG_ARRAY;
    case toml::node_type::string: return GANTRY_CFG_STRING;
    case toml::node_type::integer: return GANTRY_CFG_INT;
    case toml::node_type::floating_point: return GANTRY_CFG_FLOAT;
    case toml::node_type::boolean: return GANTRY_CFG_BOOL;
    default: return GANTRY_CFG_ANY;
  }
}

namespace {

std::string describe(const toml::node& n) {
  if (auto s = n.value_exact<std::string>()) return "\"" + *s + "\"";
  if (auto i = n.value_exact<int64_t>()) return std::to_string(*i);
  return toml_type_name(n.type());
}

}  // namespace

bool matches_cfg_type(const toml::node& n, uint32_t type, std::string* why) {
  bool ok = false;
  uint64_t scratch = 0;
  switch (type) {
    case GANTRY_CFG_ANY: ok = true; break;
    case GANTRY_CFG_BOOL: ok = n.is_boolean(); break;
    case GANTRY_CFG_INT: ok = n.is_integer(); break;
    case GANTRY_CFG_FLOAT: ok = n.is_floating_point() || n.is_integer(); break;
    case GANTRY_CFG_STRING: ok = n.is_string(); break;
    case GANTRY_CFG_ARRAY: ok = n.is_array(); break;
    case GANTRY_CFG_TABLE: ok = n.is_table(); break;
    case GANTRY_CFG_DURATION: ok = node_duration_ms(n, &scratch); break;
    case GANTRY_CFG_SIZE: ok = node_size_bytes(n, &scratch); break;
    default: ok = false; break;
  }
  if (!ok && why != nullptr) {
    const char* want = cfg_type_name(type);
    if (type == GANTRY_CFG_DURATION) {
      *why = "expected a duration (\"250ms\", \"30s\", \"5m\", \"1h\" or integer ms), got " +
             describe(n);
    } else if (type == GANTRY_CFG_SIZE) {
      *why = "expected a size (\"16k\", \"1m\" or integer bytes), got " + describe(n);
    } else {
      *why = std::string("expected ") + (want ? want : "?") + ", got " + toml_type_name(n.type());
    }
  }
  return ok;
}

}  // namespace gantry::config
