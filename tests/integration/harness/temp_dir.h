#pragma once
// A private scratch directory per test, removed with everything in it when the
// test ends (kept when GANTRY_ITEST_KEEP_TMP is set, to look at logs).
#include <string>

namespace gantry::itest {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Absolute path of `name` inside the directory (not created).
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` (creating parent folders) and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

bool write_file(const std::string& path, const std::string& content);
// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);
bool make_dirs(const std::string& path);

}  // namespace gantry::itest
