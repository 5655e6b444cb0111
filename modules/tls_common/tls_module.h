#pragma once
// Shared by every file of the TLS transport: the module instance (the host
// table and our handle for host->log) and how errors reach the operator.
#include <cstdarg>
#include <string>

#include "gantry/module.h"

namespace gantry::tls {

// One per config generation (hooks.instance_new); immutable afterwards, so
// every worker may read it.
struct Module {
  const gantry_host_api_t* host = nullptr;
  gantry_module_t* self = nullptr;
};

void log(const Module* mod, gantry_log_level_t level, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// "file:line" of a config node, or "" when the host cannot say.
std::string where_of(const Module* mod, const gantry_cfg_t* node);

// A place in the config that a message can point at. The node is only valid
// during ctx_new; later (certificate reload) only the text remains.
struct Where {
  const gantry_cfg_t* node = nullptr;
  std::string pos;  // "file:line"
};

// Collects config errors. During ctx_new they go to host->error_at (the host
// prints file:line); during a reload they are logged, since no config call is
// in progress.
class Reporter {
 public:
  // During ctx_new.
  Reporter(const Module* mod, gantry_error_t* err) : mod_(mod), err_(err) {}
  // During a reload: errors are logged at `level`.
  Reporter(const Module* mod, gantry_log_level_t level) : mod_(mod), level_(level) {}

  // Reports the first error only: later ones are usually consequences.
  void error(const Where& at, const std::string& msg);
  void warn(const Where& at, const std::string& msg);
  bool failed() const { return failed_; }
  const std::string& first_error() const { return first_; }

 private:
  const Module* mod_;
  gantry_error_t* err_ = nullptr;
  gantry_log_level_t level_ = GANTRY_LOG_ERROR;
  bool failed_ = false;
  std::string first_;
};

// The error queue of the calling thread as one line (and emptied).
std::string take_ssl_errors();

}  // namespace gantry::tls
