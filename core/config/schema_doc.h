#pragma once
// The schema as documentation: the key tables of docs/config.md and the
// `gantry config-keys` command that prints them.
#include <cstdio>
#include <string>

#include "config/schema.h"

namespace gantry::config::schema {

// The Markdown table of one schema table, between its marker comments:
//   <!-- config-keys: timeouts -->  ...  <!-- /config-keys -->
std::string markdown_block(const TableDoc& t);

// `doc` with the text between every pair of markers replaced by the current
// table. Fails (returns false, sets *why) on a marker naming no table, a
// marker without its end, or a table that has no block in `doc`.
bool splice_markdown(const std::string& doc, std::string* out, std::string* why);

// The command that regenerates docs/config.md, run from the source tree.
constexpr const char* kRegenerateDocs =
    "build/gantry config-keys --markdown docs/config.md > docs/config.md.new && "
    "mv docs/config.md.new docs/config.md";

// gantry config-keys [--markdown [FILE]]: argv[0] is "config-keys".
int config_keys_cli(int argc, char** argv, FILE* out, FILE* err);

}  // namespace gantry::config::schema
