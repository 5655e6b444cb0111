// The config-phase half of the host function table: logging, memory, error
// reporting and read-only access to config nodes. Nodes are toml++ nodes of
// the generation's document (see config/cfg_node.h).
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "config/cfg_node.h"
#include "config/units.h"
#include "module_loader/host_objects.h"
#include "module_loader/host_services.h"
#include "util/log.h"

namespace gantry::modules {
namespace {

using config::from_cfg;
using config::to_cfg;

std::string& config_dir() {
  static std::string* dir = new std::string(".");
  return *dir;
}

void host_log(gantry_module_t* self, int32_t level, const char* msg) {
  log::Level l = log::Level::kError;
  if (level >= GANTRY_LOG_DEBUG && level <= GANTRY_LOG_ERROR) l = static_cast<log::Level>(level);
  if (!log::enabled(l)) return;
  log::write(l, "module %s: %s", self ? self->name.c_str() : "?", msg ? msg : "");
}

void* host_alloc(size_t n) { return std::malloc(n); }
void host_free(void* p) { std::free(p); }

void host_error_set(gantry_error_t* err, gantry_status_t code, const char* msg) {
  if (err == nullptr) return;
  err->set = true;
  err->code = code;
  err->message = msg ? msg : "";
}

void host_error_at(gantry_error_t* err, const gantry_cfg_t* node, gantry_status_t code,
                   const char* msg) {
  host_error_set(err, code, msg);
  if (err != nullptr) err->node = from_cfg(node);
}

uint32_t host_cfg_type(const gantry_cfg_t* node) {
  return node ? config::cfg_type_of(*from_cfg(node)) : uint32_t{GANTRY_CFG_ANY};
}

const gantry_cfg_t* host_cfg_get(const gantry_cfg_t* table, const char* key) {
  if (table == nullptr || key == nullptr) return nullptr;
  const toml::table* t = from_cfg(table)->as_table();
  return t ? to_cfg(t->get(key)) : nullptr;
}

size_t host_cfg_size(const gantry_cfg_t* node) {
  if (node == nullptr) return 0;
  const toml::node* n = from_cfg(node);
  if (const toml::table* t = n->as_table()) return t->size();
  if (const toml::array* a = n->as_array()) return a->size();
  return 0;
}

const gantry_cfg_t* host_cfg_at(const gantry_cfg_t* node, size_t i, gantry_str_t* key) {
  if (key != nullptr) *key = gantry_str_t{nullptr, 0};
  if (node == nullptr) return nullptr;
  const toml::node* n = from_cfg(node);
  if (const toml::array* a = n->as_array()) return to_cfg(a->get(i));
  const toml::table* t = n->as_table();
  if (t == nullptr || i >= t->size()) return nullptr;
  auto it = t->begin();
  std::advance(it, static_cast<std::ptrdiff_t>(i));
  if (key != nullptr) *key = gantry_str_t{it->first.data(), it->first.length()};
  return to_cfg(&it->second);
}

gantry_status_t host_cfg_string(const gantry_cfg_t* node, gantry_str_t* out) {
  if (node == nullptr || out == nullptr) return GANTRY_ERR_INVAL;
  const toml::value<std::string>* s = from_cfg(node)->as_string();
  if (s == nullptr) return GANTRY_ERR_INVAL;
  const std::string& v = s->get();
  *out = gantry_str_t{v.c_str(), v.size()};  // NUL-terminated as a bonus
  return GANTRY_OK;
}

gantry_status_t host_cfg_int(const gantry_cfg_t* node, int64_t* out) {
  if (node == nullptr || out == nullptr) return GANTRY_ERR_INVAL;
  auto v = from_cfg(node)->value_exact<int64_t>();
  if (!v) return GANTRY_ERR_INVAL;
  *out = *v;
  return GANTRY_OK;
}

gantry_status_t host_cfg_float(const gantry_cfg_t* node, double* out) {
  if (node == nullptr || out == nullptr) return GANTRY_ERR_INVAL;
  const toml::node* n = from_cfg(node);
  if (auto d = n->value_exact<double>()) {
    *out = *d;
  } else if (auto i = n->value_exact<int64_t>()) {
    *out = static_cast<double>(*i);
  } else {
    return GANTRY_ERR_INVAL;
  }
  return GANTRY_OK;
}

gantry_status_t host_cfg_bool(const gantry_cfg_t* node, int32_t* out) {
  if (node == nullptr || out == nullptr) return GANTRY_ERR_INVAL;
  auto b = from_cfg(node)->value_exact<bool>();
  if (!b) return GANTRY_ERR_INVAL;
  *out = *b ? 1 : 0;
  return GANTRY_OK;
}

gantry_status_t host_cfg_duration_ms(const gantry_cfg_t* node, int64_t* out) {
  uint64_t v = 0;
  if (node == nullptr || out == nullptr || !config::node_duration_ms(*from_cfg(node), &v)) {
    return GANTRY_ERR_INVAL;
  }
  *out = static_cast<int64_t>(v);
  return GANTRY_OK;
}

gantry_status_t host_cfg_size_bytes(const gantry_cfg_t* node, int64_t* out) {
  uint64_t v = 0;
  if (node == nullptr || out == nullptr || !config::node_size_bytes(*from_cfg(node), &v)) {
    return GANTRY_ERR_INVAL;
  }
  *out = static_cast<int64_t>(v);
  return GANTRY_OK;
}

void host_cfg_where(const gantry_cfg_t* node, const char** file, uint32_t* line,
                    uint32_t* column) {
  static const char kUnknown[] = "";
  const toml::source_region* src = node ? &from_cfg(node)->source() : nullptr;
  if (file != nullptr) *file = src && src->path ? src->path->c_str() : kUnknown;
  if (line != nullptr) *line = src ? src->begin.line : 0;
  if (column != nullptr) *column = src ? src->begin.column : 0;
}

const config::Config*& building() {
  static const config::Config* cfg = nullptr;
  return cfg;
}

std::atomic<bool> g_check_only{false};

int32_t host_backend_index(gantry_str_t name) {
  const config::Config* cfg = building();
  if (cfg == nullptr || name.ptr == nullptr) return -1;
  return cfg->backend_index(std::string_view(name.ptr, name.len));
}

uint32_t host_check_only() { return g_check_only.load(std::memory_order_relaxed) ? 1 : 0; }

gantry_str_t host_cfg_dir() {
  const std::string& d = config_dir();
  return gantry_str_t{d.c_str(), d.size()};
}

}  // namespace

gantry_module_t* module_handle(const std::string& config_name) {
  static std::mutex mu;
  static auto* handles = new std::map<std::string, std::unique_ptr<gantry_module>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*handles)[config_name];
  if (!slot) slot.reset(new gantry_module{config_name});
  return slot.get();
}

void set_config_dir(const std::string& dir) { config_dir() = dir; }
void set_building_config(const config::Config* cfg) { building() = cfg; }
void set_check_only(bool on) { g_check_only.store(on, std::memory_order_relaxed); }

void fill_config_services(gantry_host_api_t* api) {
  api->log = host_log;
  api->alloc = host_alloc;
  api->free = host_free;
  api->error_set = host_error_set;
  api->error_at = host_error_at;
  api->cfg_type = host_cfg_type;
  api->cfg_get = host_cfg_get;
  api->cfg_size = host_cfg_size;
  api->cfg_at = host_cfg_at;
  api->cfg_string = host_cfg_string;
  api->cfg_int = host_cfg_int;
  api->cfg_float = host_cfg_float;
  api->cfg_bool = host_cfg_bool;
  api->cfg_duration_ms = host_cfg_duration_ms;
  api->cfg_size_bytes = host_cfg_size_bytes;
  api->cfg_where = host_cfg_where;
  api->cfg_dir = host_cfg_dir;
  api->backend_index = host_backend_index;
  api->check_only = host_check_only;
}

}  // namespace gantry::modules
