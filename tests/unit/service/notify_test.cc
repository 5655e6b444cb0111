// The notifier against a datagram socket standing in for systemd: what the
// service manager receives, on a path and in the abstract namespace, and
// after its socket appears late or is replaced.
#include "service/notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "notify_socket.h"

namespace gantry::service {
namespace {

using FakeManager = gantry::test::NotifySocket;

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-notify-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ::rmdir(dir_.c_str()); }
  std::string socket_path() const { return dir_ + "/notify"; }
  std::string abstract_name() const {
    return "@gantry-notify-test-" + std::to_string(::getpid()) + "-" + dir_.substr(dir_.size() - 6);
  }

  std::string dir_;
};

uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

TEST_F(NotifierTest, SendsReadyReloadingAndStoppingToAPathSocket) {
  FakeManager manager(socket_path());
  ASSERT_TRUE(manager.bound());
  Notifier n(socket_path());
  ASSERT_TRUE(n.enabled());

  EXPECT_TRUE(n.ready("serving"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");

  uint64_t before = monotonic_usec();
  EXPECT_TRUE(n.reloading("reloading x.toml"));
  uint64_t after = monotonic_usec();
  std::string msg = manager.receive();
  const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(msg.compare(0, head.size(), head), 0) << msg;
  size_t eol = msg.find('\n', head.size());
  ASSERT_NE(eol, std::string::npos) << msg;
  uint64_t stamp = std::stoull(msg.substr(head.size(), eol - head.size()));
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
  EXPECT_EQ(msg.substr(eol), "\nSTATUS=reloading x.toml");

  EXPECT_TRUE(n.stopping("Terminated: draining connections"));
  EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=Terminated: draining connections");
}

TEST_F(NotifierTest, AbstractNamespaceNamesStartWithAt) {
  std::string name = abstract_name();
  FakeManager manager(name);
  ASSERT_TRUE(manager.bound());
  Notifier n(name);
  EXPECT_TRUE(n.ready("abstract"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=abstract");
}

TEST_F(NotifierTest, StatusCannotAddLinesOfItsOwn) {
  FakeManager manager(socket_path());
  Notifier n(socket_path());
  EXPECT_TRUE(n.ready("bad\nSTOPPING=1\r\nline"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=bad STOPPING=1  line");
}

TEST_F(NotifierTest, DisabledWithoutAUsableSocketName) {
  for (const char* name : {"", "relative/notify", "vsock:2:1234"}) {
    Notifier n(name);
    EXPECT_FALSE(n.enabled()) << name;
    EXPECT_FALSE(n.ready("x")) << name;
  }
  Notifier too_long("/" + std::string(sizeof(sockaddr_un{}.sun_path), 'x'));
  EXPECT_FALSE(too_long.enabled());
}

TEST_F(NotifierTest, ReadsNotifySocketFromTheEnvironment) {
  FakeManager manager(socket_path());
  ::setenv("NOTIFY_SOCKET", socket_path().c_str(), 1);
  Notifier n = Notifier::from_environment();
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(n.ready("from env"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=from env");
  EXPECT_FALSE(Notifier::from_environment().enabled());
}

TEST_F(NotifierTest, ASocketThatAppearsLaterIsReached) {
  Notifier n(socket_path());
  ASSERT_TRUE(n.enabled());
  FakeManager manager(socket_path());
  EXPECT_TRUE(n.ready("late"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=late");
}

TEST_F(NotifierTest, AReplacedSocketIsReachedAgain) {
  Notifier n(socket_path());
  {
    FakeManager first(socket_path());
    EXPECT_TRUE(n.ready("first"));
    EXPECT_EQ(first.receive(), "READY=1\nSTATUS=first");
  }
  FakeManager second(socket_path());
  EXPECT_TRUE(n.ready("second"));
  EXPECT_EQ(second.receive(), "READY=1\nSTATUS=second");
}

TEST_F(NotifierTest, NoListenerIsReportedNotFatal) {
  Notifier n(socket_path());
  EXPECT_FALSE(n.ready("nobody listens"));
}

TEST_F(NotifierTest, MovedNotifierKeepsItsSocket) {
  FakeManager manager(socket_path());
  Notifier a(socket_path());
  Notifier b = std::move(a);
  EXPECT_FALSE(a.enabled());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_TRUE(b.ready("moved"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=moved");
}

}  // namespace
}  // namespace gantry::service
