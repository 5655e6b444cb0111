#pragma once
// Config files written from a template string: every `{{NAME}}` is replaced by
// vars["NAME"]. A placeholder without a value throws, so a typo in a test
// fails loudly instead of producing a config that means something else.
#include <map>
#include <string>

namespace gantry::itest {

using TemplateVars = std::map<std::string, std::string>;

std::string render_template(const std::string& tmpl, const TemplateVars& vars);

}  // namespace gantry::itest
