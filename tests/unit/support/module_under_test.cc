#include "module_under_test.h"

#include <cstdlib>
#include <fstream>
#include <vector>

#include "config/loader.h"
#include "module_loader/generation.h"

namespace gantry::unit_test {
namespace {

// The test-side object behind the opaque gantry_error_t pointer.
struct ErrorSink {
  std::string message;
};

void sink_error_set(gantry_error_t* err, gantry_status_t, const char* msg) {
  reinterpret_cast<ErrorSink*>(err)->message = msg;
}

void sink_error_at(gantry_error_t* err, const gantry_cfg_t* node, gantry_status_t,
                   const char* msg) {
  const char* file = "?";
  uint32_t line = 0;
  uint32_t col = 0;
  modules::host_api()->cfg_where(node, &file, &line, &col);
  reinterpret_cast<ErrorSink*>(err)->message =
      std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + msg;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && tmp[0] ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

void use_error_sink(gantry_host_api_t* api) {
  api->error_set = sink_error_set;
  api->error_at = sink_error_at;
}

bool ModuleUnderTest::load(const std::string& config_path, const gantry_host_api_t* host,
                           const gantry_module_desc_t* direct) {
  unload();
  error_.clear();
  auto cfg = config::load_config(config_path);
  if (!cfg.ok()) {
    error_ = cfg.error();
    return false;
  }
  config_ = *cfg;
  gantry_module_t* self = nullptr;
  if (direct != nullptr) {
    hooks_ = *direct->hooks;
  } else {
    auto gen = modules::build_generation(*cfg);
    if (!gen.ok()) {
      error_ = gen.error();
      return false;
    }
    generation_ = *gen;
    const modules::Instance& in = (*gen)->instances.at(0);
    hooks_ = in.hooks;
    self = in.self;
  }
  ErrorSink err;
  gantry_status_t rc = hooks_.instance_new(host, self, (*cfg)->modules.at(0).config, &inst_,
                                           reinterpret_cast<gantry_error_t*>(&err));
  if (rc != GANTRY_OK) {
    inst_ = nullptr;
    error_ = err.message;
    return false;
  }
  return true;
}

void ModuleUnderTest::unload() {
  if (inst_ != nullptr) hooks_.instance_free(inst_);
  inst_ = nullptr;
  generation_.reset();
  config_.reset();
}

}  // namespace gantry::unit_test
