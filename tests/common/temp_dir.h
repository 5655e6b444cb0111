#pragma once
// A scratch directory for unit tests, removed with its contents; shared by
// the module tests that write configs, pattern files and certificates.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gantry::test {

class TempDir {
 public:
  // A fresh directory $TMPDIR/<prefix>-XXXXXX (or under /tmp).
  explicit TempDir(const std::string& prefix = "gantry-test") {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && tmp[0] ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (replacing it) and returns that path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }
  // Replaces path()/name with a copy of `src` by rename, as deploy tools do.
  void replace(const std::string& name, const std::string& src) const {
    std::ifstream in(src, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string tmp = write(name + ".new", data);
    std::filesystem::rename(tmp, path_ + "/" + name);
  }

 private:
  std::string path_;
};

}  // namespace gantry::test
