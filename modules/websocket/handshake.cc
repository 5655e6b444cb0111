#include "handshake.h"

#include <cstring>
#include <string>

namespace gantry::websocket {
namespace {

gantry_str_t lit(const char* s) { return {s, std::strlen(s)}; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(const char* a, size_t an, const char* b, size_t bn) {
  if (an != bn) return false;
  for (size_t i = 0; i < an; ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

gantry_str_t trim(gantry_str_t v) {
  while (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[0] == '\t')) {
    ++v.ptr;
    --v.len;
  }
  while (v.len > 0 && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t')) --v.len;
  return v;
}

bool list_has_token(gantry_str_t list, gantry_str_t token) {
  size_t start = 0;
  for (size_t i = 0; i <= list.len; ++i) {
    if (i < list.len && list.ptr[i] != ',') continue;
    gantry_str_t item = trim({list.ptr + start, i - start});
    if (iequal(item.ptr, item.len, token.ptr, token.len)) return true;
    start = i + 1;
  }
  return false;
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// The single value of a header that must appear once; false if absent or repeated.
bool single_header(const gantry_host_api_t* host, gantry_stream_t* s, const char* name,
                   gantry_str_t* out) {
  if (host->req_header_get(s, lit(name), 0, out) != GANTRY_OK) return false;
  gantry_str_t extra{};
  if (host->req_header_get(s, lit(name), 1, &extra) == GANTRY_OK) return false;
  *out = trim(*out);
  return true;
}

// "https://*.example.com" matches "https://a.example.com" and deeper
// subdomains, not "https://example.com" itself.
bool origin_matches(const std::string& pattern, const char* o, size_t n) {
  size_t star = pattern.find("://*.");
  if (star == std::string::npos) return iequal(pattern.data(), pattern.size(), o, n);
  size_t scheme = star + 3;  // through "://"
  std::string suffix = pattern.substr(scheme + 1);  // ".example.com[:port]"
  if (n <= scheme + suffix.size()) return false;
  if (!iequal(pattern.data(), scheme, o, scheme)) return false;
  return iequal(suffix.data(), suffix.size(), o + n - suffix.size(), suffix.size());
}

}  // namespace

bool header_has_token(const gantry_host_api_t* host, gantry_stream_t* s, gantry_str_t name,
                      gantry_str_t token) {
  gantry_str_t v{};
  for (size_t i = 0; host->req_header_get(s, name, i, &v) == GANTRY_OK; ++i)
    if (list_has_token(v, token)) return true;
  return false;
}

bool valid_key(gantry_str_t v) {
  if (v.len != 24 || v.ptr[22] != '=' || v.ptr[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (!base64_char(v.ptr[i])) return false;
  return true;
}

bool origin_allowed(const Settings& settings, gantry_str_t origin) {
  if (settings.allowed_origins.empty()) return true;
  origin = trim(origin);
  for (const std::string& allowed : settings.allowed_origins)
    if (origin_matches(allowed, origin.ptr, origin.len)) return true;
  return false;
}

Refusal check_handshake(const gantry_host_api_t* host, gantry_stream_t* s,
                        const Settings& settings) {
  gantry_str_t method = host->req_method(s);
  if (method.len != 3 || std::memcmp(method.ptr, "GET", 3) != 0)  // methods are case-sensitive
    return {400, "method", "websocket: the opening handshake must be a GET"};
  if (host->req_version(s) != 11)
    return {400, "http_version", "websocket: the opening handshake needs HTTP/1.1"};
  if (!header_has_token(host, s, lit("connection"), lit("upgrade")))
    return {400, "connection", "websocket: Connection must include \"upgrade\""};
  gantry_str_t key{};
  if (!single_header(host, s, "sec-websocket-key", &key))
    return {400, "key_missing", "websocket: exactly one Sec-WebSocket-Key is required"};
  if (!valid_key(key))
    return {400, "key_invalid", "websocket: Sec-WebSocket-Key must be 16 bytes in base64"};
  gantry_str_t version{};
  if (!single_header(host, s, "sec-websocket-version", &version) || version.len != 2 ||
      std::memcmp(version.ptr, "13", 2) != 0)
    return {426, "version", "websocket: only version 13 is supported"};
  gantry_str_t origin{};
  if (host->req_header_get(s, lit("origin"), 0, &origin) == GANTRY_OK &&
      !origin_allowed(settings, origin))
    return {403, "origin", "websocket: origin not allowed"};
  return {};
}

void send_refusal(const gantry_host_api_t* host, gantry_stream_t* s, const Refusal& r) {
  std::string body = std::string(r.message) + "\n";
  gantry_header_t headers[3];
  size_t n = 0;
  headers[n++] = {lit("Content-Type"), lit("text/plain")};
  if (r.status == 426) {
    // RFC 6455 4.4: name the versions we speak; RFC 9110 15.5.22: and the protocol.
    headers[n++] = {lit("Sec-WebSocket-Version"), lit("13")};
    headers[n++] = {lit("Upgrade"), lit("websocket")};
  }
  host->log_note(s, lit("ws_refused"), lit(r.reason));
  host->respond(s, r.status, headers, n, {body.data(), body.size()});
}

}  // namespace gantry::websocket
