#include "http/semantics.h"

#include "util/strings.h"

namespace gantry::http {

namespace {
bool fixed_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kFixed[] = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "proxy-authenticate", "proxy-authorization"};
  // Cheap length filter first: most fields are none of these.
  switch (name.size()) {
    case 2: case 7: case 10: case 16: case 17: case 18: case 19: break;
    default: return false;
  }
  for (std::string_view f : kFixed)
    if (iequals(name, f)) return true;
  return false;
}
}  // namespace

HopByHop::HopByHop(const Head& head) {
  for (const HeaderField& h : head.headers) {
    if (!h.name.empty() && h.name.size() == 10 && iequals(h.name, "connection") && n_ < 4)
      connection_[n_++] = h.value;
  }
}

bool HopByHop::operator()(std::string_view name) const {
  if (fixed_hop_by_hop(name)) return true;
  for (int i = 0; i < n_; ++i)
    if (list_has_token(connection_[i], name)) return true;
  return false;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace gantry::http
