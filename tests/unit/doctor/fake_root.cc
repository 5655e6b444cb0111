#include "fake_root.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/loader.h"

namespace doctor_test {

namespace fs = std::filesystem;

FakeRoot::FakeRoot() {
  char tmpl[] = "/tmp/gantry-doctor-XXXXXX";
  dir_ = mkdtemp(tmpl);
}

FakeRoot::~FakeRoot() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void FakeRoot::write(const std::string& rel, const std::string& text) const {
  fs::path p = fs::path(dir_) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void FakeRoot::sysctl(const std::string& key, const std::string& value) const {
  std::string rel = "proc/sys/" + key;
  for (size_t i = std::string("proc/sys/").size(); i < rel.size(); ++i) {
    if (rel[i] == '.') rel[i] = '/';
  }
  write(rel, value + "\n");
}

void FakeRoot::remove(const std::string& rel) const {
  std::error_code ec;
  fs::remove_all(fs::path(dir_) / rel, ec);
}

void FakeRoot::lay_untuned_vm() const {
  sysctl("net.netfilter.nf_conntrack_max", "65536");
  sysctl("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "120");
  sysctl("net.ipv4.tcp_tw_reuse", "0");
  sysctl("net.ipv4.ip_local_port_range", "32768\t60999");
  sysctl("net.core.somaxconn", "128");
  sysctl("net.ipv4.tcp_max_syn_backlog", "128");
  sysctl("fs.file-max", "50000");
  sysctl("net.ipv4.tcp_fastopen", "1");
  write("proc/self/limits",
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max cpu time              unlimited            unlimited            seconds   \n"
        "Max open files            1024                 524288               files     \n");
  write("sys/class/dmi/id/sys_vendor", "QEMU\n");
  write("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
  write("proc/cpuinfo",
        "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n\n");
}

void FakeRoot::lay_tuned_metal() const {
  sysctl("net.netfilter.nf_conntrack_max", "262144");
  sysctl("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "30");
  sysctl("net.ipv4.tcp_tw_reuse", "1");
  sysctl("net.ipv4.ip_local_port_range", "1024\t65535");
  sysctl("net.core.somaxconn", "4096");
  sysctl("net.ipv4.tcp_max_syn_backlog", "4096");
  sysctl("fs.file-max", "9223372036854775807");
  sysctl("net.ipv4.tcp_fastopen", "3");
  write("proc/self/limits",
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max open files            100000               100000               files     \n");
  write("sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
  write("sys/class/dmi/id/product_name", "PowerEdge R640\n");
  write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr lahf_lm\n\n");
}

std::string big_config_text() {
  return "workers = 2\n"
         "[limits]\nmax_connections = 20000\n"
         "[[module]]\nname = \"socket_tuning\"\npath = \"" SOCKET_TUNING_SO "\"\n"
         "[[listener]]\nname = \"public\"\nbind = \"127.0.0.1:0\"\nbacklog = 1024\n"
         "[listener.socket_tuning]\ntcp_fastopen = 64\n"
         "[[backend]]\nname = \"web\"\nservers = [\"10.1.2.3:80\"]\n"
         "[backend.socket_tuning]\ntcp_fastopen = true\n";
}

std::string write_config(const FakeRoot& root, const std::string& text) {
  std::string path = root.dir() + "/gantry.toml";
  std::ofstream(path) << text;
  return path;
}

std::shared_ptr<const gantry::config::Config> load(const std::string& path) {
  auto cfg = gantry::config::load_config(path);
  EXPECT_TRUE(cfg.ok()) << cfg.error();
  return cfg.ok() ? cfg.value() : nullptr;
}

}  // namespace doctor_test
