#include "harness/http_message.h"

#include <cctype>

namespace gantry::itest {

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string HttpMessage::header(const std::string& name) const {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return h.second;
  return "";
}

bool HttpMessage::has_header(const std::string& name) const { return header_count(name) > 0; }

size_t HttpMessage::header_count(const std::string& name) const {
  size_t n = 0;
  for (const auto& h : headers)
    if (iequals(h.first, name)) ++n;
  return n;
}

std::string HttpMessage::header_list(const std::string& name) const {
  std::string out;
  for (const auto& h : headers) {
    if (!iequals(h.first, name)) continue;
    if (!out.empty()) out += ", ";
    out += h.second;
  }
  return out;
}

std::string HttpMessage::start_line() const {
  auto eol = raw_head.find("\r\n");
  return raw_head.substr(0, eol);
}

std::string reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
  }
}

}  // namespace gantry::itest
