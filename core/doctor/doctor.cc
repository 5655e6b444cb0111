#include "doctor/doctor.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "config/loader.h"
#include "doctor/checks.h"
#include "doctor/demand.h"
#include "doctor/report.h"
#include "util/log.h"

namespace gantry::doctor {

namespace {

struct Options {
  std::string config_file;
  std::string root;
  std::string sysctl_out;
  std::string systemd_out;
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: gantry doctor [-c FILE] [--root DIR] [--write-sysctl FILE]\n"
               "                     [--write-systemd FILE]\n"
               "  -c FILE              check against this config's listeners, backends, limits\n"
               "  --root DIR           read /proc and /sys below DIR (default: /)\n"
               "  --write-sysctl FILE  write a sysctl.d drop-in with the recommended values\n"
               "  --write-systemd FILE write a gantry.service drop-in with the LimitNOFILE the\n"
               "                       config needs\n"
               "Changes nothing on the system. Exit: 0 nothing to fix, 1 something to fix, 2 "
               "error.\n");
}

// Returns -1 to go on, else the exit code.
int parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    bool ok = (a == "-c" || a == "--config")   ? value(&o->config_file)
              : a == "--root"                  ? value(&o->root)
              : a == "--write-sysctl"          ? value(&o->sysctl_out)
              : a == "--write-systemd"         ? value(&o->systemd_out)
                                               : false;
    if (!ok) {
      std::fprintf(stderr, "doctor: bad argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  return -1;
}

// Without -c the doctor plans for the defaults a config would get.
std::shared_ptr<const config::Config> default_config() {
  auto cfg = std::make_shared<config::Config>();
  cfg->workers = std::max(1u, std::thread::hardware_concurrency());
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int rc = parse_args(argc, argv, &o);
  if (rc >= 0) return rc;
  std::shared_ptr<const config::Config> cfg;
  if (o.config_file.empty()) {
    cfg = default_config();
  } else {
    auto loaded = config::load_config(o.config_file);
    if (!loaded) {
      std::fprintf(stderr, "doctor: %s\n", loaded.error().c_str());
      return 2;
    }
    cfg = loaded.value();
  }
  SystemView sys(o.root);
  Demand demand = demand_of(*cfg);
  Findings findings = run_all_checks(sys, demand);
  std::string header = "gantry doctor (root " + (o.root.empty() ? std::string("/") : o.root) +
                       ", config " + (o.config_file.empty() ? "defaults" : o.config_file) + ")";
  print_report(findings, header, stdout);
  if (!o.sysctl_out.empty()) {
    std::string err;
    if (!write_sysctl_dropin(findings, o.sysctl_out, &err)) {
      std::fprintf(stderr, "doctor: %s\n", err.c_str());
      return 2;
    }
    std::printf("\nwrote %s\n", o.sysctl_out.c_str());
  }
  if (!o.systemd_out.empty()) {
    std::string err;
    auto nr_open = sys.sysctl_int("fs.nr_open");
    uint64_t ceiling = nr_open && *nr_open > 0 ? static_cast<uint64_t>(*nr_open) : 0;
    if (!write_systemd_dropin(demand.file_descriptors, ceiling, o.systemd_out, &err)) {
      std::fprintf(stderr, "doctor: %s\n", err.c_str());
      return 2;
    }
    std::printf("\nwrote %s (LimitNOFILE=%llu)\n", o.systemd_out.c_str(),
                static_cast<unsigned long long>(demand.file_descriptors));
  }
  std::fflush(stdout);
  for (const auto& f : findings) {
    if (f.severity == Severity::kWarn) return 1;
  }
  return 0;
}

void log_startup_summary(const config::Config& cfg) {
  SystemView sys("");
  for (const auto& f : run_all_checks(sys, demand_of(cfg))) {
    if (f.severity == Severity::kWarn) {
      GLOG_WARN("doctor: %s", summary_line(f).c_str());
    } else {
      GLOG_INFO("doctor: %s", summary_line(f).c_str());
    }
  }
}

}  // namespace gantry::doctor
