// HeadScanner: where a head ends, and which line structures it refuses,
// whatever the read boundaries.
#include "http/head_scan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reads.h"

namespace gantry::http {
namespace {

using namespace std::string_literals;

using Status = HeadScanner::Status;
using split_reads::every_split;

struct Outcome {
  Status status = Status::kNeedMore;
  size_t head_len = 0;  // bytes of the input up to the end of the head (kDone)
};

// Feeds `input` in reads cut at `cuts`; stops at the first result other
// than kNeedMore.
Outcome scan_split(const std::string& input, const std::vector<size_t>& cuts, uint32_t limit = 0) {
  HeadScanner s;
  s.set_limit(limit);
  Outcome out;
  split_reads::for_each_read(input, cuts, [&](const std::string& read, size_t pos) {
    HeadScanner::Result r = s.scan(read.data(), read.size());
    if (r.status == Status::kNeedMore) {
      EXPECT_EQ(r.used, read.size());
      return true;
    }
    out = {r.status, pos + r.used};
    return false;
  });
  return out;
}

TEST(HeadScanTest, FindsTheEndOfWellFormedHeads) {
  const std::vector<std::string> heads = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",  // empty lines first: skipped (RFC 9112 2.2)
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b c\td\r\n\r\n",
  };
  for (const std::string& h : heads) {
    const std::string input = h + "0\r\n\r\nGET /next HTTP/1.1\r\n";
    for (const auto& cuts : every_split(input.size())) {
      Outcome o = scan_split(input, cuts);
      ASSERT_EQ(o.status, Status::kDone) << h;
      EXPECT_EQ(o.head_len, h.size()) << h;
    }
  }
}

TEST(HeadScanTest, RefusesMalformedLineStructureAtEveryBoundary) {
  struct Case {
    const char* name;
    std::string head;
    Status status;
  };
  const std::vector<Case> cases = {
      // CVE-2025-23167: the head "ends" with CR LF CR and a byte other than LF.
      {"CrLfCrX", "GET / HTTP/1.1\r\nHost: a\r\n\rXGET /smuggled HTTP/1.1\r\n\r\n",
       Status::kBareCR},
      // CVE-2023-30589: a bare CR ending a field line.
      {"BareCrEndsField", "GET / HTTP/1.1\r\nX-A:\rTransfer-Encoding: chunked\r\n\r\n",
       Status::kBareCR},
      {"BareCrInValue", "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", Status::kBareCR},
      {"CrOnlyLineEnd", "GET / HTTP/1.1\rHost: a\r\n\r\n", Status::kBareCR},
      // CVE-2022-32214 / CVE-2022-35256: lines ended by LF alone.
      {"BareLfRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", Status::kBareLF},
      {"BareLfField", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", Status::kBareLF},
      {"BareLfEndOfHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", Status::kBareLF},
      {"BareLfBeforeStartLine", "\nGET / HTTP/1.1\r\n\r\n", Status::kBareLF},
      {"NulInValue", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, Status::kNul},
      {"NulInTarget", "GET /\0 HTTP/1.1\r\n\r\n"s, Status::kNul},
      // CVE-2022-32215 / CVE-2024-27982: folded lines and a space before a name.
      {"ObsFold", "GET / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", Status::kFoldedLine},
      {"SpaceBeforeFirstName", "GET / HTTP/1.1\r\n Content-Length: 5\r\n\r\n", Status::kFoldedLine},
      {"TabBeforeName", "GET / HTTP/1.1\r\nHost: a\r\n\tX: b\r\n\r\n", Status::kFoldedLine},
      {"WhitespaceOnlyLine", "GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n", Status::kFoldedLine},
  };
  for (const Case& c : cases) {
    for (const auto& cuts : every_split(c.head.size())) {
      Outcome o = scan_split(c.head, cuts);
      EXPECT_EQ(o.status, c.status) << c.name << " split into " << cuts.size() + 1 << " reads";
    }
  }
}

TEST(HeadScanTest, CrAtTheEndOfAReadIsCheckedAgainstTheNextRead) {
  HeadScanner s;
  const std::string a = "GET / HTTP/1.1\r";
  EXPECT_EQ(s.scan(a.data(), a.size()).status, Status::kNeedMore);
  const std::string b = "X";
  EXPECT_EQ(s.scan(b.data(), b.size()).status, Status::kBareCR);

  HeadScanner t;
  EXPECT_EQ(t.scan(a.data(), a.size()).status, Status::kNeedMore);
  const std::string c = "\n\r";
  EXPECT_EQ(t.scan(c.data(), c.size()).status, Status::kNeedMore);
  const std::string d = "\nrest";
  HeadScanner::Result r = t.scan(d.data(), d.size());
  EXPECT_EQ(r.status, Status::kDone);
  EXPECT_EQ(r.used, 1u);
}

TEST(HeadScanTest, LimitCountsEveryHeadByte) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";  // 27 bytes
  for (const auto& cuts : every_split(head.size())) {
    EXPECT_EQ(scan_split(head, cuts, 27).status, Status::kDone);
    Outcome o = scan_split(head + "body", cuts, 26);
    EXPECT_EQ(o.status, Status::kTooLarge);
    EXPECT_LE(o.head_len, 26u);
  }
  // Empty lines before the start line count too: they cannot go on forever.
  std::string empties;
  for (int i = 0; i < 600; ++i) empties += "\r\n";
  EXPECT_EQ(scan_split(empties, {}, 1024).status, Status::kTooLarge);
}

TEST(HeadScanTest, HugeReadStopsAtTheLimit) {
  // A 2 MiB header line: the scanner looks at no more than the limit allows.
  std::string head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(2 << 20, 'a') + "\r\n\r\n";
  HeadScanner s;
  s.set_limit(16384);
  HeadScanner::Result r = s.scan(head.data(), head.size());
  EXPECT_EQ(r.status, Status::kTooLarge);
  EXPECT_EQ(r.used, 16384u);
  EXPECT_EQ(s.head_bytes(), 16384u);
}

TEST(HeadScanTest, StartedOnlyOnceAStartLineBegins) {
  HeadScanner s;
  EXPECT_FALSE(s.started());
  std::string crlf = "\r\n";
  s.scan(crlf.data(), crlf.size());
  EXPECT_FALSE(s.started());
  std::string g = "G";
  s.scan(g.data(), g.size());
  EXPECT_TRUE(s.started());
  s.reset();
  EXPECT_FALSE(s.started());
  EXPECT_EQ(s.head_bytes(), 0u);
}

}  // namespace
}  // namespace gantry::http
