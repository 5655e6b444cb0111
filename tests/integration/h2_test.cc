// HTTP/2 with clients: curl, nghttp, h2load and Chromium over TLS (ALPN h2,
// both providers) and h2c with prior knowledge; requests reach HTTP/1.1
// backends mapped as RFC 9113 section 8 says; crafted frames
// (tests/integration/h2/h2_probe.py) check that malformed requests are
// refused before any backend sees them and that floods end the connection
// while gantry goes on serving.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/harness.h"
#include "harness/tls_modules.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class H2Test : public IntegrationTest {
 protected:
  void SetUp() override {
    GANTRY_REQUIRE_TOOL("curl", "curl");
    GANTRY_REQUIRE_TOOL("openssl", "openssl");
    ASSERT_TRUE(make_test_certs(&certs_));
    ASSERT_TRUE(backend_.start());
  }

  // A TLS listener on port() offering `alpn` through `provider`, and an h2c
  // listener on h2c_port_; the access log shows the protocol.
  void start(const std::string& provider = "tls-openssl",
             const std::string& alpn = "[\"h2\", \"http/1.1\"]", const std::string& extra = "") {
    h2c_port_ = free_port();
    std::string cfg = std::string(kBothTlsModules);
    cfg.replace(cfg.find("[log]\naccess = \"off\"\n"), 20,
                "[log]\naccess = \"stdout\"\ntemplate = \"$protocol $method $target $status\"\n");
    cfg += "[[listener]]\nname = \"tls\"\nbind = \"127.0.0.1:{{PORT}}\"\n[listener.tls]\nprovider = \"" +
           provider + "\"\ncertificates = [ { cert = \"" + certs_ + "/ec.pem\", key = \"" + certs_ +
           "/ec.key\" } ]\nalpn = " + alpn + "\n"
           "[[listener]]\nname = \"plain\"\nbind = \"127.0.0.1:" + std::to_string(h2c_port_) +
           "\"\nh2c = true\n"
           "[[backend]]\nname = \"web\"\nservers = [\"" + backend_.address() + "\"]\n" + extra;
    std::string path = write_config(cfg);
    release_port(h2c_port_);
    ASSERT_TRUE(start_gantry(path));
  }

  // curl's answer and the protocol of its status line ("HTTP/2", "HTTP/1.1").
  struct Answer {
    CurlResult r;
    std::string protocol;
  };
  Answer curl(const std::vector<std::string>& extra, const std::string& url) {
    std::string head = tmp().file("head-" + std::to_string(++curls_));
    std::vector<std::string> args = {"--cacert", certs_ + "/ca.pem", "--resolve",
                                     "example.com:" + std::to_string(port()) + ":127.0.0.1", "-D",
                                     head};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    Answer a{run_curl(args, tmp().path(), 20s), ""};
    std::string h = read_file(head);
    a.protocol = h.substr(0, h.find(' '));
    return a;
  }
  std::string tls_url(const std::string& path) const {
    return "https://example.com:" + std::to_string(port()) + path;
  }
  std::string h2c_url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(h2c_port_) + path;
  }

  json probe(const std::string& which) {
    RunResult r = run_command({"/usr/bin/python3", source_dir() + "/tests/integration/h2/h2_probe.py",
                               std::to_string(h2c_port_), which},
                              tmp().path(), 60s);
    json v = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(v.is_object()) << which << ": " << r.out << r.err;
    return v.is_object() ? v : json::object();
  }

  std::string certs_;
  uint16_t h2c_port_ = 0;
  int curls_ = 0;
  RecordingBackend backend_{"h2-backend"};
};

TEST_F(H2Test, CurlSpeaksH2OverTlsWithBothProviders) {
  for (const char* provider : {"tls-openssl", "tls-boringssl"}) {
    SCOPED_TRACE(provider);
    ASSERT_NO_FATAL_FAILURE(start(provider));
    Answer a = curl({"--http2"}, tls_url("/over-tls?q=1"));
    ASSERT_TRUE(a.r.ok()) << a.r.error;
    EXPECT_EQ(a.protocol, "HTTP/2");
    EXPECT_EQ(a.r.http_code, 200);
    EXPECT_EQ(a.r.body, "h2-backend");
    std::vector<RecordedRequest> reqs = backend_.requests();
    ASSERT_FALSE(reqs.empty());
    // The backend hears HTTP/1.1, with :authority as Host.
    EXPECT_EQ(reqs.back().version, "HTTP/1.1");
    EXPECT_EQ(reqs.back().target, "/over-tls?q=1");
    EXPECT_EQ(reqs.back().header("Host"), "example.com:" + std::to_string(port()));
    EXPECT_TRUE(gantry().wait_for_output("HTTP/2.0 GET /over-tls?q=1 200", 5s)) << gantry().output();
    ASSERT_TRUE(gantry().signal(SIGTERM));
    ASSERT_TRUE(gantry().wait_exit(10000ms).has_value());
  }
}

TEST_F(H2Test, WithoutH2InAlpnTheListenerStaysHttp11) {
  ASSERT_NO_FATAL_FAILURE(start("tls-openssl", "[\"http/1.1\"]"));
  Answer a = curl({"--http2"}, tls_url("/"));
  ASSERT_TRUE(a.r.ok()) << a.r.error;
  EXPECT_EQ(a.protocol, "HTTP/1.1");
  EXPECT_EQ(a.r.http_code, 200);
}

TEST_F(H2Test, H2cWithPriorKnowledgeAndHttp11ShareTheListener) {
  ASSERT_NO_FATAL_FAILURE(start());
  Answer h2 = curl({"--http2-prior-knowledge"}, h2c_url("/h2c"));
  ASSERT_TRUE(h2.r.ok()) << h2.r.error;
  EXPECT_EQ(h2.protocol, "HTTP/2");
  EXPECT_EQ(h2.r.http_code, 200);
  Answer h1 = curl({"--http1.1"}, h2c_url("/h1"));
  ASSERT_TRUE(h1.r.ok()) << h1.r.error;
  EXPECT_EQ(h1.protocol, "HTTP/1.1");
  EXPECT_EQ(h1.r.http_code, 200);
  // A request line that starts like the preface is still HTTP/1.1.
  RawClient c;
  ASSERT_TRUE(c.connect(h2c_port_));
  ASSERT_TRUE(c.send("P"));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(c.send("OST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
  ReadResult r = c.read_response();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(backend_.requests().back().body, "hi");
}

TEST_F(H2Test, RequestBodiesReachTheBackendWithOrWithoutALength) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string big(200000, 'b');
  std::ofstream(tmp().file("body")) << big;
  Answer a = curl({"--http2", "--data-binary", "@" + tmp().file("body")}, tls_url("/upload"));
  ASSERT_TRUE(a.r.ok()) << a.r.error;
  EXPECT_EQ(a.protocol, "HTTP/2");
  std::vector<RecordedRequest> reqs = backend_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].header("Content-Length"), "200000");
  EXPECT_EQ(reqs[0].body, big);
  // No content-length: the body goes chunked to the HTTP/1.1 backend.
  json v = probe("post_no_length");
  EXPECT_EQ(v["status"], 200) << v;
  reqs = backend_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[1].chunked);
  EXPECT_EQ(reqs[1].body, "hello h2");
}

TEST_F(H2Test, CookieCrumbsAreJoinedAndConnectionFieldsNeverReachTheClient) {
  backend_.set_response({"HTTP/1.1", 200, "", {{"Connection", "keep-alive"}, {"Keep-Alive", "timeout=5"},
                                                {"X-Kept", "yes"}}, "body"});
  ASSERT_NO_FATAL_FAILURE(start());
  Answer a = curl({"--http2", "-H", "Cookie: a=1", "-H", "Cookie: b=2"}, tls_url("/c"));
  ASSERT_TRUE(a.r.ok()) << a.r.error;
  EXPECT_EQ(a.protocol, "HTTP/2");
  std::vector<RecordedRequest> reqs = backend_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("Cookie"), "a=1; b=2");
  std::string head = read_file(tmp().file("head-1"));
  EXPECT_NE(head.find("x-kept: yes"), std::string::npos) << head;
  EXPECT_EQ(head.find("keep-alive"), std::string::npos) << head;
  EXPECT_EQ(head.find("connection"), std::string::npos) << head;
}

TEST_F(H2Test, ManyStreamsOnOneConnectionAndALargeResponse) {
  GANTRY_REQUIRE_TOOL("h2load", "nghttp2-client");
  ScriptedResponse big;
  big.generated_body_size = 3 * 1024 * 1024;
  backend_.set_response(big);
  ASSERT_NO_FATAL_FAILURE(start());
  RunResult r = run_command({"h2load", "-n", "200", "-c", "1", "-m", "50", h2c_url("/many")},
                            tmp().path(), 120s);
  ASSERT_TRUE(r.status.ok()) << r.out << r.err;
  EXPECT_NE(r.out.find("200 succeeded, 0 failed, 0 errored"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status codes: 200 2xx"), std::string::npos) << r.out;
  EXPECT_EQ(backend_.complete_request_count(), 200u);
  Answer a = curl({"--http2"}, tls_url("/big"));
  ASSERT_TRUE(a.r.ok()) << a.r.error;
  EXPECT_EQ(a.r.body.size(), big.generated_body_size);
  EXPECT_EQ(a.r.body, pattern_bytes(0, big.generated_body_size, big.body_seed));
}

TEST_F(H2Test, NghttpFetchesOverTls) {
  GANTRY_REQUIRE_TOOL("nghttp", "nghttp2-client");
  ASSERT_NO_FATAL_FAILURE(start());
  RunResult r = run_command({"nghttp", "-v", "-n", "https://127.0.0.1:" + std::to_string(port()) + "/a",
                             "https://127.0.0.1:" + std::to_string(port()) + "/b"},
                            tmp().path(), 30s);
  ASSERT_TRUE(r.status.ok()) << r.out << r.err;
  size_t oks = 0;
  for (size_t at = r.out.find(") :status: 200"); at != std::string::npos;
       at = r.out.find(") :status: 200", at + 1))
    ++oks;
  EXPECT_EQ(oks, 2u) << r.out;  // two streams, one connection
  EXPECT_EQ(backend_.complete_request_count(), 2u);
}

// RFC 9113 8.2 and 8.3: each of these is malformed; the stream is reset
// (or answered 4xx) and no backend ever receives a complete request.
TEST_F(H2Test, MalformedRequestsNeverReachTheBackend) {
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* which :
       {"te_header", "connection_header", "crlf_value", "lf_value", "nul_value", "uppercase_name",
        "path_no_slash", "pseudo_after_regular", "duplicate_path", "unknown_pseudo",
        "missing_method", "cl_mismatch"}) {
    json v = probe(which);
    bool refused = (v["reset"].is_number() && v["reset"] != 0) ||
                   (v["status"].is_number() && v["status"] >= 400 && v["status"] < 500) ||
                   (v["goaway"].is_number() && v["goaway"] != 0);
    EXPECT_TRUE(refused) << which << ": " << v;
    EXPECT_EQ(backend_.complete_request_count(), 0u) << which;
  }
  // A good one afterwards goes through.
  json ok = probe("get");
  EXPECT_EQ(ok["status"], 200) << ok;
}

// Each flood ends its connection with GOAWAY (ENHANCE_YOUR_CALM = 11, or
// the protocol error nghttp2 detects) long before the client's frames run
// out, and gantry serves the next client.
TEST_F(H2Test, FloodsEndTheirConnection) {
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* which : {"rapid_reset", "ping_flood", "settings_flood", "empty_data_flood"}) {
    json v = probe(which);
    EXPECT_EQ(v["goaway"], 11) << which << ": " << v;
    EXPECT_LT(v["sent"].get<int>(), 20000) << which << ": " << v;
  }
  // Rapid Reset's streams were never all sent to the backend.
  EXPECT_LT(backend_.request_count(), 1000u);
  // CONTINUATION without end: the connection ends (Debian's nghttp2 limits
  // CONTINUATION frames, CVE-2024-28182; our header list limit too).
  json cf = probe("continuation_flood");
  EXPECT_TRUE(cf["closed"] == true || cf["goaway"].is_number()) << cf;
  EXPECT_LT(cf["sent"].get<int>(), 20000) << cf;
  // MadeYouReset: frames that make the server reset streams whose requests
  // are complete. nghttp2 1.52 treats these as connection errors, so one
  // connection costs the backend at most a request or two.
  size_t before = backend_.request_count();
  json myr = probe("made_you_reset");
  EXPECT_TRUE(myr["goaway"].is_number()) << myr;
  EXPECT_LE(backend_.request_count() - before, 2u);
  json ok = probe("get");
  EXPECT_EQ(ok["status"], 200) << ok;
  EXPECT_TRUE(gantry().running());
}

// A request body that stops coming: timeouts.client_body applies per
// stream, as it does per HTTP/1.1 connection. The stream gets a 408 and
// RST_STREAM(NO_ERROR); the connection and its other streams go on.
TEST_F(H2Test, StalledRequestBodyTimesOutItsStreamOnly) {
  ASSERT_NO_FATAL_FAILURE(start("tls-openssl", "[\"h2\", \"http/1.1\"]",
                                "[timeouts]\nclient_body = \"1s\"\n"));
  json v = probe("stalled_body");
  EXPECT_EQ(v["status"], 408) << v;
  EXPECT_EQ(v["reset"], 0) << v;  // NO_ERROR
  EXPECT_GE(v["elapsed"].get<double>(), 0.9) << v;
  EXPECT_TRUE(v["goaway"].is_null()) << v;
  EXPECT_EQ(v["statuses"]["3"], 200) << v;
  EXPECT_EQ(backend_.complete_request_count(), 1u);  // /after, not /stall
  EXPECT_TRUE(gantry().wait_for_output("HTTP/2.0 POST /stall 408", 5s)) << gantry().output();
}

TEST_F(H2Test, ShutdownSendsGoawayAndTheStreamInFlightFinishes) {
  ScriptedResponse slow;
  slow.body = "late but whole";
  slow.delay = 1500ms;
  backend_.set_response(slow);
  ASSERT_NO_FATAL_FAILURE(start());
  std::string out = tmp().file("slow.out");
  Subprocess client;
  ASSERT_TRUE(client.start({"curl", "-sS", "--http2-prior-knowledge", "-o", out, h2c_url("/slow")},
                           "", "", tmp().path()));
  for (int i = 0; i < 50 && backend_.request_count() == 0; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(backend_.request_count(), 1u);
  ASSERT_TRUE(gantry().signal(SIGTERM));
  std::optional<ExitStatus> st = client.wait_exit(10000ms);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok());
  EXPECT_EQ(read_file(out), "late but whole");
  std::optional<ExitStatus> g = gantry().wait_exit(10000ms);
  ASSERT_TRUE(g.has_value()) << gantry().output();
}

TEST_F(H2Test, ChromiumLoadsThePageOverH2) {
  GANTRY_REQUIRE_TOOL("chromium", "chromium");
  GANTRY_REQUIRE_TOOL("node", "nodejs");
  backend_.set_response({"HTTP/1.1", 200, "", {{"Content-Type", "text/html"}},
                         "<!doctype html><title>gantry h2</title><p>over h2</p>"});
  ASSERT_NO_FATAL_FAILURE(start());
  RunResult r = run_command({"node", source_dir() + "/tests/integration/node/h2_page.js", "--url",
                             "https://127.0.0.1:" + std::to_string(port()) + "/page.html",
                             "--profile", tmp().file("chromium")},
                            tmp().path(), 90s);
  std::string last = last_line(r.out);
  json v = json::parse(last, nullptr, false);
  ASSERT_TRUE(v.is_object()) << r.out << r.err;
  ASSERT_TRUE(r.status.ok()) << r.out << r.err;
  EXPECT_EQ(v["protocol"], "h2") << last;
  EXPECT_EQ(v["nextHop"], "h2") << last;
  EXPECT_EQ(v["status"], 200) << last;
  EXPECT_EQ(v["title"], "gantry h2") << last;
  EXPECT_TRUE(gantry().wait_for_output("HTTP/2.0 GET /page.html 200", 5s)) << gantry().output();
}

}  // namespace
}  // namespace gantry::itest
