#pragma once
// Reads /proc and /sys below a root directory, so tests can point the
// doctor at a fake tree. An empty root means the real one.
#include <cstdint>
#include <optional>
#include <string>

namespace gantry::doctor {

class SystemView {
 public:
  explicit SystemView(std::string root);

  // "net.ipv4.tcp_tw_reuse" -> <root>/proc/sys/net/ipv4/tcp_tw_reuse
  std::string sysctl_path(const std::string& key) const;
  // The file's text with surrounding whitespace trimmed; nullopt if unreadable.
  std::optional<std::string> read(const std::string& path) const;
  std::optional<std::string> sysctl(const std::string& key) const;
  std::optional<int64_t> sysctl_int(const std::string& key) const;
  bool exists(const std::string& path) const;
  // Soft and hard RLIMIT_NOFILE: <root>/proc/self/limits, else getrlimit().
  bool nofile_limit(uint64_t* soft, uint64_t* hard) const;
  const std::string& root() const { return root_; }

 private:
  std::string under_root(const std::string& path) const;
  std::string root_;
};

}  // namespace gantry::doctor
