#include "config/loader.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "config/address.h"
#include "config/cfg_node.h"
#include "config/loader_parts.h"
#include "config/section.h"

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

Result<std::shared_ptr<const Config>> build(std::shared_ptr<toml::table> doc,
                                            const std::string& file) {
  auto cfg = std::make_shared<Config>();
  cfg->file = file;
  cfg->dir = absolute_dir(dirname_of(file));
  try {
    add_missing_module_configs(doc.get());
    cfg->modules_dir = default_modules_dir();  // before [[module]] reads it
    Section top(*doc, "");
    schema::apply(schema::kTop, top, *cfg, cfg.get());
    detail::check_run_as(top, *cfg);
    if (cfg->workers == 0) {
      unsigned n = std::thread::hardware_concurrency();
      cfg->workers = n == 0 ? 1 : (n > 256 ? 256 : n);
    }
  } catch (const Invalid& e) {
    return Failure{e.message};
  }
  cfg->document = std::move(doc);
  return std::shared_ptr<const Config>(std::move(cfg));
}

Failure parse_error(const toml::parse_error& e, const std::string& file) {
  SourcePos pos = to_pos(e.source());
  if (pos.file.empty()) pos.file = file;
  if (pos.line == 0) pos.line = 1;
  if (pos.column == 0) pos.column = 1;
  return Failure{pos.str() + ": syntax: " + std::string(e.description())};
}

}  // namespace

namespace detail {

void read_access_log(const Value& v, Config* cfg) {
  std::string_view text = v.text;
  if (text.rfind("syslog:", 0) == 0) {
    std::string_view rest = text.substr(7);
    SyslogTarget& t = cfg->access_syslog;
    if (rest.rfind("unix:", 0) == 0 && rest.size() > 5 && rest[5] == '/') {
      t.kind = SyslogTarget::Kind::kUnix;
      t.path = std::string(rest.substr(5));
      if (t.path.size() >= sizeof(sockaddr_un{}.sun_path)) v.fail("syslog socket path too long");
    } else if (rest.rfind("udp:", 0) == 0) {
      std::string why;
      if (!parse_address(rest.substr(4), false, &t.address, &why)) v.fail(why);
      t.kind = SyslogTarget::Kind::kUdp;
    } else {
      v.fail("a syslog target is \"syslog:unix:/absolute/path\" or \"syslog:udp:host:port\"");
    }
    cfg->access_log = v.text;
    return;
  }
  bool named = text == "stdout" || text == "stderr" || text == "off";
  cfg->access_log = named ? v.text : schema::config_relative(*cfg, v.text);
}

void read_access_template(const Value& v, Config* cfg) {
  std::string why;
  if (!compile_log_template(v.text, &cfg->access_template, &why)) v.fail(why);
}

// max_line_size may not exceed max_head_size: a line is part of the head.
void read_limits(const Value& v, Config* cfg) {
  Section s = v.section();
  schema::apply(schema::kLimits, s, *cfg, &cfg->limits);
  const toml::node* line = s.node("max_line_size");
  if (line != nullptr && cfg->limits.max_line_bytes > cfg->limits.max_head_bytes) {
    s.fail_at(*line, "max_line_size",
              "must be between 256 and max_head_size (" +
                  std::to_string(cfg->limits.max_head_bytes) + ")");
  }
}

}  // namespace detail

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
    return Failure{path + ":1:1: cannot read config file"};
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
