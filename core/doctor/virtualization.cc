// Virtual-machine detection: DMI strings first (they name the hypervisor),
// then the CPU's "hypervisor" flag, which every mainstream hypervisor sets.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

#include "doctor/checks.h"

namespace gantry::doctor {

namespace {

struct Signature {
  const char* needle;  // lower case
  const char* name;
};

const Signature kSignatures[] = {
    {"qemu", "QEMU/KVM"},        {"kvm", "KVM"},
    {"vmware", "VMware"},        {"virtualbox", "VirtualBox"},
    {"innotek", "VirtualBox"},   {"xen", "Xen"},
    {"amazon ec2", "Amazon EC2"}, {"google compute engine", "Google Compute Engine"},
    {"openstack", "OpenStack"},  {"bochs", "Bochs"},
    {"bhyve", "bhyve"},          {"parallels", "Parallels"},
    {"cloud hypervisor", "Cloud Hypervisor"}, {"firecracker", "Firecracker"},
    {"digitalocean", "DigitalOcean"}, {"hetzner vserver", "Hetzner vServer"},
    {"virtual machine", "Hyper-V"},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string dmi_hypervisor(const SystemView& sys, std::string* dmi_text) {
  std::string text;
  for (const char* f : {"/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name"}) {
    if (auto v = sys.read(f)) text += (text.empty() ? "" : " / ") + *v;
  }
  *dmi_text = text;
  std::string l = lower(text);
  for (const auto& s : kSignatures) {
    if (l.find(s.needle) != std::string::npos) return s.name;
  }
  return "";
}

bool cpu_hypervisor_flag(const SystemView& sys) {
  auto cpuinfo = sys.read("/proc/cpuinfo");
  if (!cpuinfo) return false;
  std::istringstream in(*cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string w;
    while (words >> w) {
      if (w == "hypervisor") return true;
    }
  }
  return false;
}

}  // namespace

Findings check_virtualization(const SystemView& sys, const Demand& d) {
  std::string dmi;
  std::string name = dmi_hypervisor(sys, &dmi);
  bool flag = cpu_hypervisor_flag(sys);
  Finding f;
  f.key = "virtualization";
  if (name.empty() && !flag) {
    f.value = "none detected" + (dmi.empty() ? std::string() : " (DMI: " + dmi + ")");
    f.recommended = "-";
    f.why = "on bare metal a packet costs no hypervisor exit; the checks above still apply";
    f.fix = "none needed";
    return {f};
  }
  f.value = (name.empty() ? std::string("virtual machine") : name) +
            (flag ? " (cpu flag: hypervisor)" : "") +
            (dmi.empty() ? std::string() : " (DMI: " + dmi + ")");
  bool untuned = d.tuned_listeners < d.listeners || d.tuned_backends < d.backends;
  f.recommended = "socket_tuning on every listener and backend (tcp_smart_accept, "
                  "tcp_smart_connect), conntrack time_wait 30 s, keep-alive to backends";
  f.why = "on a virtual machine every packet costs a virtual NIC interrupt and often a "
          "hypervisor exit, so a proxy can lose half its throughput to small packets: "
          "saving the bare ACKs (smart accept/connect) and conntrack churn matters more than "
          "on bare metal; CPU figures also include steal time";
  if (untuned) {
    f.why += " (" + std::to_string(d.listeners - d.tuned_listeners) + " listener(s) and " +
             std::to_string(d.backends - d.tuned_backends) +
             " backend(s) of this config have no socket_tuning table)";
  }
  f.fix = "add [listener.socket_tuning] / [backend.socket_tuning] tables (module socket_tuning)";
  f.severity = untuned ? Severity::kWarn : Severity::kInfo;
  return {f};
}

Findings run_all_checks(const SystemView& sys, const Demand& d) {
  Findings all;
  for (auto* check : {check_conntrack, check_ports_and_reuse, check_backlogs, check_file_limits,
                      check_fastopen, check_virtualization}) {
    Findings part = check(sys, d);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace gantry::doctor
