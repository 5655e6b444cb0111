#include "harness/latin1.h"

namespace gantry::itest {

bool utf8_to_latin1(const std::string& utf8, std::string* out) {
  out->clear();
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      *out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      unsigned cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp > 0xFF) return false;
      *out += static_cast<char>(cp);
      i += 2;
    } else {
      return false;  // three- and four-byte sequences are above U+00FF
    }
  }
  return true;
}

}  // namespace gantry::itest
