#include "doctor/report.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace gantry::doctor {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kOk: return "OK";
    case Severity::kInfo: return "INFO";
    case Severity::kWarn: return "WARN";
  }
  return "?";
}

void print_report(const Findings& findings, const std::string& header, FILE* out) {
  size_t to_fix = 0;
  for (const auto& f : findings) to_fix += f.severity == Severity::kWarn;
  std::fprintf(out, "%s: %zu checks, %zu to fix\n", header.c_str(), findings.size(), to_fix);
  for (const auto& f : findings) {
    std::fprintf(out, "\n[%s] %s\n", severity_name(f.severity), f.key.c_str());
    std::fprintf(out, "  value:       %s\n", f.value.c_str());
    std::fprintf(out, "  recommended: %s\n", f.recommended.c_str());
    std::fprintf(out, "  why:         %s\n", f.why.c_str());
    std::fprintf(out, "  fix:         %s\n", f.fix.c_str());
  }
}

bool write_sysctl_dropin(const Findings& findings, const std::string& path, std::string* error) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  out << "# Written by `gantry doctor --write-sysctl`: the kernel settings it recommends for\n"
         "# this proxy. Install as /etc/sysctl.d/90-gantry.conf and run `sysctl --system`.\n";
  size_t n = 0;
  for (const auto& f : findings) {
    if (!f.is_sysctl || f.severity != Severity::kWarn) continue;
    out << "\n# " << f.why << "\n# was: " << f.value << "\n";
    if (f.key.rfind("net.netfilter.", 0) == 0) {
      out << "# (needs nf_conntrack loaded before sysctl runs)\n";
    }
    out << f.key << " = " << f.recommended << "\n";
    ++n;
  }
  if (n == 0) out << "\n# Nothing to change.\n";
  for (const auto& f : findings) {
    if (f.key == "RLIMIT_NOFILE" && f.severity == Severity::kWarn) {
      out << "\n# Not a sysctl: raise the open-files limit too: " << f.fix << "\n";
    }
  }
  out.flush();
  if (!out) {
    *error = path + ": write failed";
    return false;
  }
  return true;
}

bool write_systemd_dropin(uint64_t nofile, uint64_t nr_open, const std::string& path,
                          std::string* error) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  out << "# Written by `gantry doctor --write-systemd`: the open-files limit this config\n"
         "# needs (two descriptors per proxied connection: workers x max_connections x 2,\n"
         "# plus room for listeners, logs and modules). Install as\n"
         "# /etc/systemd/system/gantry.service.d/limits.conf, then run\n"
         "# `systemctl daemon-reload` and restart gantry.\n";
  if (nr_open != 0 && nofile > nr_open) {
    out << "# This is above fs.nr_open (" << nr_open << "), the most a process may open:\n"
        << "# raise it first (sysctl -w fs.nr_open=" << nofile << ") or systemd cannot apply it.\n";
  }
  out << "[Service]\nLimitNOFILE=" << nofile << "\n";
  out.flush();
  if (!out) {
    *error = path + ": write failed";
    return false;
  }
  return true;
}

std::string summary_line(const Finding& f) {
  return f.key + "=" + f.value + " (recommended " + f.recommended + ": " + f.why +
         ") fix: " + f.fix;
}

}  // namespace gantry::doctor
