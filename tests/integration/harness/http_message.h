#pragma once
// One parsed HTTP/1.x message as seen on the wire: a request (what a backend
// received) or a response (what a client received).
#include <string>
#include <utility>
#include <vector>

namespace gantry::itest {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpMessage {
  // Request line (requests only).
  std::string method;
  std::string target;
  // Status line (responses only).
  int status = 0;
  std::string reason;

  std::string version;  // "HTTP/1.1"
  HeaderList headers;   // in wire order, names as sent, values trimmed
  HeaderList trailers;  // chunked trailer fields
  std::string body;     // decoded (de-chunked) body
  bool chunked = false;  // body arrived chunked
  bool complete = false;  // the whole message (head and body) arrived
  std::string raw_head;  // the head bytes exactly as received, incl. final CRLFCRLF

  // First value of a header (case-insensitive name), "" when absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
  size_t header_count(const std::string& name) const;
  // All values of a header joined with ", " (the list form).
  std::string header_list(const std::string& name) const;
  // Shorthand: the first line of the head.
  std::string start_line() const;
};

bool iequals(const std::string& a, const std::string& b);
std::string to_lower(std::string s);
std::string reason_phrase(int status);

}  // namespace gantry::itest
