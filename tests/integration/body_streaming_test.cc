// Large bodies both ways, chunked and with Content-Length, checked byte for
// byte with SHA-256 of a deterministic pattern.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t k64MiB = 64ull << 20;
const milliseconds kBigTimeout(240000);

class BodyStreamingTest : public IntegrationTest {
 protected:
  void SetUp() override {
    backend_.set_raw_limit(64 * 1024);  // keep memory bounded; bodies are checked by digest
    // Echo back the digest and size of what arrived.
    backend_.set_handler([](const RecordedRequest& req) {
      ScriptedResponse r;
      r.body = sha256_hex(req.body) + " " + std::to_string(req.body.size());
      return r;
    });
    ASSERT_TRUE(backend_.start());
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()})));
  }

  // Sends head then the body in pieces from another thread, so a proxy that
  // answers early or stops reading cannot deadlock the test.
  ReadResult post_in_thread(const std::string& head, uint64_t size, bool chunked) {
    RawClient c;
    EXPECT_TRUE(c.connect(port()));
    std::atomic<bool> sent_ok{false};
    std::thread sender([&] {
      if (!c.send(head)) return;
      const size_t kPiece = 1000003;  // odd size: chunk borders never align with anything
      for (uint64_t off = 0; off < size; off += kPiece) {
        size_t n = size - off < kPiece ? static_cast<size_t>(size - off) : kPiece;
        std::string data = pattern_bytes(off, n);
        if (chunked) {
          char line[32];
          std::snprintf(line, sizeof(line), "%zx\r\n", n);
          data = line + data + "\r\n";
        }
        if (!c.send(data)) return;
      }
      if (chunked && !c.send("0\r\n\r\n")) return;
      sent_ok = true;
    });
    ReadResult r = c.read_response(kBigTimeout);
    if (!r.ok()) c.close();  // unblocks the sender
    sender.join();
    EXPECT_TRUE(sent_ok || !r.ok());
    return r;
  }

  RecordingBackend backend_;
};

TEST_F(BodyStreamingTest, ChunkedRequestBody64MiB) {
  auto r = post_in_thread(
      "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", k64MiB, true);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, pattern_sha256(k64MiB) + " " + std::to_string(k64MiB));
  EXPECT_EQ(backend_.complete_request_count(), 1u);
  EXPECT_TRUE(backend_.errors().empty());
}

TEST_F(BodyStreamingTest, ContentLengthRequestBody) {
  const uint64_t size = 16ull << 20;
  auto r = post_in_thread("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                              std::to_string(size) + "\r\n\r\n",
                          size, false);
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.body, pattern_sha256(size) + " " + std::to_string(size));
  ASSERT_EQ(backend_.request_count(), 1u);
  EXPECT_FALSE(backend_.requests()[0].chunked);
}

TEST_F(BodyStreamingTest, ChunkedResponseBody64MiB) {
  ScriptedResponse big;
  big.generated_body_size = k64MiB;
  big.chunked = true;
  big.chunk_size = 65536 + 17;
  backend_.set_response(big);
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send(get_request("/download")));
  auto r = c.read_response(kBigTimeout);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body.size(), k64MiB);
  EXPECT_EQ(sha256_hex(r.response.body), pattern_sha256(k64MiB));
  // The connection stays usable after a streamed body.
  backend_.set_response(ScriptedResponse{});
  ASSERT_TRUE(c.send(get_request("/again")));
  auto again = c.read_response();
  ASSERT_TRUE(again.ok()) << to_string(again.status);
  EXPECT_EQ(again.response.status, 200);
}

TEST_F(BodyStreamingTest, ContentLengthResponseBody64MiB) {
  ScriptedResponse big;
  big.generated_body_size = k64MiB;
  big.body_seed = 7;
  backend_.set_response(big);
  auto r = exchange(port(), get_request("/download"), kBigTimeout);
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.header("Content-Length"), std::to_string(k64MiB));
  EXPECT_EQ(sha256_hex(r.response.body), pattern_sha256(k64MiB, 7));
}

TEST_F(BodyStreamingTest, CloseDelimitedResponseBody) {
  ScriptedResponse r;
  r.generated_body_size = 1 << 20;
  r.omit_content_length = true;
  backend_.set_response(r);
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send(get_request("/legacy")));
  auto resp = c.read_response(kBigTimeout);
  ASSERT_TRUE(resp.ok()) << to_string(resp.status);
  EXPECT_EQ(sha256_hex(resp.response.body), pattern_sha256(1 << 20));
}

}  // namespace
}  // namespace gantry::itest
