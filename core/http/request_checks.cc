#include "http/request_checks.h"

#include <string>

#include "util/strings.h"

namespace gantry::http {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// uri-host [ ":" port ] (RFC 9112 3.2): a reg-name or IPv4 address, or an IP
// literal in brackets, then at most one port of digits. The router and the
// server must read the same host out of it.
bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  std::string_view host = h, port;
  if (h.front() == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : h.substr(1, close - 1)) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == ':' || c == '.';
      if (!ok) return false;
    }
    std::string_view rest = h.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    host = {};
    if (!rest.empty() && port.empty()) return true;  // "[::1]:" (empty port) is allowed
  } else {
    size_t colon = h.find(':');
    if (colon != std::string_view::npos) {
      host = h.substr(0, colon);
      port = h.substr(colon + 1);
    }
    for (char c : host) {
      unsigned char u = static_cast<unsigned char>(c);
      bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
      if (!ok) return false;
    }
  }
  return all_digits(port);
}

// Only visible ASCII in a request target (RFC 3986); raw UTF-8 and controls
// are refused rather than passed to servers that may read them differently.
bool visible_ascii(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

int to_origin_form(Head& req, Arena& arena) {
  std::string_view t = req.target;
  if (t == "*") return req.method == "OPTIONS" ? 0 : 400;
  if (!starts_with_ci(t, "http://") && !starts_with_ci(t, "https://")) return 400;
  size_t s = t.find("//") + 2;
  size_t e = t.find_first_of("/?", s);
  std::string_view authority = t.substr(s, e == std::string_view::npos ? t.npos : e - s);
  // An "http" URI with an empty host is invalid (RFC 9110 4.2.1).
  if (authority.empty() || authority.front() == ':' || authority.find('@') != std::string_view::npos)
    return 400;
  std::string path = e == std::string_view::npos ? "/" : std::string(t.substr(e));
  if (path[0] == '?') path.insert(0, "/");
  req.target = {arena.copy(path.data(), path.size()), path.size()};
  req.set(arena, "Host", authority);
  return 0;
}

}  // namespace

int check_request(Head& req, Arena& arena, const RequestFraming& framing) {
  if (req.version_major != 1) return 505;
  size_t hosts = req.count("host");
  if (hosts > 1 || (req.version_minor >= 1 && hosts == 0)) return 400;
  if (req.method == "CONNECT") return 405;  // a reverse proxy opens no tunnels by CONNECT
  if (req.target.empty()) return 400;
  if (req.target[0] != '/') {
    if (int st = to_origin_form(req, arena); st != 0) return st;
  }
  if (!visible_ascii(req.target)) return 400;
  for (const HeaderField& h : req.headers) {
    for (char c : h.value)
      if (c == '\0' || c == '\r' || c == '\n') return 400;
  }
  if (const HeaderField* host = req.find("host"); host != nullptr && !valid_host(host->value))
    return 400;
  // A Transfer-Encoding that did not become chunked framing (an empty value)
  // must not travel on next to a Content-Length.
  if (req.find("transfer-encoding") != nullptr && !framing.chunked) return 400;
  return 0;
}

}  // namespace gantry::http
