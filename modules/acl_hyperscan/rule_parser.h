#pragma once
// Reads the module's [module.config] table: [[acl]] tables become predicates
// and per-field pattern lists, [[rule]] tables become rules with parsed
// conditions. Errors are reported at the offending node (file:line).
#include <vector>

#include "acl_config.h"
#include "config_reader.h"
#include "patterns.h"

namespace gantry::acl {

// patterns[f] receives the patterns of field f of out->fields.
// False after recording the first error in `reader`.
bool parse_module_config(const CfgReader& reader, const gantry::Config& config, AclConfig* out,
                         std::vector<std::vector<Pattern>>* patterns);

}  // namespace gantry::acl
