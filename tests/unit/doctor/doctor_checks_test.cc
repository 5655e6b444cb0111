// Each check against a fake tree with known values: value, recommendation,
// severity and the exact sysctl line.
#include <gtest/gtest.h>

#include "doctor/checks.h"
#include "doctor/demand.h"
#include "fake_root.h"

namespace doctor_test {
namespace {

using gantry::doctor::Finding;
using gantry::doctor::Findings;
using gantry::doctor::Severity;

const Finding* find(const Findings& all, const std::string& key) {
  for (const auto& f : all) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

class DoctorChecks : public ::testing::Test {
 protected:
  Findings run(const FakeRoot& root, const std::string& config_text) {
    auto cfg = load(write_config(root, config_text));
    if (cfg == nullptr) return {};
    gantry::doctor::SystemView sys(root.dir());
    return gantry::doctor::run_all_checks(sys, gantry::doctor::demand_of(*cfg));
  }
  void expect(const Findings& all, const std::string& key, const std::string& value,
              const std::string& recommended, Severity sev, const std::string& fix) {
    const Finding* f = find(all, key);
    ASSERT_NE(f, nullptr) << key;
    EXPECT_EQ(f->value, value) << key;
    EXPECT_EQ(f->recommended, recommended) << key;
    EXPECT_EQ(f->severity, sev) << key;
    EXPECT_EQ(f->fix, fix) << key;
    EXPECT_FALSE(f->why.empty()) << key;
  }
};

TEST_F(DoctorChecks, DemandFollowsTheConfig) {
  FakeRoot root;
  auto cfg = load(write_config(root, big_config_text()));
  ASSERT_NE(cfg, nullptr);
  auto d = gantry::doctor::demand_of(*cfg);
  EXPECT_EQ(d.client_connections, 40000u);
  EXPECT_EQ(d.file_descriptors, 80256u);
  EXPECT_EQ(d.max_backlog, 1024);
  EXPECT_TRUE(d.listener_fastopen);
  EXPECT_TRUE(d.backend_fastopen);
  EXPECT_FALSE(d.backends_all_loopback);
  EXPECT_EQ(d.tuned_listeners, 1u);
  EXPECT_EQ(d.tuned_backends, 1u);
}

TEST_F(DoctorChecks, UntunedVirtualMachine) {
  FakeRoot root;
  root.lay_untuned_vm();
  Findings all = run(root, big_config_text());
  expect(all, "net.netfilter.nf_conntrack_tcp_timeout_time_wait", "120", "30", Severity::kWarn,
         "sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30");
  // 40000 connections x 2 legs x 2 for TIME_WAIT.
  expect(all, "net.netfilter.nf_conntrack_max", "65536", "160000", Severity::kWarn,
         "sysctl -w net.netfilter.nf_conntrack_max=160000");
  expect(all, "net.ipv4.tcp_tw_reuse", "0", "1", Severity::kWarn,
         "sysctl -w net.ipv4.tcp_tw_reuse=1");
  expect(all, "net.ipv4.ip_local_port_range", "32768 60999", "1024 65535", Severity::kWarn,
         "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"");
  expect(all, "net.core.somaxconn", "128", "1024", Severity::kWarn,
         "sysctl -w net.core.somaxconn=1024");
  expect(all, "net.ipv4.tcp_max_syn_backlog", "128", "1024", Severity::kWarn,
         "sysctl -w net.ipv4.tcp_max_syn_backlog=1024");
  expect(all, "fs.file-max", "50000", "80256", Severity::kWarn, "sysctl -w fs.file-max=80256");
  expect(all, "RLIMIT_NOFILE", "soft 1024, hard 524288", "80256", Severity::kWarn,
         "ulimit -n 80256  (systemd: LimitNOFILE=80256)");
  expect(all, "net.ipv4.tcp_fastopen", "1", "3", Severity::kWarn,
         "sysctl -w net.ipv4.tcp_fastopen=3");
  const Finding* vm = find(all, "virtualization");
  ASSERT_NE(vm, nullptr);
  EXPECT_NE(vm->value.find("QEMU"), std::string::npos) << vm->value;
  EXPECT_NE(vm->value.find("hypervisor"), std::string::npos) << vm->value;
  EXPECT_NE(vm->recommended.find("tcp_smart_accept"), std::string::npos);
  EXPECT_EQ(vm->severity, Severity::kInfo);  // every listener and backend is tuned
  const Finding* rl = find(all, "RLIMIT_NOFILE");
  EXPECT_NE(rl->why.find("hard limit allows"), std::string::npos) << rl->why;
}

TEST_F(DoctorChecks, TunedBareMetalNeedsNothing) {
  FakeRoot root;
  root.lay_tuned_metal();
  Findings all = run(root, big_config_text());
  ASSERT_FALSE(all.empty());
  for (const auto& f : all) {
    EXPECT_NE(f.severity, Severity::kWarn) << f.key << " = " << f.value << " (" << f.why << ")";
  }
  expect(all, "net.core.somaxconn", "4096", "4096", Severity::kOk,
         "sysctl -w net.core.somaxconn=4096");
  const Finding* vm = find(all, "virtualization");
  ASSERT_NE(vm, nullptr);
  EXPECT_NE(vm->value.find("none detected"), std::string::npos) << vm->value;
}

TEST_F(DoctorChecks, ConntrackChecksOnlyWhenLoaded) {
  FakeRoot root;
  root.lay_untuned_vm();
  root.remove("proc/sys/net/netfilter");
  Findings all = run(root, big_config_text());
  EXPECT_EQ(find(all, "net.netfilter.nf_conntrack_tcp_timeout_time_wait"), nullptr);
  EXPECT_EQ(find(all, "net.netfilter.nf_conntrack_max"), nullptr);
  const Finding* f = find(all, "nf_conntrack");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value, "not loaded");
  EXPECT_EQ(f->severity, Severity::kOk);
}

TEST_F(DoctorChecks, TwReuseLoopbackOnlyIsEnoughForLoopbackBackends) {
  FakeRoot root;
  root.lay_tuned_metal();
  root.sysctl("net.ipv4.tcp_tw_reuse", "2");
  std::string loopback = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                         "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9001\"]\n";
  expect(run(root, loopback), "net.ipv4.tcp_tw_reuse", "2", "2", Severity::kOk,
         "sysctl -w net.ipv4.tcp_tw_reuse=2");
  std::string remote = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                       "[[backend]]\nname = \"web\"\nservers = [\"10.0.0.9:9001\"]\n";
  expect(run(root, remote), "net.ipv4.tcp_tw_reuse", "2", "1", Severity::kWarn,
         "sysctl -w net.ipv4.tcp_tw_reuse=1");
}

TEST_F(DoctorChecks, FastopenNotUsedAcceptsAnyValue) {
  FakeRoot root;
  root.lay_tuned_metal();
  root.sysctl("net.ipv4.tcp_fastopen", "0");
  std::string plain = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9001\"]\n";
  expect(run(root, plain), "net.ipv4.tcp_fastopen", "0", "0", Severity::kOk,
         "sysctl -w net.ipv4.tcp_fastopen=0");
}

TEST_F(DoctorChecks, VirtualMachineWithUntunedListenerWarns) {
  FakeRoot root;
  root.lay_untuned_vm();
  root.remove("sys/class/dmi");  // the cpu flag alone is enough
  std::string plain = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9001\"]\n";
  Findings all = run(root, plain);
  const Finding* vm = find(all, "virtualization");
  ASSERT_NE(vm, nullptr);
  EXPECT_NE(vm->value.find("virtual machine (cpu flag: hypervisor)"), std::string::npos)
      << vm->value;
  EXPECT_EQ(vm->severity, Severity::kWarn);
  EXPECT_NE(vm->why.find("no socket_tuning table"), std::string::npos) << vm->why;
}

TEST_F(DoctorChecks, UnreadableValuesAreFlagged) {
  FakeRoot root;  // empty tree
  std::string plain = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9001\"]\n";
  Findings all = run(root, plain);
  const Finding* f = find(all, "net.core.somaxconn");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value, "unreadable");
  EXPECT_EQ(f->severity, Severity::kWarn);
  const Finding* rl = find(all, "RLIMIT_NOFILE");
  ASSERT_NE(rl, nullptr);
  EXPECT_EQ(rl->value, "unreadable");  // a fake root never mixes in the real limit
}

}  // namespace
}  // namespace doctor_test
