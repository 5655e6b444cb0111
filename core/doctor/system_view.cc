#include "doctor/system_view.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gantry::doctor {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// "unlimited" or a number.
bool parse_limit(const std::string& text, uint64_t* out) {
  if (text == "unlimited") {
    *out = UINT64_MAX;
    return true;
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

SystemView::SystemView(std::string root) : root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string SystemView::under_root(const std::string& path) const { return root_ + path; }

std::string SystemView::sysctl_path(const std::string& key) const {
  std::string rel = key;
  for (char& c : rel) {
    if (c == '.') c = '/';
  }
  return "/proc/sys/" + rel;
}

std::optional<std::string> SystemView::read(const std::string& path) const {
  std::ifstream f(under_root(path));
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return trim(ss.str());
}

std::optional<std::string> SystemView::sysctl(const std::string& key) const {
  auto text = read(sysctl_path(key));
  if (!text) return std::nullopt;
  // Multi-value sysctls (ip_local_port_range) are tab-separated: show them
  // the way `sysctl -w` takes them.
  std::string out;
  std::istringstream in(*text);
  std::string word;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::optional<int64_t> SystemView::sysctl_int(const std::string& key) const {
  auto text = sysctl(key);
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(text->c_str(), &end, 10);
  if (end == text->c_str() || *end != '\0') return std::nullopt;
  return v;
}

bool SystemView::exists(const std::string& path) const {
  struct stat st;
  return ::stat(under_root(path).c_str(), &st) == 0;
}

bool SystemView::nofile_limit(uint64_t* soft, uint64_t* hard) const {
  if (auto limits = read("/proc/self/limits")) {
    std::istringstream in(*limits);
    std::string line;
    const std::string name = "Max open files";
    while (std::getline(in, line)) {
      if (line.compare(0, name.size(), name) != 0) continue;
      std::istringstream fields(line.substr(name.size()));
      std::string s, h;
      if (fields >> s >> h && parse_limit(s, soft) && parse_limit(h, hard)) return true;
    }
  }
  if (!root_.empty()) return false;  // a fake tree without limits: do not mix in our own
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  *soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
  *hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
  return true;
}

}  // namespace gantry::doctor
