// The admin listener's /metrics seen from outside: a real Prometheus scrapes
// it and counts what the test sent, every family is typed and documented,
// module metrics (ACL rule hits, rate limits, certificate expiry) agree with
// what clients saw and what the files say, tunnels and accept failures are
// counted.
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

#include "admin_fixture.h"
#include "harness/harness.h"
#include "harness/websocket_peers.h"

namespace gantry::itest {
namespace {

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
  std::string certs;
  ASSERT_TRUE(make_test_certs(&certs));
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
  // Counted once gantry has served a request and its count holds still: a
  // count taken while workers still open descriptors (loaded machine) would
  // leave gantry short for good, not only while the clients below hold theirs.
  std::string pid = std::to_string(gantry().pid());
  ASSERT_TRUE(exchange(port(), get_request("/warm")).ok());
  auto count_fds = [&pid] {
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + pid + "/fd");
         it != std::filesystem::directory_iterator(); ++it)
      ++n;
    return n;
  };
  size_t open_fds = count_fds();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    size_t now = count_fds();
    if (now == open_fds) break;
    open_fds = now;
  }
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

// Each TLS module publishes the expiry of every certificate it serves (ABI
// 1.2 metric_set): both providers agree with openssl about the files, the
// API lists them for the status page, and a certificate replaced on disk
// updates its series instead of adding a stale one.
TEST_F(AdminTest, CertificateExpiryOfBothProvidersIsPublished) {
  GANTRY_REQUIRE_TOOL("openssl", "openssl");
  RecordingBackend a;
  ASSERT_TRUE(a.start());
  std::string certs;
  ASSERT_TRUE(make_test_certs(&certs));
  std::string ec = certs + "/ec.pem", rsa = certs + "/rsa.pem";
  ASSERT_NO_FATAL_FAILURE(start({a.address()},
                                tls_listener("tls-openssl", ec) + tls_listener("tls-boringssl", rsa),
                                tls_modules()));
  CurlResult m = run_curl({admin_url("/metrics")}, tmp().path());
  ASSERT_EQ(m.http_code, 200) << m.error;
  EXPECT_NE(m.body.find("# TYPE gantry_tls_certificate_expiry_timestamp_seconds gauge"),
            std::string::npos)
      << m.body;
  const std::string family = "gantry_tls_certificate_expiry_timestamp_seconds";
  EXPECT_EQ(metric_value(m.body, family + "{module=\"tls-openssl\",cert=\"" + ec + "\"}"),
            not_after_of(ec))
      << m.body;
  EXPECT_EQ(metric_value(m.body, family + "{module=\"tls-boringssl\",cert=\"" + rsa + "\"}"),
            not_after_of(rsa))
      << m.body;

  CurlResult g = admin("GET", "/api/generation");
  json gen = json::parse(g.body, nullptr, false);
  ASSERT_TRUE(gen.is_object()) << g.body;
  std::map<std::string, long long> listed;
  for (const json& c : gen["certificates"]) listed[c["cert"]] = c["not_after"];
  EXPECT_EQ(listed, (std::map<std::string, long long>{{ec, not_after_of(ec)},
                                                      {rsa, not_after_of(rsa)}}))
      << g.body;

  // The file changes (a renewal: here one that ends a day earlier): the
  // next handshake makes the module look, and the series follows.
  RunResult renew = run_command(
      {"sh", "-c",
       "cd '" + certs + "' && openssl req -new -key ec.key -subj /CN=example.com -out renew.csr && "
       "openssl x509 -req -in renew.csr -CA ca.pem -CAkey ca.key -days 364 "
       "-extfile ec.ext -out renew.pem && mv renew.pem ec.pem"},
      tmp().path());
  ASSERT_TRUE(renew.status.ok()) << renew.err;
  long long renewed = not_after_of(ec);
  long long seen = -1;
  for (int i = 0; i < 100 && seen != renewed; ++i) {
    run_curl({"-sk", "https://127.0.0.1:" + tls_port_of(ec) + "/"}, tmp().path());
    std::this_thread::sleep_for(100ms);
    seen = metric_value(run_curl({admin_url("/metrics")}, tmp().path()).body,
                        family + "{module=\"tls-openssl\",cert=\"" + ec + "\"}");
  }
  EXPECT_EQ(seen, renewed);
  CurlResult after = run_curl({admin_url("/metrics")}, tmp().path());
  size_t series = 0;
  for (size_t at = after.body.find("\n" + family + "{"); at != std::string::npos;
       at = after.body.find("\n" + family + "{", at + 1))
    ++series;
  EXPECT_EQ(series, 2u) << after.body;
}

}  // namespace
}  // namespace gantry::itest
