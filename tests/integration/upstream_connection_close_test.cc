// A server that answers "this connection closes" must not see another request
// on that connection, however long it keeps the socket open.
//
// A server that says `Connection: close` and closes at once cannot show the
// difference: a proxy that wrongly pooled the connection finds it dead when
// it reuses it and retries on a fresh one, and the client sees success
// either way. So the backend here announces the close but holds the socket
// open and records every byte that still arrives. A proxy that honours the
// announcement closes its side and sends the next request on a new
// connection; one that pooled the connection writes the request into it.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

struct CloseCase {
  const char* name;
  const char* version;     // of the backend's status line
  const char* connection;  // the backend's Connection header, "" for none
};

// The same decision, spelled the ways servers spell it.
const CloseCase kCases[] = {
    {"Http11Close", "HTTP/1.1", "close"},
    {"Http11CloseMixedCase", "HTTP/1.1", "Close"},
    {"Http11CloseInAList", "HTTP/1.1", "x-custom, close"},
    {"Http10WithoutKeepAlive", "HTTP/1.0", ""},
};

// Names the case in test output (ctest lists parameters by their printout).
void PrintTo(const CloseCase& c, std::ostream* os) { *os << c.name; }

class UpstreamConnectionCloseTest : public IntegrationTest,
                                    public ::testing::WithParamInterface<CloseCase> {
 protected:
  void SetUp() override {
    const CloseCase& c = GetParam();
    ScriptedResponse closing;
    closing.version = c.version;
    closing.body = "closing";
    closing.close_after = true;
    closing.hold_open_after_close = true;
    if (*c.connection != '\0') closing.headers.push_back({"Connection", c.connection});
    backend_.set_response(closing);
    ASSERT_TRUE(backend_.start());
    // Pooled connections would live for minutes, and a wrongly reused one
    // gets no answer: a short server timeout turns that into a quick 504.
    ASSERT_TRUE(start_gantry(write_proxy_config(
        {backend_.address()}, "\n[timeouts]\nupstream_idle = \"5m\"\nserver = \"3s\"\n")));
  }

  // Waits (generously; this is not a timing check) until gantry has closed
  // every connection the backend still holds open.
  bool backend_connections_closed() {
    for (int i = 0; i < 500; ++i) {
      if (backend_.open_connection_count() == 0) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  RecordingBackend backend_;
};

TEST_P(UpstreamConnectionCloseTest, NextRequestGoesOnANewConnection) {
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get_request("/r" + std::to_string(i)))) << i;
    ReadResult r = c.read_response();
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << to_string(r.status);
    EXPECT_EQ(r.response.status, 200) << "request " << i;
    EXPECT_EQ(r.response.body, "closing") << "request " << i;
  }
  // The client's connection was never the one closing.
  EXPECT_FALSE(c.peer_closed());

  EXPECT_EQ(backend_.bytes_after_close(), "")
      << "gantry sent a request on a connection the server had announced it closes";
  EXPECT_EQ(backend_.connection_count(), 3u);
  std::vector<RecordedRequest> reqs = backend_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(reqs[i].connection, i + 1) << reqs[i].target;
  EXPECT_TRUE(backend_connections_closed())
      << "gantry kept " << backend_.open_connection_count()
      << " connection(s) open after the server announced their close";
  EXPECT_TRUE(backend_.errors().empty());
}

TEST_P(UpstreamConnectionCloseTest, OtherClientsDoNotGetTheClosingConnection) {
  // One worker, one pool: the second client would get the pooled connection.
  for (int i = 0; i < 2; ++i) {
    ReadResult r = itest::exchange(port(), get_request("/c" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << "client " << i << ": " << to_string(r.status);
    EXPECT_EQ(r.response.status, 200) << "client " << i;
  }
  EXPECT_EQ(backend_.bytes_after_close(), "");
  EXPECT_EQ(backend_.connection_count(), 2u);
  // The second exchange started on a fresh connection: no "reused" flag.
  std::string line = gantry().access_line("/c1");
  ASSERT_FALSE(line.empty()) << gantry().stdout_text();
  EXPECT_EQ(line.find(" reused"), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(Spellings, UpstreamConnectionCloseTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CloseCase>& info) {
                           return std::string(info.param.name);
                         });

// The control: without the announcement the connection is pooled and reused,
// so the tests above would see it if gantry ignored the announcement.
class UpstreamKeepAliveControlTest : public IntegrationTest {};

TEST_F(UpstreamKeepAliveControlTest, KeepAliveAnswersShareOneConnection) {
  RecordingBackend backend;
  ScriptedResponse open;
  open.body = "open";
  open.hold_open_after_close = true;  // has no effect: nothing closes
  backend.set_response(open);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_proxy_config({backend.address()})));
  for (int i = 0; i < 3; ++i) {
    ReadResult r = itest::exchange(port(), get_request("/k" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << to_string(r.status);
  }
  EXPECT_EQ(backend.connection_count(), 1u);
  EXPECT_EQ(backend.request_count(), 3u);
  EXPECT_EQ(backend.bytes_after_close(), "");
}

}  // namespace
}  // namespace gantry::itest
