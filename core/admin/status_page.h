#pragma once
// The status page served at /: one HTML document with its script inline (no
// external assets) that reads /api/backends and /api/generation every few
// seconds and changes servers through the API with a token the user types.
#include <string>

namespace gantry::admin {

const std::string& status_page_html();

}  // namespace gantry::admin
