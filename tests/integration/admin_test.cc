// The admin listener's runtime API and status page seen from outside: the
// API lists, changes and reloads with the bearer token (401 without it),
// drains a server under wrk load without one failed request, headless
// Chromium drives the status page; plus the access log options.
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
  GANTRY_REQUIRE_TOOL("openssl", "openssl");
  RecordingBackend a, b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  // A TLS listener too: the page lists its certificate and when it expires.
  std::string certs;
  ASSERT_TRUE(make_test_certs(&certs));
  std::string cert = certs + "/ec.pem";
  ASSERT_NO_FATAL_FAILURE(start({a.address(), b.address()}, tls_listener("tls-openssl", cert),
                                tls_modules()));
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
  std::string last = last_line(r.out);
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
  // The certificate row: its file and notAfter, as openssl reads it.
  ASSERT_EQ(v["certificates"].size(), 1u) << last;
  EXPECT_EQ(v["certificates"][0][0], "tls-openssl") << last;
  EXPECT_EQ(v["certificates"][0][1], cert) << last;
  EXPECT_EQ(v["certificates"][0][2], iso_utc(not_after_of(cert))) << last;
  std::string days = v["certificates"][0][3];
  EXPECT_TRUE(days == "364" || days == "365") << last;  // the test CA's leaves live a year
  EXPECT_TRUE(file_exists(shot)) << shot;
  std::cout << "screenshot: " << shot << "\n";
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
