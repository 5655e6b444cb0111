#include "module_loader/list_modules.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "config/cfg_node.h"
#include "module_loader/loaded_module.h"

namespace gantry::modules {
namespace {

std::vector<std::string> shared_objects(const std::string& dir, int* err) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *err = errno;
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void print_module(const LoadedModule& m, FILE* out) {
  const gantry_module_desc_t& d = m.desc;
  std::fprintf(out, "  name:         %s\n", d.name);
  std::fprintf(out, "  version:      %s\n", d.version ? d.version : "-");
  if (d.description) std::fprintf(out, "  description:  %s\n", d.description);
  std::fprintf(out, "  abi:          %u.%u (needs host >= %u.%u)\n", d.abi_major, d.abi_minor,
               d.abi_major, d.min_host_minor);
  std::fprintf(out, "  capabilities: %s\n", capability_names(d.capabilities).c_str());
  if (m.has_transport) std::fprintf(out, "  transport:    %s\n", m.transport.name);
  if (m.keys.empty()) {
    std::fprintf(out, "  config keys:  none\n");
    return;
  }
  std::fprintf(out, "  config keys:\n");
  for (const gantry_config_key_t& k : m.keys) {
    std::fprintf(out, "    %-10s %-22s %-8s %-9s %s\n", scope_name(k.scope), k.name,
                 config::cfg_type_name(k.type), k.required ? "required" : "optional",
                 k.doc ? k.doc : "");
  }
}

}  // namespace

int list_modules_cli(const std::string& dir, FILE* out) {
  int err = 0;
  std::vector<std::string> files = shared_objects(dir, &err);
  if (err != 0) {
    std::fprintf(out, "%s: cannot read directory: %s\n", dir.c_str(), std::strerror(err));
    return 2;
  }
  if (files.empty()) std::fprintf(out, "%s: no modules (*.so)\n", dir.c_str());
  int rc = 0;
  for (const std::string& f : files) {
    std::string path = dir + "/" + f;
    std::fprintf(out, "%s\n", path.c_str());
    Result<const LoadedModule*> m = load_module(path);
    if (!m) {
      std::fprintf(out, "  NOT LOADABLE: %s\n", m.error().c_str());
      rc = 1;
      continue;
    }
    print_module(**m, out);
  }
  return rc;
}

}  // namespace gantry::modules
