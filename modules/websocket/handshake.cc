#include "handshake.h"

#include <string>

namespace gantry::websocket {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool list_has_token(std::string_view list, std::string_view token) {
  size_t start = 0;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size() && list[i] != ',') continue;
    if (iequal(trim(list.substr(start, i - start)), token)) return true;
    start = i + 1;
  }
  return false;
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// The single value of a header that must appear once; false if absent or repeated.
bool single_header(const gantry::Request& req, std::string_view name, std::string_view* out) {
  std::optional<std::string_view> v = req.header(name);
  if (!v || req.header(name, 1)) return false;
  *out = trim(*v);
  return true;
}

// "https://*.example.com" matches "https://a.example.com" and deeper
// subdomains, not "https://example.com" itself.
bool origin_matches(const std::string& pattern, std::string_view o) {
  size_t star = pattern.find("://*.");
  if (star == std::string::npos) return iequal(pattern, o);
  size_t scheme = star + 3;  // through "://"
  std::string_view suffix = std::string_view(pattern).substr(scheme + 1);  // ".example.com[:port]"
  if (o.size() <= scheme + suffix.size()) return false;
  if (!iequal(std::string_view(pattern).substr(0, scheme), o.substr(0, scheme))) return false;
  return iequal(suffix, o.substr(o.size() - suffix.size()));
}

}  // namespace

bool header_has_token(const gantry::Request& req, std::string_view name, std::string_view token) {
  for (size_t i = 0;; ++i) {
    std::optional<std::string_view> v = req.header(name, i);
    if (!v) return false;
    if (list_has_token(*v, token)) return true;
  }
}

bool valid_key(std::string_view v) {
  if (v.size() != 24 || v[22] != '=' || v[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (!base64_char(v[i])) return false;
  return true;
}

bool origin_allowed(const Settings& settings, std::string_view origin) {
  if (settings.allowed_origins.empty()) return true;
  origin = trim(origin);
  for (const std::string& allowed : settings.allowed_origins)
    if (origin_matches(allowed, origin)) return true;
  return false;
}

Refusal check_handshake(const gantry::Request& req, const Settings& settings) {
  if (req.method() != "GET")  // methods are case-sensitive
    return {400, "method", "websocket: the opening handshake must be a GET"};
  if (req.version() != 11)
    return {400, "http_version", "websocket: the opening handshake needs HTTP/1.1"};
  if (!header_has_token(req, "connection", "upgrade"))
    return {400, "connection", "websocket: Connection must include \"upgrade\""};
  std::string_view key;
  if (!single_header(req, "sec-websocket-key", &key))
    return {400, "key_missing", "websocket: exactly one Sec-WebSocket-Key is required"};
  if (!valid_key(key))
    return {400, "key_invalid", "websocket: Sec-WebSocket-Key must be 16 bytes in base64"};
  std::string_view version;
  if (!single_header(req, "sec-websocket-version", &version) || version != "13")
    return {426, "version", "websocket: only version 13 is supported"};
  std::optional<std::string_view> origin = req.header("origin");
  if (origin && !origin_allowed(settings, *origin))
    return {403, "origin", "websocket: origin not allowed"};
  return {};
}

void send_refusal(const gantry::Request& req, const Refusal& r) {
  std::string body = std::string(r.message) + "\n";
  req.log_note("ws_refused", r.reason);
  if (r.status == 426) {
    // RFC 6455 4.4: name the versions we speak; RFC 9110 15.5.22: and the protocol.
    req.respond(r.status,
                {{"Content-Type", "text/plain"}, {"Sec-WebSocket-Version", "13"}, {"Upgrade", "websocket"}},
                body);
    return;
  }
  req.respond(r.status, {{"Content-Type", "text/plain"}}, body);
}

}  // namespace gantry::websocket
