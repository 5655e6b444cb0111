#include "patterns.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace gantry::acl {
namespace {

std::string escape_literal(const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '/' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string to_expression(MatchKind kind, const std::string& text) {
  // \A and \z anchor at the very start and end of the value; '^' and '$'
  // would also accept a trailing newline.
  switch (kind) {
    case MatchKind::kExact:
      return "\\A" + escape_literal(text) + "\\z";
    case MatchKind::kBeg:
      return "\\A" + escape_literal(text);
    case MatchKind::kEnd:
      return escape_literal(text) + "\\z";
    case MatchKind::kSub:
      return escape_literal(text);
    case MatchKind::kReg:
      return text;
    case MatchKind::kDir:
      return "(?:\\A|/)" + escape_literal(text) + "(?:/|\\z)";
    case MatchKind::kDom:
      return "(?:\\A|\\.)" + escape_literal(text) + "\\z";
  }
  return text;
}

bool read_pattern_file(const std::string& path, std::vector<FileLine>* out, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = "cannot open pattern file " + path + ": " + std::strerror(errno);
    return false;
  }
  std::string line;
  uint32_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    size_t b = 0;
    size_t e = line.size();
    while (b < e && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(line[e - 1]))) --e;
    if (b == e || line[b] == '#') continue;
    out->push_back({line.substr(b, e - b), n});
  }
  if (in.bad()) {
    *why = "error reading pattern file " + path;
    return false;
  }
  return true;
}

}  // namespace gantry::acl
