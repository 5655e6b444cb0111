#pragma once
// What module unit tests share: a scratch directory, an error sink behind the
// opaque gantry_error_t, and one module instance created from a real gantry
// config the way the core creates it (TOML loader, module loader, then
// instance_new with the host API the test provides).
#include <memory>
#include <string>

#include "gantry/module.h"

namespace gantry::unit_test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns that path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Points error_set/error_at of `api` at a sink that keeps the message, with
// error_at prefixed "file:line:col: " as the core does.
void use_error_sink(gantry_host_api_t* api);

class ModuleUnderTest {
 public:
  ModuleUnderTest() = default;
  ~ModuleUnderTest() { unload(); }
  ModuleUnderTest(const ModuleUnderTest&) = delete;
  ModuleUnderTest& operator=(const ModuleUnderTest&) = delete;

  // Loads the gantry config at `config_path` (exactly one [[module]]) and
  // creates the module's instance with `host`. By default the module comes
  // from the core's module loader; with `direct` its hooks come from that
  // descriptor instead (no generation, a null module handle). False with
  // error() set when the loaders or the module refuse.
  bool load(const std::string& config_path, const gantry_host_api_t* host,
            const gantry_module_desc_t* direct = nullptr);
  void unload();

  const std::string& error() const { return error_; }
  const gantry_hooks_t& hooks() const { return hooks_; }
  void* inst() const { return inst_; }

 private:
  std::string error_;
  gantry_hooks_t hooks_{};
  void* inst_ = nullptr;
  std::shared_ptr<const void> config_;      // keeps the config nodes alive
  std::shared_ptr<const void> generation_;  // the core's generation, if built
};

}  // namespace gantry::unit_test
