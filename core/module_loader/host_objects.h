#pragma once
// The host's side of the opaque handles module.h declares for the config
// phase, plus the bits of state the config services need. Internal to
// core/module_loader.
#include <toml++/toml.h>

#include <string>

#include "config/config.h"
#include "gantry/module.h"

// Error sink of one MAIN call (instance_new, scope_new, ctx_new).
struct gantry_error {
  bool set = false;
  gantry_status_t code = GANTRY_OK;
  std::string message;
  const toml::node* node = nullptr;  // from error_at: the value at fault
};

// A module as log() names it. Interned per config name and never freed, so
// a log call racing a generation's teardown still finds its name.
struct gantry_module {
  std::string name;
};

namespace gantry::modules {

gantry_module_t* module_handle(const std::string& config_name);

// The directory cfg_dir() reports: the config being built (MAIN only).
void set_config_dir(const std::string& dir);

// The config whose instances are being built, for backend_index() (MAIN
// only; null outside build_generation).
void set_building_config(const config::Config* cfg);

// `gantry -t`: modules validate but write nothing (check_only()).
void set_check_only(bool on);

}  // namespace gantry::modules
