#include "exchange/router.h"

#include "util/strings.h"

namespace gantry::exchange {
namespace {

std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t e = host.find(']');
    return e == std::string_view::npos ? host : host.substr(0, e + 1);
  }
  size_t c = host.rfind(':');
  return c == std::string_view::npos ? host : host.substr(0, c);
}

}  // namespace

RouteResult route(const config::Config& cfg, const http::Head& req, std::string_view path) {
  RouteResult r;
  if (cfg.routes.empty()) {
    r.backend = cfg.backends.empty() ? -1 : 0;
    return r;
  }
  const http::HeaderField* host = req.find("host");
  std::string_view hostname = host ? host_without_port(host->value) : std::string_view();
  for (const config::Route& rule : cfg.routes) {
    if (!rule.path_prefix.empty() && path.substr(0, rule.path_prefix.size()) != rule.path_prefix)
      continue;
    if (!rule.host.empty() && !iequals(hostname, rule.host)) continue;
    if (rule.has_respond) {
      r.respond = &rule.respond;
    } else {
      r.backend = rule.backend;
    }
    return r;
  }
  return r;
}

}  // namespace gantry::exchange
