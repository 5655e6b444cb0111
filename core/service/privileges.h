#pragma once
// Dropping root once the listening sockets exist (top-level `user` and
// `group`). The process keeps one capability, CAP_NET_BIND_SERVICE, when it
// had it, so a reload can still bind a new port below 1024; everything else
// is gone for good and the switch is verified before gantry serves.
#include <string>

#include "config/config.h"

namespace gantry::service {

// What the process holds after drop_privileges, as the kernel reports it.
struct Credentials {
  uint32_t ruid = 0, euid = 0, suid = 0;
  uint32_t rgid = 0, egid = 0, sgid = 0;
  bool keeps_bind_service = false;  // CAP_NET_BIND_SERVICE permitted and effective
};

// Switches the calling process to `as` (a no-op when neither key is set).
// Caps are per thread: call it before any thread that must not keep them
// starts; uid and gid changes reach every thread (glibc's setxid).
// Returns "" on success, else why the switch failed; the process must then
// not serve, since it may hold privileges it was told to give up.
std::string drop_privileges(const config::RunAs& as, Credentials* after = nullptr);

// Logs a warning when a reload asks for another user or group: the running
// process cannot become someone else, only a restart can.
void warn_if_identity_changed(const config::RunAs& running, const config::RunAs& wanted);

}  // namespace gantry::service
