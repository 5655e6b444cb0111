// Plain reverse proxying: what the backend receives (method, target, Host,
// X-Forwarded-*, no hop-by-hop headers) and what the client gets back.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

class ProxyBasicTest : public IntegrationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.start());
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()})));
  }
  RecordingBackend backend_{"from-backend"};
};

// Splits a comma-separated header list into trimmed tokens.
std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

TEST_F(ProxyBasicTest, ForwardsRequestAndResponse) {
  auto r = exchange(port(), get_request("/hello?x=1&y=%20", "example.test:8080", "X-Custom: 42\r\n"));
  ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "from-backend");

  ASSERT_EQ(backend_.request_count(), 1u);
  RecordedRequest req = backend_.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/hello?x=1&y=%20");
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.header_count("Host"), 1u);
  EXPECT_EQ(req.header("Host"), "example.test:8080") << "Host must be kept as the client sent it";
  EXPECT_EQ(req.header("X-Custom"), "42");
  EXPECT_TRUE(backend_.errors().empty());
}

TEST_F(ProxyBasicTest, ForwardsContentLengthBody) {
  std::string body = "name=value&other=" + std::string(1000, 'z');
  auto r = exchange(port(), "POST /form HTTP/1.1\r\nHost: a.test\r\nContent-Type: text/plain\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  ASSERT_EQ(backend_.request_count(), 1u);
  EXPECT_EQ(backend_.requests()[0].method, "POST");
  EXPECT_EQ(backend_.requests()[0].body, body);
}

TEST_F(ProxyBasicTest, AddsXForwardedForAndProto) {
  auto r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(backend_.request_count(), 1u);
  RecordedRequest req = backend_.requests()[0];
  EXPECT_EQ(split_list(req.header_list("X-Forwarded-For")), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(req.header("X-Forwarded-Proto"), "http");
}

TEST_F(ProxyBasicTest, AppendsToClientXForwardedFor) {
  auto r = exchange(port(), get_request("/", "localhost", "X-Forwarded-For: 203.0.113.9\r\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(backend_.request_count(), 1u);
  auto hops = split_list(backend_.requests()[0].header_list("X-Forwarded-For"));
  EXPECT_EQ(hops, (std::vector<std::string>{"203.0.113.9", "127.0.0.1"}));
}

TEST_F(ProxyBasicTest, DropsHopByHopRequestHeaders) {
  auto r = exchange(port(), get_request("/", "localhost",
                                        "Connection: keep-alive, X-Private-Hop\r\n"
                                        "Keep-Alive: timeout=5\r\n"
                                        "TE: trailers\r\n"
                                        "Trailer: X-Checksum\r\n"
                                        "Upgrade: h2c\r\n"
                                        "Proxy-Connection: keep-alive\r\n"
                                        "X-Private-Hop: secret\r\n"
                                        "X-End-To-End: kept\r\n"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  ASSERT_EQ(backend_.request_count(), 1u);
  RecordedRequest req = backend_.requests()[0];
  for (const char* h : {"Keep-Alive", "TE", "Trailer", "Upgrade", "Proxy-Connection", "X-Private-Hop"})
    EXPECT_FALSE(req.has_header(h)) << h << " must not be forwarded; head:\n" << req.raw_head;
  // A Connection header toward the backend may only carry the proxy's own options.
  for (const auto& opt : split_list(req.header_list("Connection"))) {
    EXPECT_TRUE(iequals(opt, "keep-alive") || iequals(opt, "close"))
        << "forwarded Connection option " << opt;
  }
  EXPECT_EQ(req.header("X-End-To-End"), "kept");
  EXPECT_EQ(req.header("Host"), "localhost");
}

TEST_F(ProxyBasicTest, DropsHopByHopResponseHeaders) {
  ScriptedResponse resp;
  resp.body = "hi";
  resp.headers = {{"Connection", "X-Backend-Hop"},
                  {"X-Backend-Hop", "1"},
                  {"Keep-Alive", "timeout=5"},
                  {"Proxy-Connection", "keep-alive"},
                  {"X-Backend-E2E", "yes"}};
  backend_.set_response(resp);
  auto r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.body, "hi");
  for (const char* h : {"X-Backend-Hop", "Keep-Alive", "Proxy-Connection"})
    EXPECT_FALSE(r.response.has_header(h)) << h << "; head:\n" << r.response.raw_head;
  for (const auto& opt : split_list(r.response.header_list("Connection")))
    EXPECT_TRUE(iequals(opt, "keep-alive") || iequals(opt, "close")) << opt;
  EXPECT_EQ(r.response.header("X-Backend-E2E"), "yes");
}

TEST_F(ProxyBasicTest, CurlThroughProxy) {
  GANTRY_REQUIRE_TOOL("curl", "curl");
  auto c = run_curl({"-H", "Host: curl.test", "http://127.0.0.1:" + std::to_string(port()) + "/c"},
                    tmp().path());
  EXPECT_EQ(c.http_code, 200) << c.error;
  EXPECT_EQ(c.body, "from-backend");
  ASSERT_EQ(backend_.request_count(), 1u);
  EXPECT_EQ(backend_.requests()[0].header("Host"), "curl.test");
}

class ProxyToNginxTest : public IntegrationTest {};

TEST_F(ProxyToNginxTest, ServesStaticFileAndReturn) {
  GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
  GANTRY_REQUIRE_TOOL("curl", "curl");
  NginxBackend nginx(tmp().file("nginx"));
  std::string file = pattern_bytes(0, 300000);
  nginx.add_file("blob.bin", file);
  nginx.add_return("/teapot", 418, "short and stout");
  ASSERT_TRUE(nginx.start()) << nginx.error_log();
  ASSERT_TRUE(start_gantry(write_proxy_config({nginx.address()})));

  std::string base = "http://127.0.0.1:" + std::to_string(port());
  auto c = run_curl({base + "/blob.bin"}, tmp().path());
  EXPECT_EQ(c.http_code, 200) << c.error;
  EXPECT_EQ(sha256_hex(c.body), sha256_hex(file));
  auto t = run_curl({base + "/teapot"}, tmp().path());
  EXPECT_EQ(t.http_code, 418) << t.error;
  EXPECT_EQ(t.body, "short and stout");
  auto missing = run_curl({base + "/missing"}, tmp().path());
  EXPECT_EQ(missing.http_code, 404) << missing.error;

  // HEAD: headers only, the Content-Length of the file.
  RawClient raw;
  ASSERT_TRUE(raw.connect(port()));
  ASSERT_TRUE(raw.send("HEAD /blob.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto h = raw.read_response(milliseconds(10000), /*head_request=*/true);
  ASSERT_TRUE(h.ok()) << to_string(h.status);
  EXPECT_EQ(h.response.status, 200);
  EXPECT_EQ(h.response.header("Content-Length"), std::to_string(file.size()));
  // The same connection still works: no stray body bytes were sent after HEAD.
  ASSERT_TRUE(raw.send(get_request("/teapot")));
  auto after = raw.read_response();
  ASSERT_TRUE(after.ok()) << to_string(after.status) << " " << after.error;
  EXPECT_EQ(after.response.status, 418);
}

// A 204 or 304 carries no body even when its Content-Length names the
// resource's size: the proxy must not wait for one, and the connection must
// serve the next request.
TEST_F(ProxyBasicTest, NoBodyStatusesWithContentLengthDoNotHang) {
  for (int status : {204, 304}) {
    backend_.set_handler([status](const RecordedRequest& req) {
      ScriptedResponse r;
      r.body = "from-backend";
      if (req.target == "/nobody") {
        r.status = status;
        r.omit_content_length = false;
        r.headers.push_back({"Content-Length", "5"});
      }
      return r;
    });
    RawClient raw;
    ASSERT_TRUE(raw.connect(port()));
    ASSERT_TRUE(raw.send(get_request("/nobody")));
    auto first = raw.read_response(milliseconds(5000));
    ASSERT_TRUE(first.ok()) << status << ": " << to_string(first.status) << " " << first.error;
    EXPECT_EQ(first.response.status, status);
    EXPECT_TRUE(first.response.body.empty());
    ASSERT_TRUE(raw.send(get_request("/next")));
    auto next = raw.read_response(milliseconds(5000));
    ASSERT_TRUE(next.ok()) << status << ": " << to_string(next.status) << " " << next.error;
    EXPECT_EQ(next.response.status, 200);
    EXPECT_EQ(next.response.body, "from-backend");
  }
}

// An HTTP/1.0 request may come without Host; it goes on as HTTP/1.1, which
// needs one, so the backend's name stands in (as nginx does).
TEST_F(ProxyBasicTest, Http10WithoutHostGetsOneUpstream) {
  auto r = exchange(port(), "GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
  EXPECT_EQ(r.response.status, 200);
  ASSERT_EQ(backend_.request_count(), 1u);
  RecordedRequest req = backend_.requests()[0];
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.header_count("Host"), 1u);
  EXPECT_FALSE(req.header("Host").empty());
  EXPECT_TRUE(backend_.errors().empty());
}

}  // namespace
}  // namespace gantry::itest
