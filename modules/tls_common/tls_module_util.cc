#include <cstdio>

#include "tls_compat.h"
#include "tls_module.h"

namespace gantry::tls {

void log(const gantry::Host& host, gantry_log_level_t level, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  host.log(level, buf);
}

void Reporter::error(const Where& at, const std::string& msg) {
  if (failed_) return;
  failed_ = true;
  first_ = msg;
  if (collect_) {
    first_node_ = at.node;
    return;
  }
  if (at.pos.empty()) {
    log(host_, level_, "%s", msg.c_str());
  } else {
    log(host_, level_, "%s: %s", at.pos.c_str(), msg.c_str());
  }
}

void Reporter::raise() const { throw gantry::ConfigError(first_node_.node(), first_); }

void Reporter::warn(const Where& at, const std::string& msg) {
  if (at.pos.empty()) {
    log(host_, GANTRY_LOG_WARN, "%s", msg.c_str());
  } else {
    log(host_, GANTRY_LOG_WARN, "%s: %s", at.pos.c_str(), msg.c_str());
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
