#pragma once
// TOML -> validated, immutable Config. Every error message has the form
// "file:line:col: key.path: what is wrong" so an operator can jump to it.
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "util/result.h"

namespace gantry::config {

// Reads and validates the config file at `path`. Keys owned by modules
// ([module.config], [listener.<module>], tls tables) are checked later by
// modules::build_generation, which knows what each module declares.
Result<std::shared_ptr<const Config>> load_config(const std::string& path);

// The same from text; `source_name` stands in for the file name in messages
// and its directory resolves relative paths (tests, fuzzing).
Result<std::shared_ptr<const Config>> load_config_text(std::string_view text,
                                                       const std::string& source_name);

// <dir of /proc/self/exe>/modules if it exists, else GANTRY_INSTALL_MODULES_DIR.
std::string default_modules_dir();

}  // namespace gantry::config
