#pragma once
// Shared by every file of the TLS transport: logging through the host, and
// how configuration errors reach the operator.
#include <cstdarg>
#include <string>

#include "gantry/module.hpp"

namespace gantry::tls {

void log(const gantry::Host& host, gantry_log_level_t level, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// A place in the config that a message can point at. The node is only valid
// during transport_new; later (certificate reload) only the text remains.
struct Where {
  gantry::Config node;
  std::string pos;  // "file:line"
};

// Collects config errors. During transport_new the first one is kept and
// raise() throws it (the host prints its file:line); during a reload they
// are logged, since no config call is in progress.
class Reporter {
 public:
  // During transport_new.
  explicit Reporter(const gantry::Host& host) : host_(host), collect_(true) {}
  // During a reload: errors are logged at `level`.
  Reporter(const gantry::Host& host, gantry_log_level_t level) : host_(host), level_(level) {}

  // Reports the first error only: later ones are usually consequences.
  void error(const Where& at, const std::string& msg);
  void warn(const Where& at, const std::string& msg);
  bool failed() const { return failed_; }
  const std::string& first_error() const { return first_; }
  // Throws the first error as a gantry::ConfigError at its node.
  [[noreturn]] void raise() const;

 private:
  gantry::Host host_;
  bool collect_ = false;
  gantry_log_level_t level_ = GANTRY_LOG_ERROR;
  bool failed_ = false;
  std::string first_;
  gantry::Config first_node_;
};

// The error queue of the calling thread as one line (and emptied).
std::string take_ssl_errors();

}  // namespace gantry::tls
