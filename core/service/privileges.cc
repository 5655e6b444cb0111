#include "service/privileges.h"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/log.h"

namespace gantry::service {
namespace {

// libcap's cap_t, freed with cap_free.
using CapSet = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;

CapSet current_caps() { return CapSet(cap_get_proc(), cap_free); }

bool has_cap(cap_t caps, cap_value_t cap, cap_flag_t flag) {
  cap_flag_value_t v = CAP_CLEAR;
  return caps != nullptr && cap_get_flag(caps, cap, flag, &v) == 0 && v == CAP_SET;
}

std::string failed(const char* step) { return std::string(step) + ": " + std::strerror(errno); }

// Limits what any program this process might ever execute could gain
// through file capabilities to CAP_NET_BIND_SERVICE. Needs CAP_SETPCAP;
// under a systemd unit whose CapabilityBoundingSet is already narrow the
// process lacks it, and the manager has done this part.
void narrow_bounding_set(cap_t caps) {
  if (!has_cap(caps, CAP_SETPCAP, CAP_EFFECTIVE)) return;
  for (cap_value_t c = 0; c < static_cast<cap_value_t>(cap_max_bits()); ++c) {
    if (c != CAP_NET_BIND_SERVICE) cap_drop_bound(c);
  }
}

// Permitted and effective become CAP_NET_BIND_SERVICE or nothing; the
// inheritable and ambient sets become empty, so no child inherits it.
std::string set_final_caps(bool keep_bind) {
  CapSet caps(cap_init(), cap_free);
  if (!caps) return failed("cap_init");
  if (keep_bind) {
    const cap_value_t bind[] = {CAP_NET_BIND_SERVICE};
    cap_set_flag(caps.get(), CAP_PERMITTED, 1, bind, CAP_SET);
    cap_set_flag(caps.get(), CAP_EFFECTIVE, 1, bind, CAP_SET);
  }
  if (cap_set_proc(caps.get()) != 0) return failed("capset");
  if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) return failed("cap_reset_ambient");
  return "";
}

// Reads back what the kernel holds and refuses anything but the asked-for
// identity with at most CAP_NET_BIND_SERVICE, including a way back to root.
std::string verify(const config::RunAs& as, uid_t uid, gid_t gid, Credentials* out) {
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0) return failed("getresuid");
  *out = Credentials{r, e, s, rg, eg, sg, false};
  if (as.set_uid && (r != uid || e != uid || s != uid)) return "user ids did not all change";
  if (as.set_gid && (rg != gid || eg != gid || sg != gid)) return "group ids did not all change";
  gid_t groups[2];
  int n = getgroups(2, groups);
  if (as.set_gid && (n < 0 || n > 1 || (n == 1 && groups[0] != gid))) {
    return "supplementary groups were not reset";
  }
  if (uid == 0) return "";
  // The same check OpenSSH makes: if root can be regained, it was not dropped.
  if (setuid(0) == 0 || seteuid(0) == 0) return "root can be regained after setuid";
  if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) return "group 0 can be regained";
  CapSet caps = current_caps();
  if (!caps) return failed("cap_get_proc");
  for (cap_value_t c = 0; c < static_cast<cap_value_t>(cap_max_bits()); ++c) {
    if (c != CAP_NET_BIND_SERVICE && has_cap(caps.get(), c, CAP_PERMITTED)) {
      char* name = cap_to_name(c);
      std::string what = std::string("capability ") + (name ? name : "?") + " is still permitted";
      cap_free(name);
      return what;
    }
  }
  out->keeps_bind_service = has_cap(caps.get(), CAP_NET_BIND_SERVICE, CAP_PERMITTED) &&
                            has_cap(caps.get(), CAP_NET_BIND_SERVICE, CAP_EFFECTIVE);
  return "";
}

std::string describe(const config::RunAs& as) {
  std::string who;
  if (as.set_uid) who += "user " + as.user + " (uid " + std::to_string(as.uid) + ")";
  if (as.set_gid) {
    if (!who.empty()) who += ", ";
    who += "group " + (as.group.empty() ? std::string("of the user") : as.group) + " (gid " +
           std::to_string(as.gid) + ")";
  }
  return who;
}

}  // namespace

std::string drop_privileges(const config::RunAs& as, Credentials* after) {
  Credentials scratch;
  Credentials* out = after != nullptr ? after : &scratch;
  if (!as.set_uid && !as.set_gid) return "";
  const uid_t uid = as.set_uid ? as.uid : geteuid();
  const gid_t gid = as.gid;  // a user always brings a group (loader_identity.cc)
  const std::string who = describe(as);

  CapSet caps = current_caps();
  if (!caps) return failed("cap_get_proc");
  const bool keep_bind = uid != 0 && has_cap(caps.get(), CAP_NET_BIND_SERVICE, CAP_PERMITTED);
  uid_t r, e, s;
  gid_t rg, eg, sg;
  getresuid(&r, &e, &s);
  getresgid(&rg, &eg, &sg);
  bool same_ids = (!as.set_uid || (r == uid && e == uid && s == uid)) && rg == gid &&
                  eg == gid && sg == gid;
  if (same_ids && !has_cap(caps.get(), CAP_SETGID, CAP_EFFECTIVE)) {
    // Started as that identity already (e.g. by a unit with User=): there
    // is nothing left to give up that this process could give up.
    GLOG_INFO("already running as %s", who.c_str());
    return verify(as, uid, gid, out);
  }

  if (uid != 0) narrow_bounding_set(caps.get());
  // Keeps the permitted set across the uid change; without it the kernel
  // clears every capability when the last uid stops being 0.
  if (keep_bind && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return failed("PR_SET_KEEPCAPS");
  if (setgroups(1, &gid) != 0) return failed("setgroups") + " (switching to " + who + ")";
  if (setresgid(gid, gid, gid) != 0) return failed("setresgid") + " (switching to " + who + ")";
  if (as.set_uid && setresuid(uid, uid, uid) != 0) {
    return failed("setresuid") + " (switching to " + who + ")";
  }
  if (keep_bind && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return failed("PR_SET_KEEPCAPS");
  if (uid != 0) {
    std::string err = set_final_caps(keep_bind);
    if (!err.empty()) return err;
  }
  std::string err = verify(as, uid, gid, out);
  if (!err.empty()) return err;
  GLOG_INFO("now running as %s%s", who.c_str(),
            out->keeps_bind_service ? "; kept CAP_NET_BIND_SERVICE for reloads" : "");
  return "";
}

void warn_if_identity_changed(const config::RunAs& running, const config::RunAs& wanted) {
  if (running.set_uid == wanted.set_uid && running.uid == wanted.uid &&
      running.set_gid == wanted.set_gid && running.gid == wanted.gid) {
    return;
  }
  std::string keeps = describe(running);
  GLOG_WARN("user/group changed in the config; the running process stays %s until a restart",
            keeps.empty() ? "who it started as" : keeps.c_str());
}

}  // namespace gantry::service
