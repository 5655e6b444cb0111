// A backend that sends a malformed or oversized response head, or breaks the
// body framing, gets its client a 502 with its own termination cause in the
// access log; nothing of the bad response is relayed. Once bytes of the
// response reached the client, a broken body aborts the client connection.
// A backend cannot make gantry's memory grow with the size of what it sends.
//
// Termination causes (README): bad_response_head (line structure, NUL,
// obs-fold, status line), bad_response_framing (Content-Length and
// Transfer-Encoding), bad_response_body (chunked framing), and
// response_head_too_large ([limits] max_response_head_size and
// max_response_headers).
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;

struct BadResponse {
  const char* name;
  RawResponse response;
  const char* cause;
};

void PrintTo(const BadResponse& c, std::ostream* os) { *os << c.name; }

RawResponse raw(std::string bytes) {
  RawResponse r;
  r.prefix = std::move(bytes);
  return r;
}

std::string fields(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "X-Leak-" + std::to_string(i) + ": v\r\n";
  return s;
}

std::vector<BadResponse> cases() {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  RawResponse huge_line;
  huge_line.prefix = ok + "X-Leak: ";
  huge_line.filler_bytes = 2 << 20;
  huge_line.suffix = "\r\nContent-Length: 2\r\n\r\nok";
  RawResponse many;
  many.prefix = ok;
  many.filler_unit = "X-Leak: 0123456789\r\n";
  many.filler_bytes = 20000 * many.filler_unit.size();
  many.suffix = "Content-Length: 2\r\n\r\nok";
  return {
      {"BareLf", raw("HTTP/1.1 200 OK\nX-Leak: 1\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_head"},
      {"BareCr", raw(ok + "X-Leak: a\rb\r\nContent-Length: 2\r\n\r\nok"), "bad_response_head"},
      {"CrLfCrX", raw(ok + "X-Leak: 1\r\nContent-Length: 2\r\n\rXok"), "bad_response_head"},
      {"Nul", raw(ok + "X-Leak: a\0b\r\nContent-Length: 2\r\n\r\nok"s), "bad_response_head"},
      {"ObsFold", raw(ok + "X-Leak: a\r\n b\r\nContent-Length: 2\r\n\r\nok"), "bad_response_head"},
      {"StatusFourDigits", raw("HTTP/1.1 2000 OK\r\nX-Leak: 1\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_head"},
      {"StatusZero", raw("HTTP/1.1 000 OK\r\nX-Leak: 1\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_head"},
      {"StatusMissing", raw("HTTP/1.1 OK\r\nX-Leak: 1\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_head"},
      {"VersionTwo", raw("HTTP/2.0 200 OK\r\nX-Leak: 1\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_head"},
      {"ContentLengthAndChunked",
       raw(ok + "X-Leak: 1\r\nContent-Length: 2\r\nTransfer-Encoding: "
                "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
       "bad_response_framing"},
      {"DuplicateContentLength",
       raw(ok + "X-Leak: 1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
       "bad_response_framing"},
      {"MalformedContentLength", raw(ok + "X-Leak: 1\r\nContent-Length: 2x\r\n\r\nok"),
       "bad_response_framing"},
      {"UnknownTransferCoding", raw(ok + "X-Leak: 1\r\nTransfer-Encoding: gzip\r\n\r\nok"),
       "bad_response_framing"},
      // The first chunk's size line arrives with the head, before any byte
      // went to the client: 502, not an empty reply.
      {"ChunkSizeOverflow",
       raw(ok +
           "X-Leak: 1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nok\r\n0\r\n\r\n"),
       "bad_response_body"},
      {"BareCrInChunkSize",
       raw(ok + "X-Leak: 1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\rok\r\n0\r\n\r\n"),
       "bad_response_body"},
      {"HeaderLineOf2MiB", huge_line, "response_head_too_large"},
      {"TwentyThousandFields", many, "response_head_too_large"},
  };
}

class MalformedResponseTest : public IntegrationTest {
 protected:
  void start(const std::string& limits = "") {
    ASSERT_TRUE(backend_.start());
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()}, limits)));
  }
  // One request for `target`; expects a 502 that carries nothing of the
  // backend's response, and `cause` on its log line.
  void expect_502(const std::string& target, const char* cause) {
    RawClient c;
    ASSERT_TRUE(c.connect(port()));
    ASSERT_TRUE(c.send(get_request(target)));
    ReadResult r = c.read_response(milliseconds(20000));
    ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
    EXPECT_EQ(r.response.status, 502) << r.response.raw_head;
    EXPECT_EQ(c.received().find("Leak"), std::string::npos)
        << "part of the bad response was relayed";
    std::string line = access_log_line(target);
    EXPECT_NE(line.find(std::string(" 502 ")), std::string::npos) << line;
    EXPECT_NE(line.find(std::string(" ") + cause), std::string::npos) << line;
  }
  RawBackend backend_;
};

class MalformedResponseShapes : public MalformedResponseTest,
                                public ::testing::WithParamInterface<BadResponse> {};

TEST_P(MalformedResponseShapes, AnsweredWith502AndLogged) {
  ASSERT_NO_FATAL_FAILURE(start());
  backend_.set_response(GetParam().response);
  ASSERT_NO_FATAL_FAILURE(expect_502(std::string("/") + GetParam().name, GetParam().cause));
  // A warning names the backend and the reason.
  EXPECT_TRUE(gantry().wait_for_output("malformed response", milliseconds(5000)));
  // The next request on a good response still works.
  backend_.set_response(raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  auto good = exchange(port(), get_request("/after"));
  ASSERT_TRUE(good.ok()) << to_string(good.status);
  EXPECT_EQ(good.response.status, 200);
  EXPECT_EQ(good.response.body, "ok");
}

INSTANTIATE_TEST_SUITE_P(Shapes, MalformedResponseShapes, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BadResponse>& info) {
                           return std::string(info.param.name);
                         });

TEST_F(MalformedResponseTest, ConfiguredLimitsApply) {
  ASSERT_NO_FATAL_FAILURE(
      start("\n[limits]\nmax_response_head_size = \"2k\"\nmax_response_headers = 10\n"));
  // Nine fields and Content-Length: ten.
  backend_.set_response(raw("HTTP/1.1 200 OK\r\n" + fields(9) + "Content-Length: 2\r\n\r\nok"));
  auto at_limit = exchange(port(), get_request("/ten-fields"));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit.response.status, 200) << "10 fields with max_response_headers = 10";

  backend_.set_response(raw("HTTP/1.1 200 OK\r\n" + fields(10) + "Content-Length: 2\r\n\r\nok"));
  ASSERT_NO_FATAL_FAILURE(expect_502("/eleven-fields", "response_head_too_large"));

  backend_.set_response(raw("HTTP/1.1 200 OK\r\nX-Leak: " + std::string(2100, 'v') +
                            "\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_NO_FATAL_FAILURE(expect_502("/over-2k", "response_head_too_large"));
}

TEST_F(MalformedResponseTest, HugeHeadsDoNotGrowMemory) {
  ASSERT_NO_FATAL_FAILURE(start());
  // Warm up (first connection, pools, log buffers) before measuring.
  backend_.set_response(raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_TRUE(exchange(port(), get_request("/warm")).ok());
  uint64_t before = process_rss_kib(gantry().pid());
  ASSERT_GT(before, 0u);

  RawResponse line;  // one 64 MiB header line: about 1.7 GB of arena for the old code
  line.prefix = "HTTP/1.1 200 OK\r\nX-Leak: ";
  line.filler_bytes = 64ull << 20;
  line.suffix = "\r\nContent-Length: 2\r\n\r\nok";
  backend_.set_response(line);
  ASSERT_NO_FATAL_FAILURE(expect_502("/line-64m", "response_head_too_large"));
  EXPECT_LT(backend_.bytes_written(), 32ull << 20) << "gantry read on after refusing the head";

  RawResponse many;
  many.prefix = "HTTP/1.1 200 OK\r\n";
  many.filler_unit = "X-Leak: v\r\n";
  many.filler_bytes = 20000 * many.filler_unit.size();
  many.suffix = "\r\n";
  backend_.set_response(many);
  ASSERT_NO_FATAL_FAILURE(expect_502("/many", "response_head_too_large"));

  uint64_t peak = process_peak_rss_kib(gantry().pid());
  uint64_t after = process_rss_kib(gantry().pid());
  EXPECT_LT(after, before + 64 * 1024)
      << "RSS before " << before << " KiB, after " << after << " KiB";
  EXPECT_LT(peak, before + 64 * 1024) << "peak RSS " << peak << " KiB (before " << before << ")";
}

TEST_F(MalformedResponseTest, BrokenBodyAfterBytesReachedTheClientAborts) {
  ASSERT_NO_FATAL_FAILURE(start());
  RawResponse r;
  r.prefix = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
  r.later = "zz\r\n0\r\n\r\n";
  backend_.set_response(r);
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send(get_request("/broken-later")));
  // The head and the first chunk reach the client before the bad size line
  // is even sent.
  for (int i = 0; i < 40 && c.received().find("hello") == std::string::npos && !c.peer_closed();
       ++i)
    c.read_response(milliseconds(500));
  ASSERT_NE(c.received().find("HTTP/1.1 200"), std::string::npos) << c.received();
  backend_.release_later();
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(c.received().find("\r\n0\r\n\r\n"), std::string::npos)
      << "the response must not look complete: " << c.received();
  EXPECT_NE(access_log_line("/broken-later").find(" bad_response_body"), std::string::npos)
      << gantry().stdout_text();
}

}  // namespace
}  // namespace gantry::itest
