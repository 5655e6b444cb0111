// Framing: gantry's own RFC 9112 6.3 decision from a parsed head.
#include "http/framing.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace gantry::http {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A Head over strings the test keeps alive.
struct TestHead {
  explicit TestHead(std::initializer_list<std::pair<std::string, std::string>> f, int status = 0,
                    int minor = 1)
      : TestHead(Fields(f), status, minor) {}
  explicit TestHead(const Fields& f, int status = 0, int minor = 1) : fields(f) {
    head.method = status == 0 ? "POST" : "";
    head.status = status;
    head.version_minor = static_cast<uint8_t>(minor);
    for (const auto& [n, v] : fields) head.headers.push_back({n, v});
    head.live_headers = static_cast<uint32_t>(head.headers.size());
  }
  Fields fields;
  Head head;
};

TEST(FramingTest, RequestBodies) {
  Framing none = frame_request(TestHead({{"Host", "a"}}).head);
  EXPECT_EQ(none.error, nullptr);
  EXPECT_EQ(none.kind, BodyKind::kNone);
  EXPECT_TRUE(none.keep_alive);

  Framing cl = frame_request(TestHead({{"Content-Length", "005"}}).head);
  EXPECT_EQ(cl.kind, BodyKind::kLength);
  EXPECT_TRUE(cl.has_content_length);
  EXPECT_EQ(cl.length, 5u);

  for (const char* te : {"chunked", "Chunked", ", chunked", "chunked,", " chunked "}) {
    Framing f = frame_request(TestHead({{"Transfer-Encoding", te}}).head);
    EXPECT_EQ(f.error, nullptr) << te;
    EXPECT_EQ(f.kind, BodyKind::kChunked) << te;
  }
}

TEST(FramingTest, RefusesAmbiguousRequestFraming) {
  const std::vector<std::pair<const char*, Fields>> cases = {
      {"CL and TE", {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}},
      {"two CL", {{"Content-Length", "5"}, {"Content-Length", "5"}}},
      {"CL list", {{"Content-Length", "5, 5"}}},
      {"CL plus", {{"Content-Length", "+5"}}},
      {"CL negative", {{"Content-Length", "-0"}}},
      {"CL hex", {{"Content-Length", "0x5"}}},
      {"CL empty", {{"Content-Length", ""}}},
      {"CL inner space", {{"Content-Length", "1 0"}}},
      {"CL overflow", {{"Content-Length", "99999999999999999999"}}},
      {"CL above 63 bits", {{"Content-Length", "9223372036854775808"}}},
      {"TE empty", {{"Transfer-Encoding", ""}}},
      {"TE gzip", {{"Transfer-Encoding", "gzip"}}},
      {"TE chunked not final", {{"Transfer-Encoding", "chunked, gzip"}}},
      {"TE gzip then chunked", {{"Transfer-Encoding", "gzip, chunked"}}},
      {"TE chunked twice", {{"Transfer-Encoding", "chunked, chunked"}}},
      {"TE over two fields", {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "identity"}}},
      {"TE with parameters", {{"Transfer-Encoding", "chunked;ext=val"}}},
      {"TE vertical tab",
       {{"Transfer-Encoding",
         "\x0b"
         "chunked"}}},
      {"TE xchunked", {{"Transfer-Encoding", "xchunked"}}},
  };
  for (const auto& [name, fields] : cases) {
    Framing f = frame_request(TestHead(fields).head);
    EXPECT_NE(f.error, nullptr) << name;
  }
  // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
  EXPECT_NE(frame_request(TestHead({{"Transfer-Encoding", "chunked"}}, 0, 0).head).error, nullptr);
}

TEST(FramingTest, ResponseBodies) {
  Framing close = frame_response(TestHead({}, 200).head);
  EXPECT_EQ(close.kind, BodyKind::kUntilClose);
  for (int st : {100, 103, 204, 304}) {
    Framing f = frame_response(TestHead({{"Content-Length", "10"}}, st).head);
    EXPECT_EQ(f.error, nullptr) << st;
    EXPECT_EQ(f.kind, BodyKind::kNone) << st;
  }
  Framing up = frame_response(TestHead({}, 101).head);
  EXPECT_TRUE(up.upgrade);
  EXPECT_EQ(up.kind, BodyKind::kNone);
  EXPECT_EQ(frame_response(TestHead({{"Transfer-Encoding", "chunked"}}, 200).head).kind,
            BodyKind::kChunked);
  // Codings other than chunked would be lost when gantry re-frames the body.
  EXPECT_NE(frame_response(TestHead({{"Transfer-Encoding", "gzip"}}, 200).head).error, nullptr);
  EXPECT_NE(frame_response(TestHead({{"Transfer-Encoding", "gzip, chunked"}}, 200).head).error,
            nullptr);
  TestHead both({{"Content-Length", "2"}, {"Transfer-Encoding", "chunked"}}, 200);
  EXPECT_NE(frame_response(both.head).error, nullptr);
  EXPECT_NE(
      frame_response(TestHead({{"Content-Length", "2"}, {"Content-Length", "3"}}, 200).head).error,
      nullptr);
}

TEST(FramingTest, KeepAliveAndUpgrade) {
  EXPECT_FALSE(frame_request(TestHead({{"Connection", "close"}}).head).keep_alive);
  EXPECT_FALSE(frame_request(TestHead({{"Connection", "keep-alive, close"}}).head).keep_alive);
  EXPECT_FALSE(frame_request(TestHead({}, 0, 0).head).keep_alive) << "HTTP/1.0 closes by default";
  EXPECT_TRUE(frame_request(TestHead({{"Connection", "Keep-Alive"}}, 0, 0).head).keep_alive);
  EXPECT_FALSE(frame_request(TestHead({{"Connection", "close\t"}}).head).keep_alive);

  EXPECT_TRUE(
      frame_request(TestHead({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}}).head).upgrade);
  EXPECT_FALSE(frame_request(TestHead({{"Upgrade", "websocket"}}).head).upgrade);
  EXPECT_FALSE(frame_request(TestHead({{"Connection", "upgrade"}}).head).upgrade);
}

}  // namespace
}  // namespace gantry::http
