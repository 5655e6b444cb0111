#include "admin/metrics_text.h"

#include <cstdio>

#include "metrics/module_metrics.h"
#include "metrics/series.h"

namespace gantry::admin {
namespace {

const char* const kClassNames[metrics::kClasses] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

class Out {
 public:
  void header(const char* name, const char* type, const char* help) {
    s_ += "# HELP ";
    s_ += name;
    s_ += ' ';
    s_ += help;
    s_ += "\n# TYPE ";
    s_ += name;
    s_ += ' ';
    s_ += type;
    s_ += '\n';
  }
  void line(const std::string& name, const std::string& labels, uint64_t v) {
    s_ += name;
    if (!labels.empty()) s_ += "{" + labels + "}";
    s_ += ' ';
    s_ += std::to_string(v);
    s_ += '\n';
  }
  void line_signed(const std::string& name, const std::string& labels, int64_t v) {
    s_ += name;
    if (!labels.empty()) s_ += "{" + labels + "}";
    s_ += ' ';
    s_ += std::to_string(v);
    s_ += '\n';
  }
  void line_f(const std::string& name, const std::string& labels, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    s_ += name;
    if (!labels.empty()) s_ += "{" + labels + "}";
    s_ += ' ';
    s_ += buf;
    s_ += '\n';
  }
  void histogram(const std::string& name, const std::string& labels,
                 const metrics::Histogram& h) {
    std::string sep = labels.empty() ? "" : labels + ",";
    uint64_t cum = 0;
    for (int i = 0; i < metrics::Histogram::kBuckets; ++i) {
      cum += h.counts[i];
      char le[32];
      std::snprintf(le, sizeof le, "%g", metrics::Histogram::kBounds[i]);
      line(name + "_bucket", sep + "le=\"" + le + "\"", cum);
    }
    line(name + "_bucket", sep + "le=\"+Inf\"", h.count);
    line_f(name + "_sum", labels, static_cast<double>(h.sum_us) / 1e6);
    line(name + "_count", labels, h.count);
  }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

std::string labels_for(const std::pair<std::string, std::string>& n) {
  std::string l = "backend=\"" + label_value(n.first) + "\"";
  if (!n.second.empty()) l += ",server=\"" + label_value(n.second) + "\"";
  return l;
}

// What modules declared (metric_register), one family per name, in the
// order of first registration.
void render_module_metrics(Out& o) {
  std::vector<metrics::ModuleMetric> list = metrics::module_metric_list();
  std::vector<bool> done(list.size(), false);
  for (size_t i = 0; i < list.size(); ++i) {
    if (done[i]) continue;
    const metrics::ModuleMetric& first = list[i];
    std::string name = "gantry_" + first.name;
    o.header(name.c_str(),
             first.type == metrics::ModuleMetricType::kGauge ? "gauge" : "counter",
             first.help.empty() ? "Declared by a module." : first.help.c_str());
    for (size_t j = i; j < list.size(); ++j) {
      if (done[j] || list[j].name != first.name) continue;
      done[j] = true;
      std::string labels = "module=\"" + list[j].module + "\"";
      if (!list[j].labels.empty()) labels += "," + list[j].labels;
      o.line_signed(name, labels, metrics::module_metric_sum(static_cast<int32_t>(j)));
    }
  }
}

}  // namespace

std::string label_value(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string render_metrics(const metrics::WorkerMetrics& summed, const runtime::Snapshot& snap,
                           const ReloadCounts& reloads) {
  Out o;
  std::vector<std::pair<std::string, std::string>> names = metrics::series_names();
  // Every known series shows, at 0 before its first request: a counter that
  // appears only later loses its first increase in rate().
  metrics::WorkerMetrics sum = summed;
  if (sum.series.size() < names.size()) sum.series.resize(names.size());
  // Series of backends, then of servers: each family's lines stay together.
  std::vector<size_t> listeners, backends, servers;
  for (size_t i = 0; i < names.size() && i < sum.series.size(); ++i)
    (names[i].first.empty() ? listeners : names[i].second.empty() ? backends : servers).push_back(i);

  o.header("gantry_requests_total", "counter", "Requests answered, by status class.");
  for (int c = 0; c < metrics::kClasses; ++c)
    o.line("gantry_requests_total", std::string("code=\"") + kClassNames[c] + "\"", sum.requests[c]);

  o.header("gantry_listener_requests_total", "counter", "Requests on the listener, by status class.");
  for (size_t i : listeners)
    for (int c = 0; c < metrics::kClasses; ++c)
      o.line("gantry_listener_requests_total",
             "listener=\"" + label_value(names[i].second) + "\",code=\"" + kClassNames[c] + "\"",
             sum.series[i].requests[c]);
  o.header("gantry_listener_bytes_out_total", "counter", "Bytes sent to clients of the listener.");
  for (size_t i : listeners)
    o.line("gantry_listener_bytes_out_total", "listener=\"" + label_value(names[i].second) + "\"",
           sum.series[i].bytes_out);

  struct Family {
    const char* prefix;
    const std::vector<size_t>* ids;
  };
  for (Family f : {Family{"gantry_backend", &backends}, Family{"gantry_server", &servers}}) {
    std::string p = f.prefix;
    o.header((p + "_requests_total").c_str(), "counter", "Requests, by status class.");
    for (size_t i : *f.ids)
      for (int c = 0; c < metrics::kClasses; ++c)
        o.line(p + "_requests_total",
               labels_for(names[i]) + ",code=\"" + kClassNames[c] + "\"",
               sum.series[i].requests[c]);
    o.header((p + "_bytes_in_total").c_str(), "counter", "Request body bytes read from clients.");
    for (size_t i : *f.ids) o.line(p + "_bytes_in_total", labels_for(names[i]), sum.series[i].bytes_in);
    o.header((p + "_bytes_out_total").c_str(), "counter", "Response bytes sent to clients.");
    for (size_t i : *f.ids) o.line(p + "_bytes_out_total", labels_for(names[i]), sum.series[i].bytes_out);
    o.header((p + "_connect_seconds").c_str(), "histogram", "Time to connect to a server.");
    for (size_t i : *f.ids) o.histogram(p + "_connect_seconds", labels_for(names[i]), sum.series[i].connect);
    o.header((p + "_first_byte_seconds").c_str(), "histogram",
             "From the request's start to the response head.");
    for (size_t i : *f.ids)
      o.histogram(p + "_first_byte_seconds", labels_for(names[i]), sum.series[i].first_byte);
    o.header((p + "_total_seconds").c_str(), "histogram", "From the request's start to its end.");
    for (size_t i : *f.ids) o.histogram(p + "_total_seconds", labels_for(names[i]), sum.series[i].total);
  }
  o.header("gantry_server_retries_total", "counter", "Attempts retried after this server failed.");
  for (size_t i : servers) o.line("gantry_server_retries_total", labels_for(names[i]), sum.series[i].retries);

  // The main thread's view of the running generation's servers.
  const config::Config& cfg = *snap.cfg;
  uint64_t now = upstream::now_ms();
  o.header("gantry_server_up", "gauge", "1 if health checks (or their absence) say the server is up.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b) {
    for (const auto& s : snap.servers[b]->servers) {
      std::string l = labels_for({cfg.backends[b].name, s->name});
      o.line("gantry_server_up", l, s->healthy() ? 1 : 0);
    }
  }
  o.header("gantry_server_state", "gauge", "1 for the server's admin state (ready, drain, maint).");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers)
      for (auto st : {upstream::AdminState::kReady, upstream::AdminState::kDrain,
                      upstream::AdminState::kMaint})
        o.line("gantry_server_state",
               labels_for({cfg.backends[b].name, s->name}) + ",state=\"" +
                   upstream::admin_state_name(st) + "\"",
               s->admin() == st ? 1 : 0);
  o.header("gantry_server_weight", "gauge", "The server's current weight.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers)
      o.line("gantry_server_weight", labels_for({cfg.backends[b].name, s->name}), s->weight());
  o.header("gantry_server_active_requests", "gauge", "Requests in flight to the server.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers) {
      uint64_t n = 0;
      for (const auto& slot : s->per_worker) n += slot.active.load(std::memory_order_relaxed);
      o.line("gantry_server_active_requests", labels_for({cfg.backends[b].name, s->name}), n);
    }
  o.header("gantry_server_health_transitions_total", "counter",
           "Times health checks marked the server up or down.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers)
      o.line("gantry_server_health_transitions_total", labels_for({cfg.backends[b].name, s->name}),
             s->health_transitions.load(std::memory_order_relaxed));
  o.header("gantry_server_ejected", "gauge", "1 while the server is ejected after failures.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers)
      o.line("gantry_server_ejected", labels_for({cfg.backends[b].name, s->name}),
             s->ejected(now) ? 1 : 0);
  o.header("gantry_server_ejections_total", "counter",
           "Times outlier detection took the server out of rotation.");
  for (size_t b = 0; b < cfg.backends.size() && b < snap.servers.size(); ++b)
    for (const auto& s : snap.servers[b]->servers)
      o.line("gantry_server_ejections_total", labels_for({cfg.backends[b].name, s->name}),
             s->ejections.load(std::memory_order_relaxed));

  o.header("gantry_client_connections", "gauge",
           "Open client connections: active (a request in flight, a tunnel) or idle (keep-alive).");
  o.line("gantry_client_connections", "state=\"active\"", sum.client_active);
  o.line("gantry_client_connections", "state=\"idle\"", sum.client_idle);
  o.header("gantry_upstream_connections", "gauge", "Open upstream connections, by use.");
  o.line("gantry_upstream_connections", "state=\"active\"", sum.upstream_active);
  o.line("gantry_upstream_connections", "state=\"idle\"", sum.upstream_idle);
  o.header("gantry_tunnels_open", "gauge", "WebSocket and other upgraded tunnels open now.");
  o.line("gantry_tunnels_open", "",
         sum.tunnels_opened >= sum.tunnels_closed ? sum.tunnels_opened - sum.tunnels_closed : 0);
  o.header("gantry_tunnels_total", "counter", "Tunnels opened.");
  o.line("gantry_tunnels_total", "", sum.tunnels_opened);
  o.header("gantry_tls_handshakes_total", "counter",
           "TLS handshakes completed with clients, by provider, version and resumption.");
  using metrics::TlsHandshakes;
  for (int p = 0; p < TlsHandshakes::kProviders; ++p)
    for (int v = 0; v < TlsHandshakes::kVersions; ++v)
      for (int r = 0; r < 2; ++r) {
        uint64_t n = sum.tls.count[p][v][r];
        if (n == 0) continue;
        o.line("gantry_tls_handshakes_total",
               std::string("provider=\"") + TlsHandshakes::kProviderNames[p] + "\",version=\"" +
                   TlsHandshakes::kVersionNames[v] + "\",resumed=\"" + (r ? "true" : "false") + "\"",
               n);
      }
  o.header("gantry_accept_failures_total", "counter",
           "accept() failures on client listeners (EMFILE, ENFILE, ...).");
  o.line("gantry_accept_failures_total", "", sum.accept_failures);
  o.header("gantry_reloads_total", "counter", "Configuration reloads, by result.");
  o.line("gantry_reloads_total", "result=\"ok\"", reloads.ok);
  o.line("gantry_reloads_total", "result=\"failed\"", reloads.failed);
  o.header("gantry_config_generation", "gauge", "The running configuration generation.");
  o.line("gantry_config_generation", "", snap.generation_id);
  render_module_metrics(o);
  return o.take();
}

}  // namespace gantry::admin
