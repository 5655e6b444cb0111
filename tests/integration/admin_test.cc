// The admin listener seen from outside: a real Prometheus scrapes /metrics
// and counts what the test sent, headless Chromium drives the status page,
// and the runtime API drains a server under wrk load without one failed
// request (and refuses the same call without the token).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/harness.h"
#include "harness/websocket_peers.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "t0ken-for-the-test";

// Where a test leaves what a person may want to look at afterwards
// (screenshots): <working dir>/test-output/admin_test, or
// $GANTRY_ITEST_OUTPUT_DIR.
std::string output_dir() {
  const char* env = std::getenv("GANTRY_ITEST_OUTPUT_DIR");
  std::string dir = env != nullptr && *env != '\0'
                        ? std::string(env)
                        : std::filesystem::current_path().string() + "/test-output/admin_test";
  std::filesystem::create_directories(dir);
  return dir;
}

// The value of the /metrics line that starts with `series` (name and
// labels exactly); -1 if there is none.
long long metric_value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

class AdminTest : public IntegrationTest {
 protected:
  // Two servers named a and b behind backend "web", the admin listener on a
  // port of its own. The admin socket does not share ports, so its reserved
  // port is released just before gantry starts.
  // `top`: top-level keys and [[module]] tables, before the rest.
  void start(const std::vector<std::string>& servers, const std::string& extra = "",
             const std::string& top = "") {
    admin_port_ = free_port();
    std::ofstream(tmp().file("token")) << kToken << "\n";
    std::string list;
    const char* names[] = {"a", "b", "c"};
    for (size_t i = 0; i < servers.size(); ++i)
      list += std::string(i ? ", " : "") + "{address = \"" + servers[i] + "\", name = \"" +
              names[i] + "\"}";
    std::string cfg =
        "workers = 2\n" + top +
        "[log]\naccess = \"off\"\n"
        "[admin]\nbind = \"127.0.0.1:" + std::to_string(admin_port_) + "\"\n"
        "token_file = \"token\"\n"
        "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
        "[[backend]]\nname = \"web\"\nservers = [" + list + "]\n" + extra;
    config_ = write_config(cfg);
    release_port(admin_port_);
    ASSERT_TRUE(start_gantry(config_));
    ASSERT_TRUE(gantry().wait_for_output("admin listener on", 10s)) << gantry().output();
  }

  std::string admin_url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(admin_port_) + path;
  }

  CurlResult admin(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& token = "") {
    std::vector<std::string> args = {"-X", method, admin_url(path)};
    if (!body.empty()) args.insert(args.end(), {"-H", "Content-Type: application/json", "--data", body});
    if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
    return run_curl(args, tmp().path());
  }

  json backends() {
    CurlResult r = admin("GET", "/api/backends");
    EXPECT_EQ(r.http_code, 200) << r.body << r.error;
    return json::parse(r.body, nullptr, false);
  }

  // A server's 2xx count from /metrics; -1 if the line is missing.
  long long server_2xx(const std::string& server) {
    CurlResult r = run_curl({admin_url("/metrics")}, tmp().path());
    std::regex line("gantry_server_requests_total\\{backend=\"web\",server=\"" + server +
                    "\",code=\"2xx\"\\} (\\d+)");
    std::smatch m;
    if (!std::regex_search(r.body, m, line)) return -1;
    return std::stoll(m[1]);
  }

  uint16_t admin_port_ = 0;
  std::string config_;
};

TEST_F(AdminTest, PrometheusScrapesTheRequestsTheTestSent) {
  GANTRY_REQUIRE_TOOL("prometheus", "prometheus");
  RecordingBackend a, b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address(), b.address()}));

  const int kSent = 37;
  for (int i = 0; i < kSent; ++i) {
    auto r = exchange(port(), get_request("/n" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    ASSERT_EQ(r.response.status, 200);
  }
  // A 404 from a server counts under 4xx, not 2xx.
  a.set_response([] { ScriptedResponse s; s.status = 404; return s; }());
  b.set_response([] { ScriptedResponse s; s.status = 404; return s; }());
  auto nf = exchange(port(), get_request("/missing"));
  ASSERT_TRUE(nf.ok());
  ASSERT_EQ(nf.response.status, 404);

  uint16_t prom_port = free_port();
  std::string prom_cfg = tmp().file("prometheus.yml");
  std::ofstream(prom_cfg) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                             "scrape_configs:\n  - job_name: gantry\n    static_configs:\n"
                             "      - targets: ['127.0.0.1:" << admin_port_ << "']\n";
  std::filesystem::create_directories(tmp().file("tsdb"));
  release_port(prom_port);
  Subprocess prom;
  ASSERT_TRUE(prom.start({"prometheus", "--config.file=" + prom_cfg,
                          "--storage.tsdb.path=" + tmp().file("tsdb"),
                          "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                         tmp().file("prometheus.out"), tmp().file("prometheus.err")));
  std::string base = "http://127.0.0.1:" + std::to_string(prom_port);
  // What Prometheus stored, through its own query API: polled until the
  // first scrapes landed (bounded by a deadline, not asserted on).
  auto query = [&](const std::string& promql) -> std::string {
    CurlResult r = run_curl({"-G", base + "/api/v1/query", "--data-urlencode", "query=" + promql},
                            tmp().path());
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "success") return "";
    const json& res = j["data"]["result"];
    if (!res.is_array() || res.empty()) return "";
    return res[0]["value"][1].get<std::string>();
  };
  std::string ok2xx, server_sum, not_found, up;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    ok2xx = query("sum(gantry_backend_requests_total{backend=\"web\",code=\"2xx\"})");
    if (ok2xx == std::to_string(kSent)) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(ok2xx, std::to_string(kSent)) << read_file(tmp().file("prometheus.err"));
  server_sum = query("sum(gantry_server_requests_total{backend=\"web\",code=\"2xx\"})");
  EXPECT_EQ(server_sum, std::to_string(kSent));
  not_found = query("sum(gantry_backend_requests_total{backend=\"web\",code=\"4xx\"})");
  EXPECT_EQ(not_found, "1");
  up = query("up{job=\"gantry\"}");
  EXPECT_EQ(up, "1");
  EXPECT_EQ(query("gantry_config_generation"), "1");
  // Both servers took some of them: the per-server series are distinct.
  std::string on_a = query("gantry_server_requests_total{server=\"a\",code=\"2xx\"}");
  std::string on_b = query("gantry_server_requests_total{server=\"b\",code=\"2xx\"}");
  ASSERT_FALSE(on_a.empty());
  ASSERT_FALSE(on_b.empty());
  EXPECT_EQ(std::stoll(on_a) + std::stoll(on_b), kSent);
  EXPECT_GT(std::stoll(on_a), 0);
  EXPECT_GT(std::stoll(on_b), 0);
  prom.signal(SIGTERM);
  prom.wait_exit(10s);
}

TEST_F(AdminTest, MetricsTextHasEveryFamilyWithTypes) {
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address()}));
  auto r0 = exchange(port(), get_request("/"));
  ASSERT_TRUE(r0.ok());
  // One keep-alive client waiting for its next request, one in the middle
  // of a request head.
  RawClient idle, busy;
  ASSERT_TRUE(idle.connect(port()));
  ASSERT_TRUE(idle.send(get_request("/")));
  ASSERT_TRUE(idle.read_response().ok());
  ASSERT_TRUE(busy.connect(port()));
  ASSERT_TRUE(busy.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(200ms);  // the partial head reaches gantry
  CurlResult m = run_curl({"-i", admin_url("/metrics")}, tmp().path());
  ASSERT_EQ(m.http_code, 200) << m.error;
  for (const char* family :
       {"gantry_requests_total counter", "gantry_listener_requests_total counter",
       "gantry_listener_bytes_out_total counter", "gantry_backend_requests_total counter",
        "gantry_server_requests_total counter", "gantry_backend_bytes_in_total counter",
        "gantry_server_bytes_out_total counter", "gantry_server_connect_seconds histogram",
        "gantry_server_first_byte_seconds histogram", "gantry_backend_total_seconds histogram",
        "gantry_server_retries_total counter", "gantry_server_up gauge",
        "gantry_server_state gauge", "gantry_server_weight gauge",
        "gantry_server_active_requests gauge", "gantry_server_health_transitions_total counter",
        "gantry_server_ejected gauge", "gantry_client_connections gauge",
        "gantry_upstream_connections gauge", "gantry_tunnels_open gauge",
        "gantry_accept_failures_total counter", "gantry_reloads_total counter",
        "gantry_config_generation gauge"}) {
    EXPECT_NE(m.body.find(std::string("# TYPE ") + family), std::string::npos) << family;
  }
  EXPECT_EQ(metric_value(m.body, "gantry_client_connections{state=\"idle\"}"), 1) << m.body;
  EXPECT_EQ(metric_value(m.body, "gantry_client_connections{state=\"active\"}"), 1) << m.body;
  EXPECT_NE(m.body.find("gantry_server_total_seconds_bucket{backend=\"web\",server=\"a\",le=\"+Inf\"} 2"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("gantry_listener_requests_total{listener=\"127.0.0.1:" +
                        std::to_string(port()) + "\",code=\"2xx\"} 2"),
            std::string::npos)
      << m.body;
  // Every name documented in docs/metrics.md.
  std::string doc = read_file(source_dir() + "/docs/metrics.md");
  std::regex type_line("# TYPE (\\S+) ");
  for (auto it = std::sregex_iterator(m.body.begin(), m.body.end(), type_line);
       it != std::sregex_iterator(); ++it)
    EXPECT_NE(doc.find("`" + (*it)[1].str() + "`"), std::string::npos)
        << (*it)[1].str() << " is not in docs/metrics.md";
}

// Modules count through the host (ABI 1.1 metric_register / metric_add):
// the ACL module's rule hits and the SDK rate limiter's 429s appear with a
// `module` label, next to the core's TLS handshake counts, and agree with
// what the client saw.
TEST_F(AdminTest, ModuleAclAndTlsMetricsCountWhatTheClientSaw) {
  GANTRY_REQUIRE_TOOL("openssl", "openssl");
  GANTRY_REQUIRE_TOOL("curl", "curl");
  std::string certs = tmp().file("certs");
  ASSERT_TRUE(make_dirs(certs));
  RunResult made = run_command({"sh", source_dir() + "/tests/unit/tls/make_test_certs.sh", certs},
                               tmp().path());
  ASSERT_TRUE(made.status.ok()) << made.err;
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  uint16_t tls_port = free_port();
  std::string top = "modules_dir = \"" + modules_dir() + "\"\n"
      "[[module]]\nname = \"tls-openssl\"\npath = \"tls_openssl\"\n"
      "[[module]]\nname = \"acl\"\npath = \"acl_hyperscan\"\n"
      "[module.config]\ncache_dir = \"off\"\ndefault_backend = \"web\"\n"
      "[[module.config.acl]]\nname = \"api\"\npath_beg = \"/api/\"\n"
      "[[module.config.rule]]\nname = \"api\"\nif = \"api\"\nuse_backend = \"web\"\n"
      "[[module.config.rule]]\nif = \"api\"\nuse_backend = \"web\"\n"  // shadowed: never hit
      "[[module.config.rule]]\nname = \"never\"\nif = \"api\"\nuse_backend = \"web\"\n"
      "[[module]]\nname = \"limit\"\npath = \"ratelimit\"\n"
      "[module.config]\nrate = 0.01\nburst = 1\n";
  std::string listener = "[[listener]]\nname = \"tls\"\nbind = \"127.0.0.1:" +
                         std::to_string(tls_port) + "\"\n[listener.tls]\nprovider = \"tls-openssl\"\n"
                         "certificates = [ { cert = \"" + certs + "/ec.pem\", key = \"" + certs +
                         "/ec.key\" } ]\n";
  ASSERT_NO_FATAL_FAILURE(start({a.address()}, listener, top));

  // Through TLS: 2 workers, one token each and none coming back, so of
  // these at most 2 pass and the rest get 429. The client counts.
  int ok = 0, limited = 0, api = 0;
  for (int i = 0; i < 6; ++i) {
    std::string path = i % 2 == 0 ? "/api/x" : "/page";
    api += i % 2 == 0 ? 1 : 0;
    CurlResult r = run_curl({"--cacert", certs + "/ca.pem", "--resolve",
                             "example.com:" + std::to_string(tls_port) + ":127.0.0.1",
                             "https://example.com:" + std::to_string(tls_port) + path},
                            tmp().path(), 20s);
    ASSERT_TRUE(r.ok()) << r.error;
    ok += r.http_code == 200 ? 1 : 0;
    limited += r.http_code == 429 ? 1 : 0;
  }
  EXPECT_EQ(ok + limited, 6);
  EXPECT_GE(limited, 4);

  CurlResult m = run_curl({admin_url("/metrics")}, tmp().path());
  ASSERT_EQ(m.http_code, 200) << m.error;
  const std::string& t = m.body;
  EXPECT_NE(t.find("# TYPE gantry_acl_rule_hits_total counter"), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE gantry_ratelimit_limited_total counter"), std::string::npos) << t;
  // The ACL runs before the limiter, so it sees every request.
  EXPECT_EQ(metric_value(t, "gantry_acl_rule_hits_total{module=\"acl\",rule=\"api\"}"), api) << t;
  EXPECT_EQ(metric_value(t, "gantry_acl_rule_hits_total{module=\"acl\",rule=\"#2\"}"), 0) << t;
  EXPECT_EQ(metric_value(t, "gantry_acl_rule_hits_total{module=\"acl\",rule=\"never\"}"), 0) << t;
  EXPECT_EQ(metric_value(t, "gantry_acl_rule_hits_total{module=\"acl\",rule=\"default\"}"), 6 - api)
      << t;
  EXPECT_EQ(metric_value(t, "gantry_ratelimit_limited_total{module=\"limit\"}"), limited) << t;
  // curl made a fresh TLS 1.3 connection each time (no session reuse
  // across processes).
  EXPECT_EQ(metric_value(t, "gantry_tls_handshakes_total{provider=\"openssl\",version=\"TLSv1.3\","
                            "resumed=\"false\"}"),
            6)
      << t;
  EXPECT_EQ(metric_value(t, "gantry_requests_total{code=\"4xx\"}"), limited) << t;

  // A reload keeps the module counters (same module, name and labels).
  ASSERT_EQ(::kill(gantry().pid(), SIGHUP), 0);
  ASSERT_TRUE(gantry().wait_for_output("reload complete", 10s)) << gantry().output();
  CurlResult after = run_curl({admin_url("/metrics")}, tmp().path());
  EXPECT_EQ(metric_value(after.body, "gantry_ratelimit_limited_total{module=\"limit\"}"), limited)
      << after.body;
}

TEST_F(AdminTest, ApiListsChangesAndReloads) {
  RecordingBackend a, b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address(), b.address()}));

  json j = backends();
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["backends"].size(), 1u);
  const json& web = j["backends"][0];
  EXPECT_EQ(web["name"], "web");
  ASSERT_EQ(web["servers"].size(), 2u);
  EXPECT_EQ(web["servers"][0]["name"], "a");
  EXPECT_EQ(web["servers"][0]["state"], "ready");
  EXPECT_EQ(web["servers"][0]["weight"], 1);
  EXPECT_EQ(web["servers"][1]["address"], b.address());

  // Changes without the token, or with a wrong one: 401, and logged.
  CurlResult none = admin("POST", "/api/backends/web/servers/a/weight", R"({"weight": 3})");
  EXPECT_EQ(none.http_code, 401) << none.body;
  CurlResult wrong = admin("POST", "/api/backends/web/servers/a/weight", R"({"weight": 3})", "nope");
  EXPECT_EQ(wrong.http_code, 401) << wrong.body;
  EXPECT_TRUE(gantry().wait_for_output("wrong bearer token", 5s)) << gantry().output();
  EXPECT_EQ(backends()["backends"][0]["servers"][0]["weight"], 1);

  CurlResult w = admin("POST", "/api/backends/web/servers/a/weight", R"({"weight": 3})", kToken);
  EXPECT_EQ(w.http_code, 200) << w.body;
  CurlResult m = admin("POST", "/api/backends/web/servers/b/state", R"({"state": "maint"})", kToken);
  EXPECT_EQ(m.http_code, 200) << m.body;
  EXPECT_EQ(admin("POST", "/api/backends/web/servers/b/state", R"({"state": "sleepy"})", kToken).http_code, 400);
  EXPECT_EQ(admin("POST", "/api/backends/web/servers/zz/state", R"({"state": "drain"})", kToken).http_code, 404);
  EXPECT_EQ(admin("POST", "/api/backends/web/servers/a/weight", "not json", kToken).http_code, 400);
  j = backends();
  EXPECT_EQ(j["backends"][0]["servers"][0]["weight"], 3);
  EXPECT_EQ(j["backends"][0]["servers"][1]["state"], "maint");
  EXPECT_FALSE(j["backends"][0]["servers"][1]["last_change_seconds_ago"].is_null());

  // Only a takes requests now.
  size_t b_before = b.request_count();
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/m"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200);
  }
  EXPECT_EQ(b.request_count(), b_before);

  // A reload through the API returns its result; runtime changes to
  // servers that stay are carried over (like SIGHUP).
  CurlResult rl = admin("POST", "/api/reload", "", kToken);
  EXPECT_EQ(rl.http_code, 200) << rl.body;
  json rj = json::parse(rl.body, nullptr, false);
  EXPECT_EQ(rj["ok"], true);
  EXPECT_EQ(rj["generation"], 2);
  j = backends();
  EXPECT_EQ(j["generation"], 2);
  EXPECT_EQ(j["backends"][0]["servers"][0]["weight"], 3);
  EXPECT_EQ(j["backends"][0]["servers"][1]["state"], "maint");
  // A broken config: the reload fails, the API says so, generation 2 stays.
  std::string good = read_file(config_);
  std::ofstream(config_) << good << "\n[[route]]\nbackend = \"nosuch\"\n";
  CurlResult bad = admin("POST", "/api/reload", "", kToken);
  EXPECT_EQ(bad.http_code, 409) << bad.body;
  json bj = json::parse(bad.body, nullptr, false);
  EXPECT_EQ(bj["ok"], false);
  EXPECT_EQ(bj["generation"], 2);
  CurlResult g = admin("GET", "/api/generation");
  ASSERT_EQ(g.http_code, 200);
  json gj = json::parse(g.body, nullptr, false);
  EXPECT_EQ(gj["generation"], 2);
  EXPECT_TRUE(gj["modules"].is_array());
  EXPECT_EQ(gj["listeners"][0]["bind"], "127.0.0.1:" + std::to_string(port()));
  CurlResult metrics = run_curl({admin_url("/metrics")}, tmp().path());
  EXPECT_NE(metrics.body.find("gantry_reloads_total{result=\"ok\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("gantry_reloads_total{result=\"failed\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("gantry_config_generation 2"), std::string::npos);
  EXPECT_EQ(admin("POST", "/api/reload").http_code, 401);
}

TEST_F(AdminTest, ServersAddedAndRemovedAtRunTime) {
  RecordingBackend a, c;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(c.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address()}));
  std::string add = R"({"address": ")" + c.address() + R"(", "name": "c"})";
  EXPECT_EQ(admin("POST", "/api/backends/web/servers", add).http_code, 401);
  CurlResult r = admin("POST", "/api/backends/web/servers", add, kToken);
  ASSERT_EQ(r.http_code, 200) << r.body;
  EXPECT_EQ(admin("POST", "/api/backends/web/servers", add, kToken).http_code, 409);
  EXPECT_EQ(backends()["backends"][0]["servers"].size(), 2u);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(exchange(port(), get_request("/x")).ok());
  EXPECT_GT(c.request_count(), 0u) << "the added server takes requests";

  // Removal waits for a drain: refused while the server is ready.
  EXPECT_EQ(admin("DELETE", "/api/backends/web/servers/c", "", kToken).http_code, 409);
  ASSERT_EQ(admin("POST", "/api/backends/web/servers/c/state", R"({"state": "drain"})", kToken).http_code, 200);
  CurlResult del = admin("DELETE", "/api/backends/web/servers/c", "", kToken);
  EXPECT_EQ(del.http_code, 200) << del.body;
  EXPECT_EQ(backends()["backends"][0]["servers"].size(), 1u);
  size_t c_before = c.request_count();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(exchange(port(), get_request("/y")).ok());
  EXPECT_EQ(c.request_count(), c_before);
}

TEST_F(AdminTest, DrainUnderLoadMovesTrafficWithoutFailures) {
  GANTRY_REQUIRE_TOOL("wrk", "wrk");
  GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
  NginxBackend a(tmp().file("nginx-a")), b(tmp().file("nginx-b"));
  a.add_return("/", 200, "a");
  b.add_return("/", 200, "b");
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address(), b.address()}));

  // wrk runs 6 s; the drain comes 2 s in.
  RunResult load;
  std::thread wrk([&] {
    load = run_command({"wrk", "-t2", "-c16", "-d6s", "http://127.0.0.1:" + std::to_string(port()) + "/"},
                       tmp().path(), 60s);
  });
  std::this_thread::sleep_for(2s);
  CurlResult refused = admin("POST", "/api/backends/web/servers/a/state", R"({"state": "drain"})");
  EXPECT_EQ(refused.http_code, 401) << refused.body;
  EXPECT_EQ(backends()["backends"][0]["servers"][0]["state"], "ready");
  CurlResult drained = admin("POST", "/api/backends/web/servers/a/state", R"({"state": "drain"})", kToken);
  EXPECT_EQ(drained.http_code, 200) << drained.body;
  // Requests already on their way to a may still finish there; once they
  // have, a's count must stay put while b's grows.
  std::this_thread::sleep_for(500ms);
  long long a_after_drain = server_2xx("a");
  long long b_after_drain = server_2xx("b");
  wrk.join();
  ASSERT_TRUE(load.status.ok()) << load.out << load.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(load.out, m, std::regex("(\\d+) requests in"))) << load.out;
  long long total = std::stoll(m[1]);
  EXPECT_GT(total, 100) << load.out;
  EXPECT_EQ(load.out.find("Socket errors"), std::string::npos) << load.out;
  EXPECT_EQ(load.out.find("Non-2xx"), std::string::npos) << load.out;
  long long a_end = server_2xx("a");
  long long b_end = server_2xx("b");
  EXPECT_EQ(a_end, a_after_drain) << "a still took requests after the drain";
  EXPECT_GT(b_end, b_after_drain);
  EXPECT_GT(a_after_drain, 0) << "a took its share before the drain";
  // Every request wrk sent is counted once, on a or b (wrk may cut the very
  // last requests at its deadline, which gantry then counts as unanswered).
  EXPECT_GE(a_end + b_end, total);
  EXPECT_EQ(backends()["backends"][0]["servers"][0]["state"], "drain");
}

TEST_F(AdminTest, StatusPageDrainsAServerInTheBrowser) {
  GANTRY_REQUIRE_TOOL("chromium", "chromium");
  GANTRY_REQUIRE_TOOL("node", "nodejs");
  GANTRY_REQUIRE(file_exists(source_dir() + "/tests/integration/node/node_modules/ws/package.json"),
                 "npm packages in tests/integration/node (scripts/setup.sh)");
  RecordingBackend a, b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address(), b.address()}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(exchange(port(), get_request("/p")).ok());

  // The page is one self-contained document: no external assets.
  CurlResult page = run_curl({admin_url("/")}, tmp().path());
  ASSERT_EQ(page.http_code, 200);
  EXPECT_EQ(page.body.find("src=\"http"), std::string::npos);
  EXPECT_EQ(page.body.find("href=\"http"), std::string::npos);

  std::string shot = output_dir() + "/status_page.png";
  std::filesystem::remove(shot);
  RunResult r = run_command({"node", source_dir() + "/tests/integration/node/admin_page.js", "--url",
                             admin_url("/"), "--token", kToken, "--backend", "web", "--server", "b",
                             "--screenshot", shot, "--profile", tmp().file("chromium")},
                            tmp().path(), 90s);
  std::string last = r.out.substr(0, r.out.find_last_not_of('\n') + 1);
  last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
  json v = json::parse(last, nullptr, false);
  ASSERT_TRUE(v.is_object()) << "no JSON object on the last line\n" << r.out << r.err;
  ASSERT_TRUE(r.status.ok()) << r.out << r.err;
  // What the page showed before: both servers, ready.
  std::map<std::string, std::string> before, after;
  for (const json& row : v["before"]) before[row["server"]] = row["state"];
  for (const json& row : v["after"]) after[row["server"]] = row["state"];
  EXPECT_EQ(before, (std::map<std::string, std::string>{{"a", "ready"}, {"b", "ready"}})) << last;
  EXPECT_EQ(after, (std::map<std::string, std::string>{{"a", "ready"}, {"b", "drain"}})) << last;
  // The page's action went through the API: gantry says so too.
  EXPECT_EQ(backends()["backends"][0]["servers"][1]["state"], "drain");
  EXPECT_TRUE(gantry().wait_for_output("web/b state set to drain", 5s));
  EXPECT_TRUE(file_exists(shot)) << shot;
  std::cout << "screenshot: " << shot << "\n";
}

TEST_F(AdminTest, AcceptFailuresAreLoggedAndCounted) {
  GANTRY_REQUIRE_TOOL("prlimit", "util-linux");
#ifdef GANTRY_SANITIZE_BUILD
  // UBSan's vptr check asks whether memory is readable by writing it to a
  // pipe(2); out of descriptors the pipe fails, and every virtual call then
  // looks like a call on a bad object, which halts the process. The normal
  // build runs this test.
  GTEST_SKIP() << "UBSan's vptr check needs free descriptors (sanitizer_common "
                  "IsAccessibleMemoryRange uses a pipe)";
#endif
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  ASSERT_NO_FATAL_FAILURE(start({a.address()}));
  // Few descriptors left for gantry: connections beyond them fail accept()
  // with EMFILE.
  // Room for a few clients above what gantry holds now (a sanitizer build
  // holds more): the ones after them fail accept() with EMFILE.
  std::string pid = std::to_string(gantry().pid());
  size_t open_fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + pid + "/fd");
       it != std::filesystem::directory_iterator(); ++it)
    ++open_fds;
  std::string limit = std::to_string(open_fds + 24);
  RunResult lim =
      run_command({"prlimit", "--pid", pid, "--nofile=" + limit + ":" + limit}, tmp().path());
  ASSERT_TRUE(lim.status.ok()) << lim.err;
  std::vector<int> fds;
  for (int i = 0; i < 120; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fds.push_back(fd);
  }
  EXPECT_TRUE(gantry().wait_for_output("failed: too many open files", 10s)) << gantry().output();
  for (int fd : fds) ::close(fd);
  // Descriptors free again: the admin listener answers and shows the count.
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    body = run_curl({admin_url("/metrics")}, tmp().path()).body;
    if (body.find("gantry_accept_failures_total ") != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex("gantry_accept_failures_total (\\d+)"))) << body;
  EXPECT_GT(std::stoll(m[1]), 0);
}

TEST_F(AdminTest, RequestReapedWith408IsLoggedWithAnEmptyMethod) {
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(start_gantry(write_proxy_config({a.address()}, "[timeouts]\nclient_head = \"1s\"\n")));
  // Half a request line, then nothing: the head deadline reaps it.
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send("GET /slow"));
  ReadResult r = c.read_response(10000ms);
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 408);
  ASSERT_TRUE(gantry().wait_for_output(" 408 ", 5s)) << gantry().output();
  std::string out = gantry().stdout_text();
  std::string line = out.substr(out.rfind('\n', out.find(" 408 ")) + 1);
  line = line.substr(0, line.find('\n'));
  // The request line never completed: no method (the quoted part starts
  // with the space that separates method and target).
  EXPECT_TRUE(std::regex_search(line, std::regex("\" [^\"]*\" 408 "))) << line;
  EXPECT_NE(line.find("client_timeout"), std::string::npos) << line;
}

TEST_F(AdminTest, UnixSocketAdminListener) {
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  std::string sock = tmp().file("admin.sock");
  std::ofstream(tmp().file("token")) << kToken;
  ASSERT_TRUE(start_gantry(write_proxy_config(
      {a.address()}, "[admin]\nbind = \"" + sock + "\"\ntoken_file = \"token\"\n")));
  ASSERT_TRUE(gantry().wait_for_output("admin listener on " + sock, 10s)) << gantry().output();
  ASSERT_TRUE(exchange(port(), get_request("/u")).ok());
  CurlResult m = run_curl({"--unix-socket", sock, "http://admin/metrics"}, tmp().path());
  ASSERT_EQ(m.http_code, 200) << m.error;
  EXPECT_NE(m.body.find("gantry_backend_requests_total{backend=\"web\",code=\"2xx\"} 1"),
            std::string::npos) << m.body;
  CurlResult refused = run_curl({"--unix-socket", sock, "-X", "POST", "--data", R"({"weight": 2})",
                                 "http://admin/api/backends/web/servers/" + a.address() + "/weight"},
                                tmp().path());
  EXPECT_EQ(refused.http_code, 401);
  CurlResult ok = run_curl({"--unix-socket", sock, "-X", "POST", "--data", R"({"weight": 2})", "-H",
                            std::string("Authorization: Bearer ") + kToken,
                            "http://admin/api/backends/web/servers/" + a.address() + "/weight"},
                           tmp().path());
  EXPECT_EQ(ok.http_code, 200) << ok.body;
  // Oversized requests are refused, not buffered.
  std::string big(20000, 'x');
  CurlResult huge = run_curl({"--unix-socket", sock, "-X", "POST", "--data", big, "-H",
                              std::string("Authorization: Bearer ") + kToken,
                              "http://admin/api/reload"},
                             tmp().path());
  EXPECT_EQ(huge.http_code, 413) << huge.body;
  CurlResult long_head = run_curl({"--unix-socket", sock, "-H", "X-Big: " + std::string(9000, 'y'),
                                   "http://admin/metrics"},
                                  tmp().path());
  EXPECT_EQ(long_head.http_code, 431) << long_head.body;
}

TEST_F(AdminTest, WebSocketTunnelsAreCountedOpenAndClosed) {
  WsEchoServer echo;
  ASSERT_TRUE(echo.start());
  admin_port_ = free_port();
  std::string cfg = websocket_proxy_config(
      echo.address(), "", "[admin]\nbind = \"127.0.0.1:" + std::to_string(admin_port_) + "\"\n");
  std::string path = write_config(cfg);
  release_port(admin_port_);
  ASSERT_TRUE(start_gantry(path));
  ASSERT_TRUE(gantry().wait_for_output("admin listener on", 10s)) << gantry().output();
  auto gauge = [&](const std::string& name) -> long long {
    std::string body = run_curl({admin_url("/metrics")}, tmp().path()).body;
    std::smatch m;
    if (!std::regex_search(body, m, std::regex("\n" + name + " (\\d+)"))) return -1;
    return std::stoll(m[1]);
  };
  EXPECT_EQ(gauge("gantry_tunnels_open"), 0);
  {
    WsClient c;
    ASSERT_TRUE(c.connect(port()));
    ASSERT_EQ(c.handshake().status, 101);
    ASSERT_TRUE(c.send_frame(0x1, "hello"));
    ASSERT_EQ(c.next().payload, "hello");
    EXPECT_EQ(gauge("gantry_tunnels_open"), 1);
    EXPECT_EQ(gauge("gantry_tunnels_total"), 1);
    c.close();
  }
  long long open = -1;
  for (int i = 0; i < 100 && open != 0; ++i) {
    open = gauge("gantry_tunnels_open");
    if (open != 0) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(open, 0);
  EXPECT_EQ(gauge("gantry_tunnels_total"), 1);
}

TEST_F(AdminTest, AccessLogAsJsonLines) {
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  std::string cfg = proxy_config_template({a.address()}, "");
  cfg.replace(cfg.find("[log]\n"), 6, "[log]\nformat = \"json\"\n");
  ASSERT_TRUE(start_gantry(write_config(cfg)));
  ASSERT_TRUE(exchange(port(), get_request("/json?q=1")).ok());
  // Bytes that are not UTF-8 (refused with 400) still make valid JSON.
  ASSERT_TRUE(exchange(port(), get_request("/bad?q=\xff")).ok());
  ASSERT_TRUE(gantry().wait_for_output("\"bad_request\"", 5s)) << gantry().output();
  std::vector<json> lines;
  std::istringstream in(gantry().stdout_text());
  for (std::string l; std::getline(in, l);)
    if (l.rfind("{", 0) == 0) lines.push_back(json::parse(l, nullptr, false));
  ASSERT_EQ(lines.size(), 2u) << gantry().stdout_text();
  const json& j = lines[0];
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], "/json?q=1");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["backend"], "web");
  EXPECT_EQ(j["server"], a.address());
  EXPECT_EQ(j["termination"], "ok");
  EXPECT_TRUE(j["t_total_ms"].is_number());
  ASSERT_TRUE(lines[1].is_object()) << gantry().stdout_text();
  EXPECT_EQ(lines[1]["status"], 400);
}

TEST_F(AdminTest, AccessLogIsReopenedOnSigusr1) {
  // What logrotate does: move the file away, then SIGUSR1; lines after the
  // signal go to a new file under the configured name.
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  std::string cfg = proxy_config_template({a.address()}, "");
  std::string log = tmp().file("access.log");
  cfg.replace(cfg.find("access = \"stdout\""), std::string("access = \"stdout\"").size(),
              "access = \"" + log + "\"");
  ASSERT_TRUE(start_gantry(write_config(cfg)));
  ASSERT_TRUE(exchange(port(), get_request("/before-rotation")).ok());
  auto wait_for = [](const std::string& file, const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      if (read_file(file).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(log, "/before-rotation"));
  std::filesystem::rename(log, log + ".1");
  ASSERT_TRUE(gantry().signal(SIGUSR1));
  ASSERT_TRUE(gantry().wait_for_output("access log " + log + " reopened", 5s)) << gantry().output();
  ASSERT_TRUE(exchange(port(), get_request("/after-rotation")).ok());
  EXPECT_TRUE(wait_for(log, "/after-rotation")) << read_file(log);
  EXPECT_EQ(read_file(log).find("/before-rotation"), std::string::npos);
  EXPECT_EQ(read_file(log + ".1").find("/after-rotation"), std::string::npos);
  EXPECT_NE(read_file(log + ".1").find("/before-rotation"), std::string::npos);
}

}  // namespace
}  // namespace gantry::itest
