#pragma once
// pid_file: the serving process's id in a file, for scripts and init systems
// that find gantry by file (nginx's `pid`, HAProxy's `-p`). It is written
// whole under a temporary name and renamed, so a reader never sees half a
// number. After a binary upgrade the new process writes it before the old
// one stops; the old one removes it at exit only if it still names itself.
#include <string>

namespace gantry::service {

// Writes this process's id to `path`; false with *why otherwise.
bool write_pid_file(const std::string& path, std::string* why);
// Removes `path` if it holds this process's id.
void remove_own_pid_file(const std::string& path);

}  // namespace gantry::service
