// Every malformed request shape is refused with 400 (431 for heads over the
// limits) and nothing of it reaches the backend.
//
// Decision: an oversized head (over [limits] max_head_size) and too many
// header fields (over [limits] max_headers) are answered 431 Request Header
// Fields Too Large (RFC 6585 §5), which says exactly what went wrong; every
// other malformed shape is 400. After refusing a request whose framing is in
// doubt (length, chunking, head syntax), gantry must close the connection:
// nothing later on it can be trusted (RFC 9112 §6.3). A request refused for
// its meaning only (Host) leaves the framing intact, so the connection may
// stay open, but then it must keep working.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

struct MalformedCase {
  const char* name;
  std::string raw;
  int status;
  bool must_close = true;  // false: framing is intact, keep-alive allowed
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

std::string many_headers(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "X-H-" + std::to_string(i) + ": v\r\n";
  return s;
}

// A request that must never reach the backend, appended to the shapes below:
// a proxy that misjudges where the refused request ends would forward it.
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";

std::vector<MalformedCase> cases() {
  using namespace std::string_literals;
  const std::string post = "POST / HTTP/1.1\r\nHost: localhost\r\n";
  const std::string chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
  return {
      // Issue 10 and the llhttp 8.1 -> 9 fixes (docs/http-parsing.md).
      {"HeadEndsCrLfCrX", "GET / HTTP/1.1\r\nHost: localhost\r\n\rX" + kSmuggled, 400},
      {"BareCrAfterEmptyValue",
       "GET / HTTP/1.1\r\nHost: localhost\r\nX-A:\rContent-Length: 47\r\n\r\n" + kSmuggled, 400},
      {"BareLfRequestLine", "GET / HTTP/1.1\nHost: localhost\r\n\r\n" + kSmuggled, 400},
      {"BareLfEndsHead", "GET / HTTP/1.1\r\nHost: localhost\r\n\n" + kSmuggled, 400},
      {"SpaceBeforeFieldName", post + " Content-Length: 47\r\n\r\n" + kSmuggled, 400},
      {"TransferEncodingFolded",
       post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"ChunkedNotFinal", post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + kSmuggled,
       400},
      {"TransferEncodingHttp10",
       "POST / HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
           kSmuggled,
       400},
      {"BareCrInChunkSize", chunked + "2\r\r;a\r\nhi\r\n0\r\n\r\n" + kSmuggled, 400},
      {"BareCrInChunkExtension", chunked + "5;a\rX\r\nhello\r\n0\r\n\r\n" + kSmuggled, 400},
      {"BareLfAfterChunkSize", chunked + "5\nhello\r\n0\r\n\r\n" + kSmuggled, 400},
      {"BareLfAfterChunkData", chunked + "5\r\nhello\n0\r\n\r\n" + kSmuggled, 400},
      {"NulInChunkExtension", chunked + "5;\0a\r\nhello\r\n0\r\n\r\n"s + kSmuggled, 400},
      {"ChunkExtensionOverCap",
       chunked + "5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n" + kSmuggled, 400},
      {"ChunkExtensionBareSemicolon", chunked + "5;\r\nhello\r\n0\r\n\r\n" + kSmuggled, 400},
      {"TrailerBareCr", chunked + "5\r\nhello\r\n0\r\nX-T: a\rb\r\n\r\n" + kSmuggled, 400},
      {"TrailerBareLf", chunked + "5\r\nhello\r\n0\r\nX-T: a\n\r\n" + kSmuggled, 400},
      {"NonAsciiTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: localhost\r\n\r\n" + kSmuggled, 400},
      {"ChunkSizeOverflow", chunked + "10000000000000005\r\nhello\r\n0\r\n\r\n" + kSmuggled, 400},
      {"ContentLengthAndChunked", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"DuplicateContentLengthDifferent", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
      {"DuplicateContentLengthSame", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"NonNumericContentLength", post + "Content-Length: 5x\r\n\r\nhello", 400},
      {"NegativeContentLength", post + "Content-Length: -5\r\n\r\nhello", 400},
      {"InvalidChunkSize", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"ObsFold", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n", 400},
      {"WhitespaceBeforeColon", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Test : v\r\n\r\n", 400},
      {"BareCR", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Test: a\rb\r\n\r\n", 400},
      {"NulInHeader", std::string("GET / HTTP/1.1\r\nHost: localhost\r\nX-Test: a\0b\r\n\r\n", 48), 400},
      {"MissingHost", "GET / HTTP/1.1\r\nUser-Agent: t\r\n\r\n", 400, false},
      {"TwoHostHeaders", "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", 400, false},
      {"InvalidMethodToken", "G(E)T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
      {"BadVersion", "GET / HTTP/1.x\r\nHost: localhost\r\n\r\n", 400},
      {"OversizedHead", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n", 431},
      {"TooManyHeaders", "GET / HTTP/1.1\r\nHost: localhost\r\n" + many_headers(150) + "\r\n", 431},
  };
}

class MalformedRequestTest : public IntegrationTest,
                             public ::testing::WithParamInterface<MalformedCase> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.start());
    // Default limits: max_head_size 16k, max_headers 100.
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()})));
  }
  RecordingBackend backend_;
};

TEST_P(MalformedRequestTest, RefusedWithoutReachingBackend) {
  const MalformedCase& c = GetParam();
  RawClient client;
  ASSERT_TRUE(client.connect(port()));
  ASSERT_TRUE(client.send(c.raw));
  auto r = client.read_response();
  ASSERT_TRUE(r.ok()) << "expected " << c.status << ", got " << to_string(r.status) << " "
                      << r.error << "; received: " << client.received().substr(0, 300);
  EXPECT_EQ(r.response.status, c.status) << r.response.raw_head;
  bool closed = iequals(r.response.header("Connection"), "close") || client.peer_closed();
  if (c.must_close) {
    EXPECT_TRUE(client.wait_closed()) << "the connection must be closed after refusing";
  } else if (!closed) {
    // Kept open: the next request on it must be answered normally.
    ASSERT_TRUE(client.send(get_request("/same-connection")));
    auto next = client.read_response();
    ASSERT_TRUE(next.ok()) << to_string(next.status);
    EXPECT_EQ(next.response.status, 200);
  }

  // A well-formed request afterwards still works; only well-formed requests
  // ever reached the backend.
  auto ok = exchange(port(), get_request("/after"));
  ASSERT_TRUE(ok.ok()) << to_string(ok.status);
  EXPECT_EQ(ok.response.status, 200);
  for (const auto& q : backend_.requests()) {
    EXPECT_TRUE(q.target == "/after" || q.target == "/same-connection")
        << "the malformed request reached the backend:\n" << q.raw_head;
  }
  EXPECT_EQ(backend_.raw_bytes().find("smuggled"), std::string::npos)
      << "bytes after the refused request reached the backend:\n"
      << backend_.raw_bytes();
  auto reqs = backend_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().target, "/after");
  EXPECT_TRUE(backend_.errors().empty());
}

INSTANTIATE_TEST_SUITE_P(Shapes, MalformedRequestTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace gantry::itest
