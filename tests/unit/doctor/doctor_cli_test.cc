// `gantry doctor` as the operator runs it: report text, exit code, the
// sysctl.d drop-in, and the startup summary.
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "doctor/checks.h"
#include "doctor/demand.h"
#include "doctor/doctor.h"
#include "fake_root.h"

namespace doctor_test {
namespace {

struct DoctorRun {
  int rc = -1;
  std::string out;
  std::string err;
};

DoctorRun doctor(std::vector<std::string> args) {
  args.insert(args.begin(), "doctor");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  DoctorRun r;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  r.rc = gantry::doctor::main(static_cast<int>(args.size()), argv.data());
  r.err = testing::internal::GetCapturedStderr();
  r.out = testing::internal::GetCapturedStdout();
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(DoctorCli, ReportsValueRecommendationWhyAndSysctlLine) {
  FakeRoot root;
  root.lay_untuned_vm();
  std::string cfg = write_config(root, big_config_text());
  DoctorRun r = doctor({"-c", cfg, "--root", root.dir()});
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.out.find("[WARN] net.ipv4.tcp_tw_reuse\n"
                       "  value:       0\n"
                       "  recommended: 1\n"
                       "  why:         "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  fix:         sysctl -w net.ipv4.tcp_tw_reuse=1\n"), std::string::npos);
  for (const char* line :
       {"sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30",
        "sysctl -w net.netfilter.nf_conntrack_max=160000",
        "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"",
        "sysctl -w net.core.somaxconn=1024", "sysctl -w net.ipv4.tcp_max_syn_backlog=1024",
        "sysctl -w fs.file-max=80256", "ulimit -n 80256", "sysctl -w net.ipv4.tcp_fastopen=3",
        "[INFO] virtualization"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST(DoctorCli, WritesDropInWithOnlyWhatNeedsChanging) {
  FakeRoot root;
  root.lay_tuned_metal();
  root.sysctl("net.ipv4.tcp_tw_reuse", "0");
  root.sysctl("net.core.somaxconn", "512");
  std::string cfg = write_config(root, big_config_text());
  std::string dropin = root.dir() + "/90-gantry.conf";
  DoctorRun r = doctor({"-c", cfg, "--root", root.dir(), "--write-sysctl", dropin});
  EXPECT_EQ(r.rc, 1) << r.err;
  std::string text = slurp(dropin);
  EXPECT_NE(text.find("\nnet.ipv4.tcp_tw_reuse = 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nnet.core.somaxconn = 1024\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("tcp_fastopen ="), std::string::npos) << text;  // already fine
  EXPECT_EQ(text.find("file-max"), std::string::npos) << text;
  // The doctor changed nothing in the tree it read.
  EXPECT_EQ(slurp(root.dir() + "/proc/sys/net/ipv4/tcp_tw_reuse"), "0\n");
}

TEST(DoctorCli, NothingToFixExitsZero) {
  FakeRoot root;
  root.lay_tuned_metal();
  std::string cfg = write_config(root, big_config_text());
  std::string dropin = root.dir() + "/90-gantry.conf";
  DoctorRun r = doctor({"-c", cfg, "--root", root.dir(), "--write-sysctl", dropin});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find(", 0 to fix"), std::string::npos) << r.out;
  EXPECT_NE(slurp(dropin).find("# Nothing to change."), std::string::npos);
}

TEST(DoctorCli, WritesSystemdDropInWithTheLimitTheConfigNeeds) {
  FakeRoot root;
  root.lay_tuned_metal();
  root.sysctl("fs.nr_open", "1048576");
  std::string cfg = write_config(root, big_config_text());  // 4 workers x 10000 connections
  std::string dropin = root.dir() + "/limits.conf";
  DoctorRun r = doctor({"-c", cfg, "--root", root.dir(), "--write-systemd", dropin});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("wrote " + dropin + " (LimitNOFILE=80256)"), std::string::npos) << r.out;
  std::string text = slurp(dropin);
  EXPECT_NE(text.find("\n[Service]\nLimitNOFILE=80256\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("nr_open"), std::string::npos) << text;

  // A limit the kernel's per-process ceiling does not allow says so.
  root.sysctl("fs.nr_open", "65536");
  r = doctor({"-c", cfg, "--root", root.dir(), "--write-systemd", dropin});
  text = slurp(dropin);
  EXPECT_NE(text.find("above fs.nr_open (65536)"), std::string::npos) << text;
  EXPECT_NE(text.find("sysctl -w fs.nr_open=80256"), std::string::npos) << text;
  EXPECT_NE(text.find("\nLimitNOFILE=80256\n"), std::string::npos) << text;

  DoctorRun unwritable =
      doctor({"--root", root.dir(), "--write-systemd", root.dir() + "/no/such/dir/x"});
  EXPECT_EQ(unwritable.rc, 2);
}

TEST(DoctorCli, BadArgumentsAndConfigsExitTwo) {
  FakeRoot root;
  EXPECT_EQ(doctor({"--bogus"}).rc, 2);
  EXPECT_EQ(doctor({"-c"}).rc, 2);
  DoctorRun missing = doctor({"-c", root.dir() + "/nope.toml", "--root", root.dir()});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("nope.toml"), std::string::npos) << missing.err;
  DoctorRun unwritable = doctor({"--root", root.dir(), "--write-sysctl", root.dir() + "/no/such/dir/x"});
  EXPECT_EQ(unwritable.rc, 2);
}

TEST(DoctorCli, StartupSummaryLogsOneLinePerFinding) {
  FakeRoot root;
  auto cfg = load(write_config(root, big_config_text()));
  ASSERT_NE(cfg, nullptr);
  gantry::doctor::SystemView sys("");
  auto findings = gantry::doctor::run_all_checks(sys, gantry::doctor::demand_of(*cfg));
  testing::internal::CaptureStderr();
  gantry::doctor::log_startup_summary(*cfg);
  std::string err = testing::internal::GetCapturedStderr();
  size_t lines = 0, warns = 0;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.find("doctor: ") == std::string::npos) continue;
    ++lines;
    if (line.find("[warn]") != std::string::npos) ++warns;
  }
  size_t expected_warns = 0;
  for (const auto& f : findings) expected_warns += f.severity == gantry::doctor::Severity::kWarn;
  EXPECT_EQ(lines, findings.size()) << err;
  EXPECT_EQ(warns, expected_warns) << err;
}

}  // namespace
}  // namespace doctor_test
