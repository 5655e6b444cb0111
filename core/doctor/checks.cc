#include "doctor/checks.h"

#include <algorithm>
#include <sstream>
#include <string>

namespace gantry::doctor {

namespace {

constexpr int64_t kConntrackTimeWaitMax = 30;  // seconds; HAProxy's VM tuning figure

std::string num(uint64_t v) { return std::to_string(v); }

Finding sysctl_finding(const std::string& key, const std::optional<std::string>& value,
                       const std::string& recommended, bool bad, const std::string& why) {
  Finding f;
  f.key = key;
  f.value = value.value_or("unreadable");
  f.recommended = recommended;
  f.why = why;
  f.fix = sysctl_command(key, recommended);
  f.is_sysctl = true;
  f.severity = bad ? Severity::kWarn : Severity::kOk;
  return f;
}

std::string conn_basis(const Demand& d) {
  std::string s = num(d.client_connections) + " client connections (" +
                  (d.unlimited ? "max_connections unlimited, planned as " +
                                     num(kUnlimitedPlanningConnections)
                               : "max_connections") +
                  " x " + num(d.workers) + " workers)";
  return s;
}

}  // namespace

std::string sysctl_command(const std::string& key, const std::string& value) {
  if (value.find(' ') != std::string::npos) return "sysctl -w " + key + "=\"" + value + "\"";
  return "sysctl -w " + key + "=" + value;
}

Findings check_conntrack(const SystemView& sys, const Demand& d) {
  Findings out;
  const std::string max_key = "net.netfilter.nf_conntrack_max";
  if (!sys.exists(sys.sysctl_path(max_key))) {
    Finding f;
    f.key = "nf_conntrack";
    f.value = "not loaded";
    f.recommended = "not loaded, or tuned as below when a firewall needs it";
    f.why = "without connection tracking no per-connection state is kept in the kernel; "
            "if it gets loaded, check net.netfilter.nf_conntrack_tcp_timeout_time_wait and "
            "nf_conntrack_max again";
    f.fix = "none needed";
    f.severity = Severity::kOk;
    out.push_back(f);
    return out;
  }
  const std::string tw_key = "net.netfilter.nf_conntrack_tcp_timeout_time_wait";
  auto tw = sys.sysctl_int(tw_key);
  bool tw_bad = !tw || *tw > kConntrackTimeWaitMax;
  out.push_back(sysctl_finding(
      tw_key, sys.sysctl(tw_key),
      num(tw && *tw <= kConntrackTimeWaitMax ? *tw : kConntrackTimeWaitMax), tw_bad,
      "conntrack keeps an entry for every closed connection this long, and a proxy closes two "
      "(client and backend) per connection-per-request exchange; the 120 s default fills the "
      "table at high connection rates (\"nf_conntrack: table full, dropping packet\"), 30 s "
      "is enough for late segments"));
  // Two entries per proxied connection, doubled for the ones lingering in TIME_WAIT.
  uint64_t need = d.client_connections * 4;
  auto max = sys.sysctl_int(max_key);
  bool max_bad = !max || static_cast<uint64_t>(*max) < need;
  out.push_back(sysctl_finding(
      max_key, sys.sysctl(max_key), num(max && !max_bad ? *max : need), max_bad,
      "each proxied connection holds two conntrack entries (client and backend leg) and closed "
      "ones linger in TIME_WAIT; room for 2 x 2 x " + conn_basis(d) +
          " keeps new connections from being dropped when the table is full"));
  return out;
}

Findings check_ports_and_reuse(const SystemView& sys, const Demand& d) {
  Findings out;
  const std::string reuse_key = "net.ipv4.tcp_tw_reuse";
  auto reuse = sys.sysctl_int(reuse_key);
  // 2 (the default) reuses TIME_WAIT ports for loopback destinations only.
  bool reuse_ok = reuse && (*reuse == 1 || (*reuse == 2 && d.backends_all_loopback));
  out.push_back(sysctl_finding(
      reuse_key, sys.sysctl(reuse_key), reuse_ok ? num(*reuse) : "1", !reuse_ok,
      std::string("the proxy is the client of its backends, so its closed backend connections sit "
                  "in TIME_WAIT on its side; 1 lets new connections to the same server reuse "
                  "those ports safely (timestamps), 2 does so only for loopback") +
          (d.backends_all_loopback ? " (all servers of this config are on loopback)" : "")));

  const std::string range_key = "net.ipv4.ip_local_port_range";
  auto range = sys.sysctl(range_key);
  uint64_t low = 0, high = 0;
  bool parsed = false;
  if (range) {
    std::istringstream in(*range);
    parsed = static_cast<bool>(in >> low >> high) && high >= low;
  }
  uint64_t ports = parsed ? high - low + 1 : 0;
  // Each connection to one server address needs its own local port.
  uint64_t need = std::min<uint64_t>(d.client_connections, 64512);
  bool range_bad = !parsed || ports < need;
  out.push_back(sysctl_finding(
      range_key, range, range_bad ? "1024 65535" : *range, range_bad,
      "every connection to the same server address needs its own local port; " +
          (parsed ? num(ports) : std::string("an unknown number of")) +
          " ports for up to " + conn_basis(d) +
          " (with several backends, spread load or give [backend.socket_tuning] a `source` "
          "address per backend)"));
  return out;
}

Findings check_backlogs(const SystemView& sys, const Demand& d) {
  Findings out;
  const std::string somax_key = "net.core.somaxconn";
  auto somax = sys.sysctl_int(somax_key);
  bool somax_bad = !somax || *somax < d.max_backlog;
  out.push_back(sysctl_finding(
      somax_key, sys.sysctl(somax_key),
      num(somax_bad ? static_cast<uint64_t>(d.max_backlog) : static_cast<uint64_t>(*somax)),
      somax_bad,
      "listen() silently caps every listener's accept queue at somaxconn; the largest "
      "[[listener]] backlog of this config is " + num(d.max_backlog)));
  const std::string syn_key = "net.ipv4.tcp_max_syn_backlog";
  auto syn = sys.sysctl_int(syn_key);
  bool syn_bad = !syn || *syn < d.max_backlog;
  out.push_back(sysctl_finding(
      syn_key, sys.sysctl(syn_key),
      num(syn_bad ? static_cast<uint64_t>(d.max_backlog) : static_cast<uint64_t>(*syn)), syn_bad,
      "half-open connections (SYN received) wait in this queue; below the listener backlog (" +
          num(d.max_backlog) + ") a burst of new clients falls back to SYN cookies or drops"));
  return out;
}

Findings check_file_limits(const SystemView& sys, const Demand& d) {
  Findings out;
  const std::string key = "fs.file-max";
  auto max = sys.sysctl_int(key);
  bool bad = !max || static_cast<uint64_t>(*max) < d.file_descriptors;
  out.push_back(sysctl_finding(
      key, sys.sysctl(key), num(bad ? d.file_descriptors : static_cast<uint64_t>(*max)), bad,
      "the whole system's open files; the proxy alone needs two per proxied connection "
      "(client + backend): " + num(d.file_descriptors) + " for " + conn_basis(d)));

  Finding f;
  f.key = "RLIMIT_NOFILE";
  uint64_t soft = 0, hard = 0;
  bool known = sys.nofile_limit(&soft, &hard);
  auto show = [](uint64_t v) { return v == UINT64_MAX ? std::string("unlimited") : num(v); };
  f.value = known ? "soft " + show(soft) + ", hard " + show(hard) : "unreadable";
  f.recommended = known && soft >= d.file_descriptors ? show(soft) : num(d.file_descriptors);
  f.why = "the process cannot open more descriptors than its soft limit; it needs two per "
          "proxied connection: " + num(d.file_descriptors) + " for " + conn_basis(d);
  if (known && soft < d.file_descriptors && hard >= d.file_descriptors) {
    f.why += " (the hard limit allows raising the soft one without privileges)";
  }
  f.fix = "ulimit -n " + num(d.file_descriptors) + "  (systemd: LimitNOFILE=" +
          num(d.file_descriptors) + ")";
  f.severity = known && soft >= d.file_descriptors ? Severity::kOk : Severity::kWarn;
  out.push_back(f);
  return out;
}

Findings check_fastopen(const SystemView& sys, const Demand& d) {
  const std::string key = "net.ipv4.tcp_fastopen";
  auto v = sys.sysctl_int(key);
  int64_t need = (d.listener_fastopen ? 0x2 : 0) | (d.backend_fastopen ? 0x1 : 0);
  int64_t cur = v.value_or(0);
  bool bad = need != 0 && (!v || (cur & need) != need);
  std::string why;
  if (need == 0) {
    why = "no socket_tuning tcp_fastopen option in this config, so any value works (bit 0x1 "
          "enables client side, 0x2 server side)";
  } else {
    why = std::string("this config uses tcp_fastopen on ") +
          (d.listener_fastopen && d.backend_fastopen ? "listeners and backends"
           : d.listener_fastopen                    ? "listeners"
                                                    : "backends") +
          "; the kernel ignores it unless bit 0x2 (server side, listeners) / 0x1 (client side, "
          "backends) is set";
  }
  Findings out;
  out.push_back(sysctl_finding(key, sys.sysctl(key), num(static_cast<uint64_t>(cur | need)), bad,
                               why));
  return out;
}

}  // namespace gantry::doctor
