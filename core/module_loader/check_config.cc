#include "module_loader/check_config.h"

#include "config/loader.h"
#include "module_loader/generation.h"
#include "module_loader/host_objects.h"

namespace gantry::modules {

int check_config_cli(const std::string& path, FILE* out) {
  auto cfg = config::load_config(path);
  if (!cfg) {
    std::fprintf(out, "%s\n", cfg.error().c_str());
    return 1;
  }
  set_check_only(true);  // modules validate, but write no cache and start nothing
  auto gen = build_generation(*cfg);
  if (!gen) {
    std::fprintf(out, "%s\n", gen.error().c_str());
    return 1;
  }
  const config::Config& c = **cfg;
  std::fprintf(out, "%s: configuration is valid (%zu listeners, %zu backends, %zu modules)\n",
               path.c_str(), c.listeners.size(), c.backends.size(), c.modules.size());
  return 0;
}

}  // namespace gantry::modules
