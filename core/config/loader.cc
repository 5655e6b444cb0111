#include "config/loader.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "config/cfg_node.h"
#include "config/loader_parts.h"
#include "config/section.h"
#include "util/log.h"

namespace gantry::config {
namespace {

using detail::Invalid;
using detail::Section;

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string absolute_dir(const std::string& dir) {
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) != nullptr) return buf;
  return dir;
}

// Relative paths in a config are relative to the config file, not to the
// working directory, so `gantry -c conf/x.toml` works from anywhere.
std::string resolve(const std::string& base_dir, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return base_dir + "/" + path;
}

// A [[module]] entry without a `config` table gets an empty one, so modules
// always receive a table (module.h promises "may be an empty table").
void add_missing_module_configs(toml::table* doc) {
  toml::array* mods = doc->get_as<toml::array>("module");
  if (mods == nullptr) return;
  for (toml::node& n : *mods) {
    toml::table* t = n.as_table();
    if (t != nullptr && t->get("config") == nullptr) t->insert("config", toml::table{});
  }
}

void read_globals(const Section& top, Config* cfg) {
  top.allow_only({"workers", "shutdown_timeout", "modules_dir", "user", "group", "log",
                  "timeouts", "limits", "proxy", "module", "listener", "backend", "route"});
  if (auto w = top.integer("workers", 1, 256)) {
    cfg->workers = static_cast<uint32_t>(*w);
  } else {
    unsigned n = std::thread::hardware_concurrency();
    cfg->workers = n == 0 ? 1 : (n > 256 ? 256 : n);
  }
  if (auto d = top.duration_ms("shutdown_timeout")) cfg->shutdown_timeout = *d;
  if (auto dir = top.str("modules_dir")) {
    cfg->modules_dir = resolve(cfg->dir, *dir);
  } else {
    cfg->modules_dir = default_modules_dir();
  }

  if (const toml::table* t = top.subtable("log")) {
    Section s(*t, "log");
    s.allow_only({"access", "level"});
    if (auto a = s.str("access")) {
      if (a->empty()) s.fail_at(*s.node("access"), "access", "must not be empty");
      bool named = *a == "stdout" || *a == "stderr" || *a == "off";
      cfg->access_log = named ? *a : resolve(cfg->dir, *a);
    }
    if (auto l = s.str("level")) {
      log::Level level;
      if (!log::parse_level(l->c_str(), &level)) {
        s.fail_at(*s.node("level"), "level",
                  "unknown level \"" + *l + "\" (debug, info, warn, error)");
      }
      cfg->error_log_level = *l;
    }
  }

  if (const toml::table* t = top.subtable("timeouts")) {
    Section s(*t, "timeouts");
    s.allow_only({"client_head", "client_idle", "client_body", "connect", "server", "tunnel",
                  "client_fin", "upstream_idle"});
    Timeouts& to = cfg->timeouts;
    const std::pair<const char*, uint64_t*> fields[] = {
        {"client_head", &to.client_head}, {"client_idle", &to.client_idle},
        {"client_body", &to.client_body}, {"connect", &to.connect},
        {"server", &to.server},           {"tunnel", &to.tunnel},
        {"client_fin", &to.client_fin},   {"upstream_idle", &to.upstream_idle}};
    for (const auto& [key, field] : fields) {
      if (auto d = s.duration_ms(key)) *field = *d;
    }
  }

  if (const toml::table* t = top.subtable("limits")) {
    Section s(*t, "limits");
    s.allow_only({"max_head_size", "max_line_size", "max_headers", "max_connections"});
    if (auto b = s.size_bytes("max_head_size")) {
      if (*b < 1024 || *b > (64u << 20)) {
        s.fail_at(*s.node("max_head_size"), "max_head_size", "must be between 1k and 64m");
      }
      cfg->limits.max_head_bytes = static_cast<uint32_t>(*b);
    }
    if (auto b = s.size_bytes("max_line_size")) {
      if (*b < 256 || *b > cfg->limits.max_head_bytes) {
        s.fail_at(*s.node("max_line_size"), "max_line_size",
                  "must be between 256 and max_head_size (" +
                      std::to_string(cfg->limits.max_head_bytes) + ")");
      }
      cfg->limits.max_line_bytes = static_cast<uint32_t>(*b);
    }
    if (auto n = s.integer("max_headers", 1, 10000)) {
      cfg->limits.max_headers = static_cast<uint32_t>(*n);
    }
    if (auto n = s.integer("max_connections", 0, 10000000)) {
      cfg->limits.max_connections = static_cast<uint32_t>(*n);
    }
  }

  if (const toml::table* t = top.subtable("proxy")) {
    Section s(*t, "proxy");
    s.allow_only({"x_forwarded_for", "x_forwarded_proto", "via"});
    if (auto b = s.boolean("x_forwarded_for")) cfg->proxy.x_forwarded_for = *b;
    if (auto b = s.boolean("x_forwarded_proto")) cfg->proxy.x_forwarded_proto = *b;
    if (auto b = s.boolean("via")) cfg->proxy.via = *b;
  }
}

Result<std::shared_ptr<const Config>> build(std::shared_ptr<toml::table> doc,
                                            const std::string& file) {
  auto cfg = std::make_shared<Config>();
  cfg->file = file;
  cfg->dir = absolute_dir(dirname_of(file));
  try {
    add_missing_module_configs(doc.get());
    Section top(*doc, "");
    read_globals(top, cfg.get());
    detail::read_run_as(top, cfg.get());
    detail::read_modules(top, cfg.get());
    detail::read_listeners(top, cfg.get());
    detail::read_backends(top, cfg.get());
    detail::read_routes(top, cfg.get());
  } catch (const Invalid& e) {
    return Error{e.message};
  }
  cfg->document = std::move(doc);
  return std::shared_ptr<const Config>(std::move(cfg));
}

Error parse_error(const toml::parse_error& e, const std::string& file) {
  SourcePos pos = to_pos(e.source());
  if (pos.file.empty()) pos.file = file;
  if (pos.line == 0) pos.line = 1;
  if (pos.column == 0) pos.column = 1;
  return Error{pos.str() + ": syntax: " + std::string(e.description())};
}

}  // namespace

std::string default_modules_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = '\0';
    std::string exe_dir = dirname_of(buf);
    std::string dir = exe_dir + "/modules";  // build tree
    if (is_dir(dir)) return dir;
    dir = exe_dir + "/../lib/gantry/modules";  // an installed prefix, wherever it moved
    if (is_dir(dir)) return dir;
  }
  return GANTRY_INSTALL_MODULES_DIR;
}

Result<std::shared_ptr<const Config>> load_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error{path + ":1:1: cannot read config file"};
  }
  std::shared_ptr<toml::table> doc;
  try {
    doc = std::make_shared<toml::table>(toml::parse_file(path));
  } catch (const toml::parse_error& e) {
    return parse_error(e, path);
  }
  return build(std::move(doc), path);
}

Result<std::shared_ptr<const Config>> load_config_text(std::string_view text,
                                                       const std::string& source_name) {
  std::shared_ptr<toml::table> doc;
  try {
    doc = std::make_shared<toml::table>(toml::parse(text, source_name));
  } catch (const toml::parse_error& e) {
    return parse_error(e, source_name);
  }
  return build(std::move(doc), source_name);
}

}  // namespace gantry::config
