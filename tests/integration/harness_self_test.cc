// The harness checks itself: the witnesses (MessageReader, RecordingBackend,
// RawClient) and the plumbing (port reservations, the fixture's port retry)
// must be right before any proxy test can be trusted.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

TEST(MessageReaderTest, ParsesChunkedRequestWithTrailers) {
  MessageReader r(MessageReader::Kind::kRequest);
  r.append("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n");
  EXPECT_EQ(r.step(), MessageReader::Step::kHead);
  EXPECT_EQ(r.step(), MessageReader::Step::kNeedMore);
  r.append("6\r\n world\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n");
  ASSERT_EQ(r.step(), MessageReader::Step::kComplete);
  HttpMessage m = r.take();
  EXPECT_EQ(m.method, "POST");
  EXPECT_EQ(m.body, "hello world");
  EXPECT_EQ(m.trailers.size(), 1u);
  ASSERT_EQ(r.step(), MessageReader::Step::kComplete);
  EXPECT_EQ(r.take().header("host"), "b");
  EXPECT_TRUE(r.idle());
}

TEST(MessageReaderTest, RejectsAmbiguousFraming) {
  const char* bad[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
  };
  for (const char* b : bad) {
    MessageReader r(MessageReader::Kind::kRequest);
    r.append(b);
    EXPECT_EQ(r.step(), MessageReader::Step::kError) << b;
  }
}

TEST(MessageReaderTest, ResponseBodyUntilClose) {
  MessageReader r(MessageReader::Kind::kResponse);
  r.append("HTTP/1.1 200 OK\r\n\r\nabc");
  EXPECT_EQ(r.step(), MessageReader::Step::kHead);
  EXPECT_EQ(r.step(), MessageReader::Step::kNeedMore);
  EXPECT_EQ(r.step(true), MessageReader::Step::kComplete);
  EXPECT_EQ(r.take().body, "abc");
}

TEST(Latin1Test, TurnsDecodedJsonEscapesBackIntoBytes) {
  // The conformance data set stores raw request bytes as JSON strings.
  nlohmann::json v = nlohmann::json::parse(R"([{"a": "x\r\n\u00e9\u0000"}])");
  std::string latin1;
  ASSERT_TRUE(utf8_to_latin1(v.at(0).at("a").get<std::string>(), &latin1));
  EXPECT_EQ(latin1, std::string("x\r\n\xe9\0", 5));
  EXPECT_FALSE(utf8_to_latin1("\xe2\x82\xac", &latin1));  // U+20AC does not fit
}

TEST(FreePortTest, ReservedPortsAreDistinctAndKeptFromOthers) {
  std::set<uint16_t> seen;
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(seen.insert(free_port()).second) << i;
  uint16_t p = free_port();
  // Nothing but a SO_REUSEPORT socket of ours (gantry, nginx `reuseport`) binds it.
  PortBlocker plain(p);
  EXPECT_FALSE(plain.ok());
  RecordingBackend kernel_pick;  // binds port 0: the kernel never picks a reserved port
  ASSERT_TRUE(kernel_pick.start());
  EXPECT_EQ(seen.count(kernel_pick.port()), 0u);
  release_port(p);
  PortBlocker after(p);
  EXPECT_TRUE(after.ok());
}

// Something outside the harness holds gantry's port: the fixture moves the
// listener to a new port, rewrites the config, and port() follows.
class PortRetryTest : public IntegrationTest {};

TEST_F(PortRetryTest, GantryMovesToANewPortWhenItsOwnIsTaken) {
  uint16_t taken = port();
  release_port(taken);
  PortBlocker blocker(taken);
  ASSERT_TRUE(blocker.ok());
  RecordingBackend b("moved");
  ASSERT_TRUE(b.start());
  std::string cfg = write_proxy_config({b.address()});
  ASSERT_TRUE(start_gantry(cfg));
  EXPECT_NE(port(), taken);
  EXPECT_NE(read_file(cfg).find("\"127.0.0.1:" + std::to_string(port()) + "\""), std::string::npos);
  ReadResult r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.body, "moved");
}

TEST(TemplateTest, FailsOnUnknownPlaceholder) {
  EXPECT_EQ(render_template("a={{X}}", {{"X", "1"}}), "a=1");
  EXPECT_THROW(render_template("{{Y}}", {}), std::runtime_error);
}

TEST(RecordingBackendTest, RecordsAndAnswersScripts) {
  RecordingBackend b("hello");
  ASSERT_TRUE(b.start());
  RawClient c;
  ASSERT_TRUE(c.connect(b.port()));
  ASSERT_TRUE(c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  auto r1 = c.read_response();
  ASSERT_TRUE(r1.ok()) << to_string(r1.status);
  EXPECT_EQ(r1.response.body, "hello");
  auto r2 = c.read_response();
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(b.request_count(), 2u);
  EXPECT_EQ(b.requests()[1].body, "abc");
  EXPECT_EQ(b.connection_count(), 1u);

  ScriptedResponse big;
  big.generated_body_size = 3 * 1000 * 1000 + 7;
  big.chunked = true;
  big.close_after = true;
  b.set_response(big);
  ASSERT_TRUE(c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r3 = c.read_response();
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(sha256_hex(r3.response.body), pattern_sha256(big.generated_body_size));
  EXPECT_TRUE(c.wait_closed());

  ScriptedResponse drop;
  drop.close_immediately = true;
  b.set_response(drop);
  auto r4 = exchange(b.port(), get_request("/drop"));
  EXPECT_EQ(r4.status, ReadStatus::kClosed);
  EXPECT_TRUE(b.errors().empty());
}

TEST(RecordingBackendTest, ReportsGarbageAndAbortedBodies) {
  RecordingBackend b;
  ASSERT_TRUE(b.start());
  {
    RawClient c;
    ASSERT_TRUE(c.connect(b.port()));
    ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    ASSERT_TRUE(b.wait_for_requests(1, milliseconds(5000)));
  }
  RawClient g;
  ASSERT_TRUE(g.connect(b.port()));
  ASSERT_TRUE(g.send("GARBAGE\r\n\r\n"));
  EXPECT_TRUE(g.wait_closed());
  for (int i = 0; i < 500 && (b.errors().empty() || b.aborted_request_count() == 0); ++i)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(b.errors().size(), 1u);
  EXPECT_EQ(b.aborted_request_count(), 1u);
  EXPECT_EQ(b.complete_request_count(), 0u);
}

TEST(NginxBackendTest, ServesFilesAndReturns) {
  GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
  GANTRY_REQUIRE_TOOL("curl", "curl");
  TempDir tmp;
  NginxBackend n(tmp.file("nginx"));
  n.add_file("f.txt", "file body");
  n.add_return("/r", 201, "returned");
  ASSERT_TRUE(n.start()) << n.error_log();
  auto r = exchange(n.port(), get_request("/f.txt"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.body, "file body");
  auto c = run_curl({"http://" + n.address() + "/r"}, tmp.path());
  EXPECT_EQ(c.http_code, 201) << c.error;
  EXPECT_EQ(c.body, "returned");
}

}  // namespace
}  // namespace gantry::itest
