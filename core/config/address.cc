#include "config/address.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace gantry::config {
namespace {

bool parse_port(std::string_view text, long* port) {
  if (text.empty() || text.size() > 5) return false;
  long v = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *port = v;
  return true;
}

}  // namespace

bool parse_address(std::string_view text, bool allow_port_zero, Address* out, std::string* why) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *why = "cannot parse address " + quoted + " (IPv6 form is \"[::1]:port\")";
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *why = "cannot parse address " + quoted + " (expected host:port)";
      return false;
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  long port = 0;
  if (!parse_port(port_text, &port)) {
    *why = "cannot parse address " + quoted;
    return false;
  }
  long lowest = allow_port_zero ? 0 : 1;
  if (port < lowest || port > 65535) {
    *why = "port " + std::to_string(port) + " of " + quoted + " is out of range " +
           std::to_string(lowest) + "..65535";
    return false;
  }

  Address a;
  a.text = std::string(text);
  if (!v6 && host == "localhost") host = "127.0.0.1";
  if (v6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) != 1) {
      *why = "cannot parse address " + quoted;
      return false;
    }
    std::memcpy(&a.sa, &sin6, sizeof sin6);
    a.len = sizeof sin6;
  } else {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) {
      // Host names other than localhost are not resolved: a config load must
      // not block on DNS, and a name that resolves differently per reload is
      // a surprise in a proxy.
      *why = "cannot parse address " + quoted +
             " (use an IPv4 address, [IPv6] or localhost; names are not resolved)";
      return false;
    }
    std::memcpy(&a.sa, &sin, sizeof sin);
    a.len = sizeof sin;
  }
  *out = a;
  return true;
}

}  // namespace gantry::config
