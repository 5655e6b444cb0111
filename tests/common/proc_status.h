#pragma once
// /proc/<pid>/status (or a thread's /proc/<pid>/task/<tid>/status) as a map:
// "Uid" -> "65534\t65534\t65534\t65534", "CapEff" -> "0000000000000400"...
// Shared by the privilege-drop unit and integration tests.
#include <fstream>
#include <map>
#include <string>

namespace gantry::test {

inline std::map<std::string, std::string> proc_status(const std::string& path) {
  std::map<std::string, std::string> fields;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    // The kernel ends some lines (Groups) with a space.
    size_t start = line.find_first_not_of(" \t", colon + 1);
    size_t end = line.find_last_not_of(" \t");
    fields[line.substr(0, colon)] =
        start == std::string::npos ? "" : line.substr(start, end + 1 - start);
  }
  return fields;
}

}  // namespace gantry::test
