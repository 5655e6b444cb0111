// BodyDecoder: every body framing, every malformed chunked shape, each input
// split at every byte boundary.
#include "http/body_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reads.h"

namespace gantry::http {
namespace {

using namespace std::string_literals;

using Status = BodyDecoder::Status;
using split_reads::every_split;

struct Decoded {
  Status status = Status::kNeedMore;  // kDone, kError or kNeedMore (input ended first)
  std::string body;
  size_t consumed = 0;  // bytes of the input up to the end of the body (kDone)
  bool spans_in_input = true;
};

// Decodes `input` in reads cut at `cuts`.
Decoded decode_split(BodyKind kind, uint64_t length, const std::string& input,
                     const std::vector<size_t>& cuts) {
  BodyDecoder d;
  d.start(kind, length);
  Decoded out;
  split_reads::for_each_read(input, cuts, [&](const std::string& read, size_t pos) {
    const char* cur = read.data();
    const char* end = read.data() + read.size();
    for (;;) {
      BodyDecoder::Span s;
      Status st = d.decode(&cur, end, &s);
      if (st == Status::kData) {
        if (s.size == 0 || s.data < read.data() || s.data + s.size > end)
          out.spans_in_input = false;
        out.body.append(s.data, s.size);
        continue;
      }
      if (st == Status::kNeedMore) return true;
      out.status = st;
      out.consumed = pos + static_cast<size_t>(cur - read.data());
      return false;
    }
  });
  return out;
}

const char kNext[] = "GET /next HTTP/1.1\r\n\r\n";

TEST(BodyDecoderTest, ContentLengthStopsAtItsLength) {
  const std::string input = std::string("hello") + kNext;
  for (const auto& cuts : every_split(input.size())) {
    Decoded d = decode_split(BodyKind::kLength, 5, input, cuts);
    ASSERT_EQ(d.status, Status::kDone);
    EXPECT_EQ(d.body, "hello");
    EXPECT_EQ(d.consumed, 5u);
    EXPECT_TRUE(d.spans_in_input);
  }
  EXPECT_EQ(decode_split(BodyKind::kLength, 0, kNext, {}).consumed, 0u);
  EXPECT_EQ(decode_split(BodyKind::kNone, 0, kNext, {}).status, Status::kDone);
  // Cut short: still waiting.
  EXPECT_EQ(decode_split(BodyKind::kLength, 10, "hello", {}).status, Status::kNeedMore);
}

TEST(BodyDecoderTest, UntilCloseTakesEverythingAndEndsAtClose) {
  BodyDecoder d;
  d.start(BodyKind::kUntilClose);
  const std::string input = "all of it\r\n0\r\n\r\n";
  const char* cur = input.data();
  BodyDecoder::Span s;
  ASSERT_EQ(d.decode(&cur, input.data() + input.size(), &s), Status::kData);
  EXPECT_EQ(std::string(s.data, s.size), input);
  EXPECT_EQ(d.decode(&cur, input.data() + input.size(), &s), Status::kNeedMore);
  EXPECT_TRUE(d.finish());

  BodyDecoder chunked;
  chunked.start(BodyKind::kChunked);
  EXPECT_FALSE(chunked.finish()) << "a chunked body cut by a close is not complete";
}

TEST(BodyDecoderTest, WellFormedChunkedBodies) {
  struct Case {
    std::string body;
    std::string decoded;
  };
  const std::vector<Case> cases = {
      {"5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
      {"A\r\nhelloworld\r\n0\r\n\r\n", "helloworld"},
      {"a\r\nhelloworld\r\n000\r\n\r\n", "helloworld"},
      {"0005\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;ext=value\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a;b=c;d=\"q \\\" \\\\ x\"\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"5 ;a = b ; c\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhello\r\n0\r\nX-Checksum: abc\r\nContent-Length: 50\r\n\r\n", "hello"},
      {"5\r\nhello\r\n0\r\nX-Empty:\r\n\r\n", "hello"},
      {"0\r\n\r\n", ""},
  };
  for (const Case& c : cases) {
    const std::string input = c.body + kNext;
    for (const auto& cuts : every_split(input.size())) {
      Decoded d = decode_split(BodyKind::kChunked, 0, input, cuts);
      ASSERT_EQ(d.status, Status::kDone) << c.body;
      EXPECT_EQ(d.body, c.decoded) << c.body;
      EXPECT_EQ(d.consumed, c.body.size()) << c.body;
      EXPECT_TRUE(d.spans_in_input);
    }
  }
}

TEST(BodyDecoderTest, RefusesEveryMalformedChunkedShapeAtEveryBoundary) {
  struct Case {
    const char* name;
    std::string body;
  };
  const std::vector<Case> cases = {
      // A bare CR in the size line or an extension (issue 10, shape 2).
      {"BareCrAfterSize", "2\r\r;a\r\nhi\r\n0\r\n\r\n"},
      {"BareCrInExtension", "5;a\rX\r\nhello\r\n0\r\n\r\n"},
      {"BareCrTerminatesSize", "5\rhello\r\n0\r\n\r\n"},
      {"BareCrInQuotedExtension", "5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n"},
      // Bare LF where CR LF belongs.
      {"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n"},
      {"BareLfAfterExtension", "5;\nhello\r\n0\r\n\r\n"},
      {"BareLfAfterData", "5\r\nhello\n0\r\n\r\n"},
      {"BareLfEndsTrailers", "5\r\nhello\r\n0\r\n\n"},
      // The CR LF after chunk data is missing, short or wrong.
      {"MissingCrlfAfterData", "5\r\nhello0\r\n\r\n"},
      {"DataLongerThanSize", "5\r\nhello!!\r\n0\r\n\r\n"},
      {"CrWithoutLfAfterData", "5\r\nhello\rX0\r\n\r\n"},
      // Sizes that are not 1*HEXDIG, or do not fit.
      {"EmptySize", "\r\nhello\r\n0\r\n\r\n"},
      {"HexPrefix", "0x5\r\nhello\r\n0\r\n\r\n"},
      {"Negative", "-1\r\nhello\r\n0\r\n\r\n"},
      {"LeadingSpace", " 5\r\nhello\r\n0\r\n\r\n"},
      {"Underscore", "1_0\r\nhello world!!!!!\r\n0\r\n\r\n"},
      {"TrailingSpaceWithoutExtension", "5 \r\nhello\r\n0\r\n\r\n"},
      {"Overflow64", "FFFFFFFFFFFFFFFF0\r\nhello\r\n0\r\n\r\n"},
      {"Overflow63", "8000000000000000\r\nhello\r\n0\r\n\r\n"},
      // Extensions that are not chunk-ext.
      {"BareSemicolon", "5;\r\nhello\r\n0\r\n\r\n"},
      {"EmptyValue", "5;a=\r\nhello\r\n0\r\n\r\n"},
      {"NulInExtension", "5;\0ext\r\nhello\r\n0\r\n\r\n"s},
      {"ControlInExtension", "5;a=b\x01\r\nhello\r\n0\r\n\r\n"},
      {"UnterminatedQuote", "5;a=\"abc\r\nhello\r\n0\r\n\r\n"},
      {"SpaceAfterNameNoValue", "5;a \r\nhello\r\n0\r\n\r\n"},
      {"SpaceAfterValue", "5;a=b \r\nhello\r\n0\r\n\r\n"},
      {"SpaceAfterQuotedValue", "5;a=\"b\" \r\nhello\r\n0\r\n\r\n"},
      {"JunkAfterQuotedValue", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"},
      {"ExtensionTooLong",
       "5;a=" + std::string(BodyDecoder::kMaxChunkLine, 'x') + "\r\nhello\r\n0\r\n\r\n"},
      {"LeadingZerosTooLong",
       std::string(BodyDecoder::kMaxChunkLine + 1, '0') + "5\r\nhello\r\n0\r\n\r\n"},
      // Trailer fields held to the same rules as head fields.
      {"TrailerBareCr", "5\r\nhello\r\n0\r\nX-A: b\rc\r\n\r\n"},
      {"TrailerBareCrEnds", "5\r\nhello\r\n0\r\nX-A: b\r\rX\r\n\r\n"},
      {"TrailerBareLf", "5\r\nhello\r\n0\r\nX-A: b\nX-B: c\r\n\r\n"},
      {"TrailerObsFold", "5\r\nhello\r\n0\r\nX-A: b\r\n c\r\n\r\n"},
      {"TrailerNoColon", "5\r\nhello\r\n0\r\nNoColon\r\n\r\n"},
      {"TrailerSpaceBeforeColon", "5\r\nhello\r\n0\r\nX-A : b\r\n\r\n"},
      {"TrailerNul", "5\r\nhello\r\n0\r\nX-A: \0\r\n\r\n"s},
      {"TrailerTooLarge",
       "5\r\nhello\r\n0\r\nX-A: " + std::string(BodyDecoder::kMaxTrailerBytes, 'v') + "\r\n\r\n"},
  };
  for (const Case& c : cases) {
    const std::string input = c.body + kNext;
    // Long inputs (the size caps) get a sample of two-read splits, the rest
    // every split including one-byte reads.
    std::vector<std::vector<size_t>> splits;
    if (input.size() <= 512) {
      splits = every_split(input.size());
    } else {
      splits.push_back({});
      for (size_t i = 1; i < input.size(); i += 61) splits.push_back({i});
      for (size_t i = input.size() - 40; i < input.size(); ++i) splits.push_back({i});
    }
    for (const auto& cuts : splits) {
      Decoded d = decode_split(BodyKind::kChunked, 0, input, cuts);
      ASSERT_EQ(d.status, Status::kError) << c.name << " (" << cuts.size() + 1 << " reads)";
    }
  }
}

TEST(BodyDecoderTest, LargestSizeIsAcceptedAndDataFollows) {
  BodyDecoder d;
  d.start(BodyKind::kChunked);
  const std::string input = "7FFFFFFFFFFFFFFF\r\nabc";
  const char* cur = input.data();
  BodyDecoder::Span s;
  ASSERT_EQ(d.decode(&cur, input.data() + input.size(), &s), Status::kData);
  EXPECT_EQ(std::string(s.data, s.size), "abc");
  EXPECT_EQ(s.data, input.data() + 18) << "data is handed out in place, not copied";
}

TEST(BodyDecoderTest, ErrorIsSticky) {
  BodyDecoder d;
  d.start(BodyKind::kChunked);
  const std::string bad = "zz\r\n";
  const char* cur = bad.data();
  BodyDecoder::Span s;
  EXPECT_EQ(d.decode(&cur, bad.data() + bad.size(), &s), Status::kError);
  const std::string good = "5\r\nhello\r\n";
  cur = good.data();
  EXPECT_EQ(d.decode(&cur, good.data() + good.size(), &s), Status::kError);
  EXPECT_STREQ(d.error(), "invalid chunk size");
}

}  // namespace
}  // namespace gantry::http
