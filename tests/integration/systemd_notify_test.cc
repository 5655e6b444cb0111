// The real binary under a stand-in for systemd: NOTIFY_SOCKET is set, and the
// test reads what gantry sends around a start, reloads (good and bad) and a
// SIGTERM, and checks that each READY=1 means what it says: the listeners it
// announces accept connections at that moment.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "harness/harness.h"
#include "notify_socket.h"

namespace gantry::itest {
namespace {

using test::NotifySocket;

class SystemdNotifyTest : public IntegrationTest {
 protected:
  // Starts gantry with NOTIFY_SOCKET=`socket_name`, without waiting for the
  // port: READY=1 is what the test waits for.
  bool start_notifying(const std::string& config, const std::string& socket_name) {
    ::setenv("NOTIFY_SOCKET", socket_name.c_str(), 1);
    proc_ = std::make_unique<GantryProcess>(config, tmp().path());
    bool ok = proc_->start();
    ::unsetenv("NOTIFY_SOCKET");
    return ok;
  }
  void TearDown() override {
    if (proc_ && HasFailure()) std::cerr << "[itest] " << proc_->describe() << "\n";
    if (proc_) proc_->kill();
    IntegrationTest::TearDown();
  }
  // The RELOADING=1 message without its timestamp, which changes every run.
  static std::string without_stamp(const std::string& msg) {
    const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
    if (msg.compare(0, head.size(), head) != 0) return msg;
    size_t eol = msg.find('\n', head.size());
    std::string digits = msg.substr(head.size(), eol - head.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return msg;
    return "RELOADING=1\nMONOTONIC_USEC=<n>" + msg.substr(eol);
  }

  std::unique_ptr<GantryProcess> proc_;
};

bool answers_200(uint16_t port) {
  auto r = itest::exchange(port, get_request("/"));
  return r.ok() && r.response.status == 200;
}

TEST_F(SystemdNotifyTest, ReadyReloadingStoppingAroundStartReloadAndTerm) {
  RecordingBackend backend("web");
  ASSERT_TRUE(backend.start());
  NotifySocket manager(tmp().file("notify"));
  ASSERT_TRUE(manager.bound());
  std::string config = write_proxy_config({backend.address()});
  ASSERT_TRUE(start_notifying(config, manager.name()));

  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving generation 1 with 1 worker(s)");
  EXPECT_TRUE(answers_200(port())) << "READY=1 came before the listener accepted";

  // A reload that adds a listener: READY=1 only once it accepts.
  uint16_t second = free_port();
  write_proxy_config({backend.address()}, "\n[[listener]]\nname = \"second\"\nbind = "
                                          "\"127.0.0.1:" + std::to_string(second) + "\"\n");
  ASSERT_TRUE(proc_->reload());
  EXPECT_EQ(without_stamp(manager.receive()),
            "RELOADING=1\nMONOTONIC_USEC=<n>\nSTATUS=reloading " + config);
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=reload complete: serving generation 2");
  EXPECT_TRUE(answers_200(second)) << "READY=1 came before the new listener accepted";

  // A reload that fails still ends in READY=1: the old generation serves.
  tmp().write("gantry.toml", "workers = 1\n[[listener]]\nbind = \"not an address\"\n");
  ASSERT_TRUE(proc_->reload());
  EXPECT_EQ(without_stamp(manager.receive()),
            "RELOADING=1\nMONOTONIC_USEC=<n>\nSTATUS=reloading " + config);
  EXPECT_EQ(manager.receive(),
            "READY=1\nSTATUS=reload failed (see the log): still serving generation 2");
  EXPECT_TRUE(answers_200(second));

  ASSERT_TRUE(proc_->signal(SIGTERM));
  EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=Terminated: draining connections");
  auto st = proc_->wait_exit(milliseconds(60000));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->str();
  EXPECT_EQ(manager.receive(milliseconds(200)), "<nothing>") << "a message after STOPPING=1";
}

TEST_F(SystemdNotifyTest, AbstractNamespaceSocket) {
  RecordingBackend backend("web");
  ASSERT_TRUE(backend.start());
  NotifySocket manager("@gantry-itest-notify-" + std::to_string(::getpid()) + "-" +
                       std::to_string(port()));
  ASSERT_TRUE(manager.bound());
  ASSERT_TRUE(start_notifying(write_proxy_config({backend.address()}), manager.name()));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving generation 1 with 1 worker(s)");
  EXPECT_TRUE(answers_200(port()));
  ASSERT_TRUE(proc_->signal(SIGINT));
  EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=Interrupt: draining connections");
  auto st = proc_->wait_exit(milliseconds(60000));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->str();
}

TEST_F(SystemdNotifyTest, WithoutNotifySocketNothingChanges) {
  RecordingBackend backend("web");
  ASSERT_TRUE(backend.start());
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(start_gantry(write_proxy_config({backend.address()})));
  EXPECT_TRUE(answers_200(port()));
  EXPECT_EQ(gantry().output().find("NOTIFY_SOCKET"), std::string::npos) << gantry().output();
}

}  // namespace
}  // namespace gantry::itest
