// Parser: llhttp for heads, gantry's scanner, framing and body decoder
// around it, driven the way the proxy drives it (reads of any size, each in
// a buffer that is gone after feed()).
#include "http/parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "reads.h"

namespace gantry::http {
namespace {

using namespace std::string_literals;
using split_reads::every_split;

class Recorder : public ParserEvents {
 public:
  int on_head(Head& head) override {
    ++heads;
    target = std::string(head.target);
    status = head.status;
    fields = head.headers.size();
    return head_return;
  }
  void on_body(const char* p, size_t n) override { body.append(p, n); }
  void on_message_end() override { ++ends; }

  int head_return = 0;
  int heads = 0;
  int ends = 0;
  int status = 0;
  size_t fields = 0;
  std::string target;
  std::string body;
};

struct Fed {
  ParseResult result = ParseResult::kOk;
  size_t consumed = 0;  // bytes of the whole input used when the result came
};

// Feeds `input` in reads cut at `cuts`; stops at the first result other than kOk.
Fed feed_split(Parser& p, const std::string& input, const std::vector<size_t>& cuts) {
  Fed out{ParseResult::kOk, input.size()};
  split_reads::for_each_read(input, cuts, [&](const std::string& read, size_t pos) {
    size_t used = 0;
    ParseResult r = p.feed(read.data(), read.size(), &used);
    if (r == ParseResult::kOk) return true;
    out = {r, pos + used};
    return false;
  });
  return out;
}

struct Fixture {
  explicit Fixture(bool request) : parser(request, &events) { parser.attach(&head, &arena); }
  Recorder events;
  Arena arena;
  Head head;
  Parser parser;
};

// A message gantry must refuse, and why.
struct Shape {
  const char* name;
  std::string raw;
  ParseError kind;
};

TEST(ParserTest, ChunkedRequestAtEveryReadBoundary) {
  const std::string req =
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;x=\"y\"\r\nhello\r\n6\r\n world\r\n0\r\nX-T: v\r\n\r\n";
  const std::string input = req + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const auto& cuts : every_split(input.size())) {
    Fixture f(true);
    Fed r = feed_split(f.parser, input, cuts);
    ASSERT_EQ(r.result, ParseResult::kPaused);
    EXPECT_EQ(r.consumed, req.size());
    EXPECT_EQ(f.events.target, "/up");
    EXPECT_EQ(f.events.body, "hello world");
    EXPECT_EQ(f.events.ends, 1);
    EXPECT_TRUE(f.parser.chunked());
    EXPECT_TRUE(f.parser.keep_alive());
  }
}

TEST(ParserTest, PipelinedRequestsAfterReset) {
  Fixture f(true);
  const std::string input =
      "\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: "
      "3\r\n\r\nxyz";
  size_t used = 0;
  ASSERT_EQ(f.parser.feed(input.data(), input.size(), &used), ParseResult::kPaused);
  EXPECT_EQ(f.events.target, "/a");
  f.parser.reset();
  f.head.clear();
  size_t used2 = 0;
  ASSERT_EQ(f.parser.feed(input.data() + used, input.size() - used, &used2), ParseResult::kPaused);
  EXPECT_EQ(f.events.target, "/b");
  EXPECT_EQ(f.events.body, "xyz");
  EXPECT_EQ(used + used2, input.size());
}

TEST(ParserTest, SmugglingShapesAreRefusedBeforeAnyBody) {
  const std::vector<Shape> cases = {
      {"CrLfCrX", "GET / HTTP/1.1\r\nHost: a\r\n\rXGET /s HTTP/1.1\r\nHost: a\r\n\r\n",
       ParseError::kHeadSyntax},
      {"BareCrField", "GET / HTTP/1.1\r\nX-A:\rTransfer-Encoding: chunked\r\n\r\n",
       ParseError::kHeadSyntax},
      {"SpaceBeforeContentLength", "POST / HTTP/1.1\r\nHost: a\r\n Content-Length: 5\r\n\r\nhello",
       ParseError::kHeadSyntax},
      {"EmptyFieldName", "GET / HTTP/1.1\r\n: x\r\nHost: a\r\n\r\n", ParseError::kHeadSyntax},
      {"ClAndTe",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       ParseError::kFraming},
      {"TeGzipChunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       ParseError::kFraming},
      {"BareCrInChunkSize",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\r;a\r\nhi\r\n0\r\n\r\n",
       ParseError::kBody},
      {"ChunkOverflow",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF0\r\n",
       ParseError::kBody},
  };
  for (const Shape& c : cases) {
    for (const auto& cuts : every_split(c.raw.size())) {
      Fixture f(true);
      Fed r = feed_split(f.parser, c.raw, cuts);
      ASSERT_EQ(r.result, ParseResult::kError) << c.name;
      EXPECT_EQ(f.parser.error_kind(), c.kind) << c.name << ": " << f.parser.error_reason();
      EXPECT_EQ(f.parser.reject_status(), 400) << c.name;
      EXPECT_TRUE(f.events.body.empty()) << c.name;
      EXPECT_EQ(f.events.ends, 0) << c.name;
    }
  }
}

TEST(ParserTest, RequestLimits) {
  struct Case {
    const char* name;
    std::string raw;
    int status;
  };
  std::string many;
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  const std::vector<Case> cases = {
      {"HeadTooLarge",
       "GET / HTTP/1.1\r\nX-A: " + std::string(600, 'a') + "\r\nX-B: " + std::string(600, 'b') +
           "\r\n\r\n",
       431},
      {"TooManyHeaders", "GET / HTTP/1.1\r\n" + many + "\r\n", 431},
      {"TargetTooLong", "GET /" + std::string(300, 't') + " HTTP/1.1\r\n\r\n", 414},
      {"LineTooLong", "GET / HTTP/1.1\r\nX-A: " + std::string(300, 'a') + "\r\n\r\n", 431},
      {"Version", "GET / HTTP/1.2\r\n\r\n", 505},
  };
  for (const Case& c : cases) {
    Fixture f(true);
    f.parser.set_limits(1024, 10, 256);
    Fed r = feed_split(f.parser, c.raw, {});
    ASSERT_EQ(r.result, ParseResult::kError) << c.name;
    EXPECT_EQ(f.parser.reject_status(), c.status) << c.name;
    if (c.status != 505) {
      EXPECT_EQ(f.parser.error_kind(), ParseError::kHeadTooLarge) << c.name;
    }
  }
  // Right at the limits: accepted.
  Fixture ok(true);
  ok.parser.set_limits(1024, 10, 256);
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(feed_split(ok.parser, "GET / HTTP/1.1\r\n" + ten + "\r\n", {}).result,
            ParseResult::kPaused);
}

TEST(ParserTest, ResponseLimitsStopHugeHeadsEarly) {
  {
    // A 2 MiB header line in one read: refused after looking at 16 KiB.
    Fixture f(false);
    f.parser.set_limits(16384, 100, 0);
    std::string raw = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(2 << 20, 'a') + "\r\n\r\n";
    Fed r = feed_split(f.parser, raw, {});
    ASSERT_EQ(r.result, ParseResult::kError);
    EXPECT_EQ(f.parser.error_kind(), ParseError::kHeadTooLarge);
    EXPECT_LT(f.arena.reserved(), 64u * 1024);
    EXPECT_EQ(f.events.heads, 0);
  }
  {
    // The same line one KiB per read.
    Fixture f(false);
    f.parser.set_limits(16384, 100, 0);
    std::string raw = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(2 << 20, 'a') + "\r\n\r\n";
    std::vector<size_t> cuts;
    for (size_t i = 1024; i < raw.size(); i += 1024) cuts.push_back(i);
    ASSERT_EQ(feed_split(f.parser, raw, cuts).result, ParseResult::kError);
    EXPECT_EQ(f.parser.error_kind(), ParseError::kHeadTooLarge);
    EXPECT_LT(f.arena.reserved(), 64u * 1024);
  }
  {
    // 20,000 fields.
    Fixture f(false);
    f.parser.set_limits(16 << 20, 100, 0);
    std::string raw = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 20000; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
    raw += "\r\n";
    ASSERT_EQ(feed_split(f.parser, raw, {}).result, ParseResult::kError);
    EXPECT_EQ(f.parser.error_kind(), ParseError::kHeadTooLarge);
    EXPECT_LE(f.head.headers.size(), 100u);
  }
}

TEST(ParserTest, ResponseDiscipline) {
  const std::vector<Shape> cases = {
      {"BareLf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", ParseError::kHeadSyntax},
      {"BareCr", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n",
       ParseError::kHeadSyntax},
      {"Nul", "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n"s, ParseError::kHeadSyntax},
      {"StatusZero", "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", ParseError::kHeadSyntax},
      {"Status600", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", ParseError::kHeadSyntax},
      {"Http2", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", ParseError::kHeadSyntax},
      {"ControlInReason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n",
       ParseError::kHeadSyntax},
      {"NoStatus", "HTTP/1.1 OK\r\n\r\n", ParseError::kHeadSyntax},
      {"ClAndTe", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::kFraming},
      {"DuplicateCl", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
       ParseError::kFraming},
      {"MalformedCl", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok", ParseError::kFraming},
      {"TeGzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", ParseError::kFraming},
      {"ChunkOverflow",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
       ParseError::kBody},
  };
  for (const Shape& c : cases) {
    Fixture f(false);
    Fed r = feed_split(f.parser, c.raw, {});
    ASSERT_EQ(r.result, ParseResult::kError) << c.name;
    EXPECT_EQ(f.parser.error_kind(), c.kind) << c.name << ": " << f.parser.error_reason();
    EXPECT_TRUE(f.events.body.empty()) << c.name;
  }
}

TEST(ParserTest, ResponseFraming) {
  {
    Fixture f(false);
    const std::string raw = "HTTP/1.1 200 OK\r\n\r\nuntil close";
    ASSERT_EQ(feed_split(f.parser, raw, {}).result, ParseResult::kOk);
    EXPECT_FALSE(f.parser.keep_alive());
    EXPECT_EQ(f.events.body, "until close");
    EXPECT_TRUE(f.parser.in_message());
    EXPECT_TRUE(f.parser.finish());
    EXPECT_EQ(f.events.ends, 1);
  }
  {
    // A response to HEAD (on_head returns 1) has no body whatever it says.
    Fixture f(false);
    f.events.head_return = 1;
    const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    Fed r = feed_split(f.parser, raw, {});
    ASSERT_EQ(r.result, ParseResult::kPaused);
    EXPECT_EQ(r.consumed, raw.size());
    EXPECT_TRUE(f.parser.has_content_length());
    EXPECT_EQ(f.parser.content_length(), 10u);
    EXPECT_TRUE(f.parser.keep_alive());
  }
  {
    // Interim responses end at their head; 101 hands over the connection.
    Fixture f(false);
    const std::string raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n";
    Fed r = feed_split(f.parser, raw, {});
    EXPECT_EQ(r.result, ParseResult::kPaused);
    EXPECT_EQ(r.consumed, 25u);
    Fixture g(false);
    const std::string up =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00"s;
    Fed u = feed_split(g.parser, up, {});
    EXPECT_EQ(u.result, ParseResult::kUpgrade);
    EXPECT_EQ(u.consumed, up.size() - 2);
  }
  {
    // A body cut by the close is not a complete message.
    Fixture f(false);
    ASSERT_EQ(feed_split(f.parser, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", {}).result,
              ParseResult::kOk);
    EXPECT_FALSE(f.parser.finish());
    Fixture g(false);
    EXPECT_TRUE(g.parser.finish()) << "nothing received: closed between messages";
  }
}

TEST(ParserTest, UpgradeRequestEndsWithItsBody) {
  Fixture f(true);
  const std::string raw =
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nframes";
  Fed r = feed_split(f.parser, raw, {});
  EXPECT_EQ(r.result, ParseResult::kUpgrade);
  EXPECT_EQ(r.consumed, raw.size() - 6);
  EXPECT_TRUE(f.parser.upgrade());
}

TEST(ParserTest, RefusedHeadAndStickyError) {
  Fixture f(true);
  f.events.head_return = -1;
  Fed r = feed_split(f.parser, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", {});
  EXPECT_EQ(r.result, ParseResult::kError);
  EXPECT_EQ(f.parser.error_kind(), ParseError::kRefused);
  size_t used = 1;
  EXPECT_EQ(f.parser.feed("GET", 3, &used), ParseResult::kError);
  EXPECT_EQ(used, 0u);
  f.parser.reset();
  f.head.clear();
  f.events.head_return = 0;
  EXPECT_EQ(feed_split(f.parser, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", {}).result,
            ParseResult::kPaused);
}

}  // namespace
}  // namespace gantry::http
