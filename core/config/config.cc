#include "config/config.h"

namespace gantry::config {

std::string SourcePos::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

int Config::backend_index(std::string_view name) const {
  for (size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace gantry::config
