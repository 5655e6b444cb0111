// gantry started as root with `user = "nobody"`: once it serves, every
// thread runs as nobody with CAP_NET_BIND_SERVICE alone, requests still flow,
// and a reload that adds a listener below port 1024 binds it. Switching
// users needs root; without it the tests say so and skip.
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "harness/harness.h"
#include "notify_socket.h"
#include "proc_status.h"

namespace gantry::itest {
namespace {

using test::NotifySocket;
using test::proc_status;

std::vector<std::string> thread_ids(pid_t pid) {
  std::vector<std::string> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ids;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ids.push_back(e->d_name);
  }
  ::closedir(d);
  return ids;
}

// A port below 1024 that 127.0.0.1 can bind right now (root checks it).
uint16_t free_privileged_port() {
  for (uint16_t port = 1023; port >= 900; --port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

int unprivileged_port_start() {
  std::ifstream f("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int v = 1024;
  f >> v;
  return v;
}

class PrivilegeDropTest : public IntegrationTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "gantry can only switch users when started as root";
    const passwd* pw = ::getpwnam("nobody");
    if (pw == nullptr) GTEST_SKIP() << "no user 'nobody' on this system";
    nobody_uid_ = std::to_string(pw->pw_uid);
    nobody_gid_ = std::to_string(pw->pw_gid);
    // After the switch gantry reads its config as nobody on every reload.
    ASSERT_EQ(::chmod(tmp().path().c_str(), 0755), 0);
  }
  void TearDown() override {
    if (proc_ && HasFailure()) std::cerr << "[itest] " << proc_->describe() << "\n";
    if (proc_) proc_->kill();
    IntegrationTest::TearDown();
  }
  std::string config_as_nobody(const RecordingBackend& backend, const std::string& extra = "") {
    return write_config("user = \"nobody\"\n" + proxy_config_template({backend.address()}, extra));
  }

  void serve_reload_and_stop(const std::string& launcher, const std::string& bounding);

  std::string nobody_uid_, nobody_gid_;
  std::unique_ptr<GantryProcess> proc_;
};

// Starts gantry (through `launcher` when set) as nobody, checks every
// thread's credentials, a request, a reload that binds a port below 1024,
// and a clean exit. `bounding` is the CapBnd gantry should end with.
void PrivilegeDropTest::serve_reload_and_stop(const std::string& launcher,
                                              const std::string& bounding) {
  RecordingBackend backend("served by nobody");
  ASSERT_TRUE(backend.start());
  // A path socket in a directory nobody cannot write to: gantry connects it
  // before the switch, so it keeps reaching the service manager afterwards.
  NotifySocket manager(tmp().file("notify"));
  ASSERT_TRUE(manager.bound());
  ASSERT_EQ(::chmod(manager.name().c_str(), 0700), 0);
  std::string config = config_as_nobody(backend);
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  if (!launcher.empty()) ::setenv("GANTRY_ITEST_BINARY", launcher.c_str(), 1);
  proc_ = std::make_unique<GantryProcess>(config, tmp().path());
  bool started = proc_->start();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("GANTRY_ITEST_BINARY");
  ASSERT_TRUE(started);
  ASSERT_EQ(manager.receive(), "READY=1\nSTATUS=serving generation 1 with 1 worker(s)");

  // The main thread and every worker: nobody, CAP_NET_BIND_SERVICE (bit 10) only.
  std::vector<std::string> tids = thread_ids(proc_->pid());
  ASSERT_GE(tids.size(), 2u) << "expected the main thread and a worker";
  const std::string u = nobody_uid_, g = nobody_gid_;
  for (const std::string& tid : tids) {
    auto st = proc_status("/proc/" + std::to_string(proc_->pid()) + "/task/" + tid + "/status");
    EXPECT_EQ(st["Uid"], u + "\t" + u + "\t" + u + "\t" + u) << "thread " << tid;
    EXPECT_EQ(st["Gid"], g + "\t" + g + "\t" + g + "\t" + g) << "thread " << tid;
    EXPECT_EQ(st["Groups"], g) << "thread " << tid;
    EXPECT_EQ(st["CapPrm"], "0000000000000400") << "thread " << tid;
    EXPECT_EQ(st["CapEff"], "0000000000000400") << "thread " << tid;
    EXPECT_EQ(st["CapInh"], "0000000000000000") << "thread " << tid;
    EXPECT_EQ(st["CapAmb"], "0000000000000000") << "thread " << tid;
  }
  auto main_thread = proc_status("/proc/" + std::to_string(proc_->pid()) + "/status");
  EXPECT_EQ(main_thread["CapBnd"], bounding);
  auto r = itest::exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "served by nobody");

  uint16_t low = free_privileged_port();
  ASSERT_NE(low, 0) << "no free port below 1024 on 127.0.0.1";
  if (unprivileged_port_start() <= low) {
    std::cerr << "[itest] note: net.ipv4.ip_unprivileged_port_start is "
              << unprivileged_port_start() << ", so binding port " << low
              << " does not exercise the capability here\n";
  }
  config_as_nobody(backend, "\n[[listener]]\nname = \"low\"\nbind = \"127.0.0.1:" +
                                std::to_string(low) + "\"\n");
  ASSERT_TRUE(proc_->reload());
  EXPECT_EQ(manager.receive().rfind("RELOADING=1\n", 0), 0u);
  ASSERT_EQ(manager.receive(), "READY=1\nSTATUS=reload complete: serving generation 2");
  r = itest::exchange(low, get_request("/"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.body, "served by nobody");
  EXPECT_NE(proc_->output().find("listening on 127.0.0.1:" + std::to_string(low)),
            std::string::npos);

  ASSERT_TRUE(proc_->signal(SIGTERM));
  auto st = proc_->wait_exit(milliseconds(60000));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->str();
}

TEST_F(PrivilegeDropTest, RunsAsNobodyServesAndBindsAPrivilegedPortOnReload) {
  // Started with every capability: the bounding set narrows to the one kept.
  serve_reload_and_stop("", "0000000000000400");
}

// What gantry.service gives the process: NoNewPrivileges and a bounding set
// of CAP_NET_BIND_SERVICE, CAP_SETUID and CAP_SETGID (setpriv stands in for
// systemd). Without CAP_SETPCAP the bounding set stays as the manager set it.
TEST_F(PrivilegeDropTest, UnderTheUnitsBoundingSetAndNoNewPrivileges) {
  std::string launcher = tmp().write(
      "gantry-under-unit-caps",
      "#!/bin/sh\nexec setpriv --no-new-privs --bounding-set -all,+net_bind_service,+setuid,"
      "+setgid --inh-caps -all " + gantry_binary() + " \"$@\"\n");
  ASSERT_EQ(::chmod(launcher.c_str(), 0755), 0);
  serve_reload_and_stop(launcher, "00000000000004c0");
  EXPECT_NE(proc_->output().find("now running as user nobody"), std::string::npos);
}

TEST_F(PrivilegeDropTest, UnknownUserIsAConfigErrorWithItsLine) {
  std::string config = write_config("workers = 1\nuser = \"no-such-gantry-user\"\n"
                                    "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n");
  RunResult r = check_config(config, tmp().path());
  EXPECT_EQ(r.status.code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(config + ":2:8: user: unknown user 'no-such-gantry-user'"),
            std::string::npos)
      << r.out << r.err;
  config = write_config("workers = 1\ngroup = \"no-such-gantry-group\"\n"
                        "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n");
  r = check_config(config, tmp().path());
  EXPECT_EQ(r.status.code, 1);
  EXPECT_NE((r.out + r.err).find(config + ":2:9: group: unknown group 'no-such-gantry-group'"),
            std::string::npos)
      << r.out << r.err;
}

TEST_F(PrivilegeDropTest, AReloadCannotChangeTheUser) {
  RecordingBackend backend("ok");
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(config_as_nobody(backend)));
  // The port accepts before the signal handlers exist: a SIGHUP sent in
  // between would end the process.
  ASSERT_TRUE(gantry().wait_for_output("started: 1 worker(s)"));
  write_config("user = \"daemon\"\n" + proxy_config_template({backend.address()}, ""));
  ASSERT_TRUE(gantry().reload());
  ASSERT_TRUE(gantry().wait_for_output("reload complete"));
  EXPECT_TRUE(gantry().wait_for_output("user/group changed in the config; the running process "
                                       "stays user nobody"));
  auto st = proc_status("/proc/" + std::to_string(gantry().pid()) + "/status");
  EXPECT_EQ(st["Uid"].substr(0, nobody_uid_.size() + 1), nobody_uid_ + "\t");
  EXPECT_EQ(itest::exchange(port(), get_request("/")).response.status, 200);
}

}  // namespace
}  // namespace gantry::itest
