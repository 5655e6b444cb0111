// [[module]] entries and the module-owned sub-tables of listeners/backends.
#include <sys/stat.h>

#include <cctype>

#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

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

void for_each_entry(const Value& v, const std::function<void(const toml::table&, size_t)>& fn) {
  const toml::array& arr = *v.node.as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    const toml::node& e = *arr.get(i);
    if (!e.is_table()) {
      fail(e.source(), v.path + "[" + std::to_string(i) + "]",
           std::string("expected a table, got ") + toml_type_name(e.type()));
    }
    fn(*e.as_table(), i);
  }
}

std::string entry_path(std::string_view what, size_t index, const std::string& name) {
  return std::string(what) + "[" + (name.empty() ? std::to_string(index) : name) + "]";
}

void read_modules(const Value& v, Config* cfg) {
  for_each_entry(v, [&](const toml::table& t, size_t i) {
    Section s(t, entry_path("module", i, ""));
    ModuleEntry m;
    m.name = entry_name(schema::kModule, s, *cfg);
    if (!valid_module_name(m.name)) {
      s.fail_at(*s.node("name"), "name",
                "\"" + m.name + "\" is not a valid module name (letters, digits, '_', '-')");
    }
    for (std::string_view host_key : schema::host_keys()) {
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
    schema::apply(schema::kModule, Section(t, entry_path("module", i, m.name)), *cfg, &m);
    m.pos = pos_of(t);
    cfg->modules.push_back(std::move(m));
  });
}

void read_module_path(const Value& v, ModuleEntry* m) {
  m->path = module_file(v.cfg, v.text);
  if (!is_file(m->path)) v.fail("module file " + m->path + " does not exist");
}

// Always present: load_config inserts an empty table where none is written.
void read_module_config(const Value& v, ModuleEntry* m) { m->config = to_cfg(&v.node); }

// Collects [listener.<module>] / [backend.<module>] tables. Their keys are
// checked by build_generation against what the module declares.
void read_module_scopes(const Section& s, const Config& cfg, std::vector<ScopeTable>* out) {
  for (const ModuleEntry& m : cfg.modules) {
    const toml::node* n = s.node(m.name);
    if (n == nullptr) continue;
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      s.fail_at(*n, m.name, std::string("expected a table, got ") + toml_type_name(n->type()));
    }
    ScopeTable st;
    st.module = m.name;
    st.table = to_cfg(t);
    st.pos = pos_of(*t);
    out->push_back(std::move(st));
  }
}

}  // namespace gantry::config::detail
