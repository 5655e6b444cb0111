#include "harness/config_template.h"

#include <stdexcept>

namespace gantry::itest {

std::string render_template(const std::string& tmpl, const TemplateVars& vars) {
  std::string out;
  out.reserve(tmpl.size());
  size_t pos = 0;
  while (true) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) throw std::runtime_error("unterminated {{ in template");
    out.append(tmpl, pos, open - pos);
    std::string name = tmpl.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    if (it == vars.end()) throw std::runtime_error("template placeholder without value: " + name);
    out += it->second;
    pos = close + 2;
  }
  out.append(tmpl, pos, std::string::npos);
  return out;
}

}  // namespace gantry::itest
