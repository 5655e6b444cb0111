// drop_privileges changes the whole process for good, so every case runs in
// a forked child that reports back through a pipe. Switching users needs
// root: without it the cases are skipped (CI runs as root).
#include "service/privileges.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "config/loader.h"
#include "proc_status.h"

namespace gantry::service {
namespace {

// Runs fn in a child process and returns what it returned (or why it died).
std::string in_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = fn();
    ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died: " + out;
  return out;
}

config::RunAs run_as(const std::string& keys) {
  auto cfg = config::load_config_text(keys + "[[listener]]\nbind = \"127.0.0.1:0\"\n", "t.toml");
  if (!cfg) {
    ADD_FAILURE() << cfg.error();
    return {};
  }
  return (*cfg)->run_as;
}

// "Uid", "Gid", "CapEff"... of the calling process.
std::string status_field(const std::string& key) {
  return gantry::test::proc_status("/proc/self/status")[key];
}

// Binds 127.0.0.1 on the first free port below 1024: "ok", or the errno text.
std::string bind_privileged_port() {
  for (int port = 1023; port >= 900; --port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    int err = errno;
    ::close(fd);
    if (rc == 0) return "ok";
    if (err != EADDRINUSE) return std::strerror(err);
  }
  return "no free port below 1024";
}

class PrivilegesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root; run as root to test it";
    const passwd* pw = ::getpwnam("nobody");
    if (pw == nullptr) GTEST_SKIP() << "no user 'nobody' on this system";
    nobody_uid_ = std::to_string(pw->pw_uid);
    nobody_gid_ = std::to_string(pw->pw_gid);
  }
  std::string nobody_uid_, nobody_gid_;
};

TEST_F(PrivilegesTest, NothingToDoWithoutUserOrGroup) {
  std::string out = in_child([] {
    std::string err = drop_privileges(config::RunAs{});
    return err + "|" + std::to_string(::geteuid());
  });
  EXPECT_EQ(out, "|0");
}

TEST_F(PrivilegesTest, BecomesTheUserAndKeepsOnlyBindService) {
  config::RunAs as = run_as("user = \"nobody\"\n");
  std::string out = in_child([&] {
    Credentials c;
    std::string err = drop_privileges(as, &c);
    if (!err.empty()) return "error: " + err;
    std::string r = "Uid " + status_field("Uid") + "|Gid " + status_field("Gid") +
                    "|Groups " + status_field("Groups") + "|CapPrm " + status_field("CapPrm") +
                    "|CapEff " + status_field("CapEff") + "|CapInh " + status_field("CapInh") +
                    "|CapAmb " + status_field("CapAmb") + "|CapBnd " + status_field("CapBnd") +
                    "|keeps " + std::to_string(c.keeps_bind_service);
    r += "|bind " + bind_privileged_port();
    r += "|setuid0 " + std::to_string(::setuid(0));
    r += "|shadow " + std::to_string(::open("/etc/shadow", O_RDONLY) >= 0);
    return r;
  });
  const std::string& u = nobody_uid_;
  const std::string& g = nobody_gid_;
  EXPECT_EQ(out, "Uid " + u + "\t" + u + "\t" + u + "\t" + u + "|Gid " + g + "\t" + g + "\t" + g +
                     "\t" + g + "|Groups " + g + "|CapPrm 0000000000000400|CapEff " +
                     "0000000000000400|CapInh 0000000000000000|CapAmb 0000000000000000|CapBnd " +
                     "0000000000000400|keeps 1|bind ok|setuid0 -1|shadow 0");
}

TEST_F(PrivilegesTest, WithoutBindServiceBeforeNoneAfter) {
  config::RunAs as = run_as("user = \"nobody\"\n");
  std::string out = in_child([&] {
    // Start like a unit whose bounding set lacks CAP_NET_BIND_SERVICE.
    cap_t caps = cap_get_proc();
    const cap_value_t bind[] = {CAP_NET_BIND_SERVICE};
    cap_set_flag(caps, CAP_PERMITTED, 1, bind, CAP_CLEAR);
    cap_set_flag(caps, CAP_EFFECTIVE, 1, bind, CAP_CLEAR);
    if (cap_set_proc(caps) != 0) return std::string("cannot clear the capability");
    cap_free(caps);
    Credentials c;
    std::string err = drop_privileges(as, &c);
    if (!err.empty()) return "error: " + err;
    return "CapPrm " + status_field("CapPrm") + "|keeps " + std::to_string(c.keeps_bind_service) +
           "|bind " + bind_privileged_port();
  });
  EXPECT_EQ(out, "CapPrm 0000000000000000|keeps 0|bind " + std::string(std::strerror(EACCES)));
}

TEST_F(PrivilegesTest, GroupAloneKeepsTheUser) {
  config::RunAs as = run_as("group = \"nogroup\"\n");
  std::string out = in_child([&] {
    std::string err = drop_privileges(as);
    if (!err.empty()) return "error: " + err;
    gid_t groups[4];
    int n = ::getgroups(4, groups);
    return std::to_string(::geteuid()) + "|" + std::to_string(::getegid()) + "|" +
           std::to_string(n) + ":" + std::to_string(n > 0 ? groups[0] : 0);
  });
  EXPECT_EQ(out, "0|" + std::to_string(as.gid) + "|1:" + std::to_string(as.gid));
}

TEST_F(PrivilegesTest, WithoutPrivilegesTheSwitchFailsAndSaysWhy) {
  config::RunAs as = run_as("user = \"daemon\"\n");
  std::string out = in_child([&] {
    uid_t nobody = static_cast<uid_t>(std::stoul(nobody_uid_));
    if (::setresgid(nobody, nobody, nobody) != 0 || ::setresuid(nobody, nobody, nobody) != 0) {
      return std::string("cannot become nobody first");
    }
    return drop_privileges(as);
  });
  EXPECT_EQ(out.rfind("setgroups: " + std::string(std::strerror(EPERM)), 0), 0u) << out;
  EXPECT_NE(out.find("user daemon"), std::string::npos) << out;
}

TEST_F(PrivilegesTest, AlreadyTheUserIsNotAnError) {
  config::RunAs as = run_as("user = \"nobody\"\n");
  std::string out = in_child([&] {
    uid_t u = static_cast<uid_t>(std::stoul(nobody_uid_));
    gid_t g = static_cast<gid_t>(std::stoul(nobody_gid_));
    if (::setgroups(1, &g) != 0 || ::setresgid(g, g, g) != 0 || ::setresuid(u, u, u) != 0) {
      return std::string("cannot become nobody first");
    }
    Credentials c;
    std::string err = drop_privileges(as, &c);
    return err + "|" + std::to_string(c.euid);
  });
  EXPECT_EQ(out, "|" + nobody_uid_);
}

}  // namespace
}  // namespace gantry::service
