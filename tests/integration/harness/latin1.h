#pragma once
// Test data sets written as JSON carry raw request bytes as text; JSON
// decodes \u00XX escapes to UTF-8, and this turns them back into bytes.
#include <string>

namespace gantry::itest {

// UTF-8 text whose code points are all <= U+00FF, as latin-1 bytes (one byte
// per code point). False when a code point does not fit.
bool utf8_to_latin1(const std::string& utf8, std::string* out);

}  // namespace gantry::itest
