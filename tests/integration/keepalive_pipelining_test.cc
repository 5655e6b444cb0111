// Connection reuse on both sides and pipelined requests.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

class KeepAliveTest : public IntegrationTest {
 protected:
  void SetUp() override {
    // Answer with the request target so responses can be matched to requests.
    backend_.set_handler([](const RecordedRequest& req) {
      ScriptedResponse r;
      r.body = "target=" + req.target;
      return r;
    });
    ASSERT_TRUE(backend_.start());
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()})));
  }
  RecordingBackend backend_;
};

TEST_F(KeepAliveTest, ReusesClientAndBackendConnections) {
  const int kRequests = 20;
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  for (int i = 0; i < kRequests; ++i) {
    std::string target = "/r" + std::to_string(i);
    ASSERT_TRUE(c.send(get_request(target))) << "request " << i;
    auto r = c.read_response();
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, "target=" + target);
    EXPECT_FALSE(iequals(r.response.header("Connection"), "close")) << "request " << i;
  }
  EXPECT_FALSE(c.peer_closed());
  EXPECT_EQ(backend_.request_count(), static_cast<size_t>(kRequests));
  // One worker, one request at a time: the pooled connection serves them all.
  EXPECT_EQ(backend_.connection_count(), 1u);
  EXPECT_TRUE(backend_.errors().empty());
}

TEST_F(KeepAliveTest, ReusesBackendConnectionsAcrossClients) {
  const int kClients = 10;
  for (int i = 0; i < kClients; ++i) {
    auto r = exchange(port(), get_request("/c" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(r.response.status, 200);
  }
  EXPECT_EQ(backend_.request_count(), static_cast<size_t>(kClients));
  // The pool is per worker, not per client connection: one for all ten.
  EXPECT_EQ(backend_.connection_count(), 1u);
}

TEST_F(KeepAliveTest, PipelinedRequestsAnsweredInOrder) {
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send(get_request("/first") +
                     "POST /second HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc" +
                     get_request("/third")));
  for (const char* target : {"/first", "/second", "/third"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r.ok()) << target << ": " << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, std::string("target=") + target);
  }
  auto reqs = backend_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/first");
  EXPECT_EQ(reqs[1].target, "/second");
  EXPECT_EQ(reqs[1].body, "abc");
  EXPECT_EQ(reqs[2].target, "/third");
  EXPECT_TRUE(backend_.errors().empty());
}

TEST_F(KeepAliveTest, ConnectionCloseIsHonoured) {
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  ASSERT_TRUE(c.send(get_request("/bye", "localhost", "Connection: close\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 200);
  EXPECT_TRUE(c.wait_closed()) << "gantry must close after Connection: close";
}

TEST_F(KeepAliveTest, BackendCloseDoesNotCloseClient) {
  ScriptedResponse closing;
  closing.body = "closing";
  closing.close_after = true;
  backend_.set_response(closing);
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get_request("/x")));
    auto r = c.read_response();
    ASSERT_TRUE(r.ok()) << i << ": " << to_string(r.status);
    EXPECT_EQ(r.response.body, "closing");
  }
  EXPECT_EQ(backend_.connection_count(), 3u);
}

}  // namespace
}  // namespace gantry::itest
