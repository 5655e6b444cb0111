#pragma once
// How a written pattern becomes a Hyperscan expression, and pattern files.
#include <cstdint>
#include <string>
#include <vector>

#include "gantry/module.hpp"

namespace gantry::acl {

// How a string predicate compares its patterns with the field.
enum class MatchKind : uint8_t {
  kExact,  // whole value equals the pattern
  kBeg,    // value starts with it
  kEnd,    // value ends with it
  kSub,    // value contains it
  kReg,    // Hyperscan regex, unanchored unless it anchors itself
  kDir,    // a '/'-delimited part of the value equals it
  kDom,    // value equals it or ends with "." + it (a domain and its subdomains)
};

// One expression handed to hs_compile_multi.
struct Pattern {
  std::string expr;   // Hyperscan syntax
  uint32_t flags = 0;  // HS_FLAG_*
  uint32_t id = 0;     // predicate index: all patterns of a predicate share it
  // For error messages and the cache key:
  std::string written;  // the pattern as written
  std::string origin;   // "file.lst:12" for file patterns, else empty
  std::string acl;      // ACL name
  gantry::Config node;  // config node to report errors at (valid while loading)
};

// The Hyperscan expression for `text` matched as `kind`. Literals are
// escaped byte by byte so no character has regex meaning.
std::string to_expression(MatchKind kind, const std::string& text);

struct FileLine {
  std::string text;
  uint32_t line = 0;
};

// Reads one pattern per line, HAProxy `-f` style: surrounding blanks are
// trimmed, empty lines and lines whose first non-blank is '#' are skipped.
bool read_pattern_file(const std::string& path, std::vector<FileLine>* out, std::string* why);

}  // namespace gantry::acl
