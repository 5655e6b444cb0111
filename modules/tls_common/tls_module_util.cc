#include <cstdio>

#include "tls_compat.h"
#include "tls_module.h"

namespace gantry::tls {

void log(const Module* mod, gantry_log_level_t level, const char* fmt, ...) {
  if (mod == nullptr || mod->host == nullptr || mod->host->log == nullptr) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  mod->host->log(mod->self, level, buf);
}

std::string where_of(const Module* mod, const gantry_cfg_t* node) {
  if (node == nullptr || mod->host->cfg_where == nullptr) return {};
  const char* file = nullptr;
  uint32_t line = 0, column = 0;
  mod->host->cfg_where(node, &file, &line, &column);
  if (file == nullptr) return {};
  return std::string(file) + ":" + std::to_string(line);
}

void Reporter::error(const Where& at, const std::string& msg) {
  if (failed_) return;
  failed_ = true;
  first_ = msg;
  if (err_ != nullptr) {
    if (at.node != nullptr) {
      mod_->host->error_at(err_, at.node, GANTRY_ERR_INVAL, msg.c_str());
    } else {
      mod_->host->error_set(err_, GANTRY_ERR_INVAL, msg.c_str());
    }
    return;
  }
  if (at.pos.empty()) {
    log(mod_, level_, "%s", msg.c_str());
  } else {
    log(mod_, level_, "%s: %s", at.pos.c_str(), msg.c_str());
  }
}

void Reporter::warn(const Where& at, const std::string& msg) {
  if (at.pos.empty()) {
    log(mod_, GANTRY_LOG_WARN, "%s", msg.c_str());
  } else {
    log(mod_, GANTRY_LOG_WARN, "%s: %s", at.pos.c_str(), msg.c_str());
  }
}

std::string take_ssl_errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace gantry::tls
