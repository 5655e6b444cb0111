#pragma once
// A temporary directory laid out like / with the /proc and /sys files the
// doctor reads, plus a config file.
#include <memory>
#include <string>

#include "config/config.h"

namespace doctor_test {

class FakeRoot {
 public:
  FakeRoot();
  ~FakeRoot();
  FakeRoot(const FakeRoot&) = delete;
  FakeRoot& operator=(const FakeRoot&) = delete;

  const std::string& dir() const { return dir_; }
  // Writes <dir>/<rel> (creating parents).
  void write(const std::string& rel, const std::string& text) const;
  void sysctl(const std::string& key, const std::string& value) const;
  void remove(const std::string& rel) const;

  // A machine that needs everything fixed for the "big" config below.
  void lay_untuned_vm() const;
  // The same machine after the operator applied the advice, on bare metal.
  void lay_tuned_metal() const;

 private:
  std::string dir_;
};

// workers = 2, max_connections = 20000, backlog 1024, socket_tuning with
// fastopen on the listener and the backend, one non-loopback server.
std::string big_config_text();
// Writes `text` to <dir>/gantry.toml and returns its path.
std::string write_config(const FakeRoot& root, const std::string& text);
std::shared_ptr<const gantry::config::Config> load(const std::string& path);

}  // namespace doctor_test
