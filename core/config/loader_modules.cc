// [[module]] entries and the module-owned sub-tables of listeners/backends.
#include <sys/stat.h>

#include <cctype>

#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

// Keys the host owns on a listener or backend; a module may not take one of
// these names, or its sub-table would be ambiguous.
constexpr std::string_view kHostKeys[] = {
    "name",      "bind",        "backlog",         "tls",            "balance", "servers",
    "cookie_name", "keepalive", "connect_timeout", "server_timeout", "health"};

bool valid_module_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                suffix.data(), suffix.size()) == 0;
}

// A bare name is looked up in modules_dir; a path with a '/' is taken
// relative to the config file, like every other path in the config.
std::string module_file(const Config& cfg, const std::string& path) {
  if (path.find('/') == std::string::npos) {
    return cfg.modules_dir + "/" + path + (ends_with(path, ".so") ? "" : ".so");
  }
  if (path.front() == '/') return path;
  return cfg.dir + "/" + path;
}

}  // namespace

void for_each_entry(const Section& top, std::string_view what,
                    const std::function<void(const toml::table&, size_t)>& fn) {
  const toml::node* n = top.node(what);
  if (n == nullptr) return;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    top.fail_at(*n, what,
                "expected an array of tables ([[" + std::string(what) + "]]), got " +
                    toml_type_name(n->type()));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    if (!e.is_table()) {
      fail(e.source(), std::string(what) + "[" + std::to_string(i) + "]",
           std::string("expected a table, got ") + toml_type_name(e.type()));
    }
    fn(*e.as_table(), i);
  }
}

std::string entry_path(std::string_view what, size_t index, const std::string& name) {
  return std::string(what) + "[" + (name.empty() ? std::to_string(index) : name) + "]";
}

void read_modules(const Section& top, Config* cfg) {
  for_each_entry(top, "module", [&](const toml::table& t, size_t i) {
    Section s(t, entry_path("module", i, ""));
    s.allow_only({"name", "path", "config"});
    ModuleEntry m;
    m.name = s.required_str("name");
    if (!valid_module_name(m.name)) {
      s.fail_at(*s.node("name"), "name",
                "\"" + m.name + "\" is not a valid module name (letters, digits, '_', '-')");
    }
    for (std::string_view host_key : kHostKeys) {
      if (m.name == host_key) {
        s.fail_at(*s.node("name"), "name",
                  "\"" + m.name + "\" is a listener/backend key and cannot name a module");
      }
    }
    for (const ModuleEntry& other : cfg->modules) {
      if (other.name == m.name) {
        s.fail_at(*s.node("name"), "name",
                  "duplicate module name \"" + m.name + "\" (first at " + other.pos.str() + ")");
      }
    }
    Section named(t, entry_path("module", i, m.name));
    std::string path = named.required_str("path");
    m.path = module_file(*cfg, path);
    if (!is_file(m.path)) {
      named.fail_at(*named.node("path"), "path", "module file " + m.path + " does not exist");
    }
    m.config = to_cfg(named.subtable("config"));  // always present, see loader.cc
    m.pos = pos_of(t);
    cfg->modules.push_back(std::move(m));
  });
}

// Collects [listener.<module>] / [backend.<module>] tables. Their keys are
// checked by build_generation against what the module declares.
void read_module_scopes(const Section& s, const Config& cfg, std::vector<ScopeTable>* out) {
  for (const ModuleEntry& m : cfg.modules) {
    const toml::table* t = s.subtable(m.name);
    if (t == nullptr) continue;
    ScopeTable st;
    st.module = m.name;
    st.table = to_cfg(t);
    st.pos = pos_of(*t);
    out->push_back(std::move(st));
  }
}

bool is_module_name(const Config& cfg, std::string_view key) {
  for (const ModuleEntry& m : cfg.modules) {
    if (m.name == key) return true;
  }
  return false;
}

}  // namespace gantry::config::detail
