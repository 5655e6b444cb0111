#include "service/pid_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gantry::service {

bool write_pid_file(const std::string& path, std::string* why) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    *why = "cannot write pid_file '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fprintf(f, "%ld\n", static_cast<long>(::getpid())) > 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    *why = "cannot write pid_file '" + path + "': " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

void remove_own_pid_file(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid != static_cast<long>(::getpid())) return;
  std::remove(path.c_str());
}

}  // namespace gantry::service
