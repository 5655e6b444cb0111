// Backends failing under load: retries to another server, what is never
// replayed, retries on named statuses, and a failing server's warnings
// collapsed.
#include <gtest/gtest.h>
#include <signal.h>

#include <strings.h>

#include <atomic>
#include <map>
#include <set>
#include <regex>
#include <thread>

#include "harness/harness.h"
#include "harness/nginx_backend.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

class ResilienceTest : public IntegrationTest {
 protected:
  std::string config(const std::vector<std::string>& servers, const std::string& backend_extra,
                     int workers = 2) {
    std::string list;
    for (const auto& s : servers) list += (list.empty() ? "\"" : ", \"") + s + "\"";
    return write_config("workers = " + std::to_string(workers) +
                        "\nmodules_dir = \"{{MODULES_DIR}}\"\n"
                        "\n[log]\naccess = \"stdout\"\nlevel = \"info\"\n"
                        "\n[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
                        "\n[[backend]]\nname = \"web\"\nservers = [" +
                        list + "]\n" + backend_extra);
  }
  std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
};

// One number out of wrk's report, 0 when the line is absent (wrk prints
// "Non-2xx" and "Socket errors" only when there were some).
long wrk_number(const std::string& out, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(pattern))) return 0;
  return std::stol(m[1].str());
}

TEST_F(ResilienceTest, NoGetFailsWhenOneOfTwoBackendsIsKilledUnderLoad) {
  GANTRY_REQUIRE_TOOL("wrk", "wrk");
  NginxBackend a(tmp().file("nginx_a"));
  NginxBackend b(tmp().file("nginx_b"));
  for (NginxBackend* n : {&a, &b}) n->add_return("/ok", 200, "fine");
  ASSERT_TRUE(a.start()) << a.error_log();
  ASSERT_TRUE(b.start()) << b.error_log();
  ASSERT_TRUE(start_gantry(config({a.address(), b.address()},
                                  "[backend.health]\npath = \"/ok\"\ninterval = \"1s\"\n")));

  RunResult load;
  std::thread wrk([&] {
    load = run_command({"wrk", "-t2", "-c16", "-d4s", url("/ok")}, tmp().path(),
                       milliseconds(60000));
  });
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_EQ(::kill(a.pid(), SIGKILL), 0);
  wrk.join();
  ASSERT_TRUE(load.status.ok()) << load.out << load.err;
  long requests = wrk_number(load.out, R"((\d+) requests in)");
  EXPECT_GT(requests, 0) << load.out;
  EXPECT_EQ(wrk_number(load.out, R"(Non-2xx or 3xx responses: (\d+))"), 0) << load.out;
  EXPECT_EQ(wrk_number(load.out, R"(Socket errors: connect (\d+))"), 0) << load.out;
  EXPECT_EQ(wrk_number(load.out, R"(Socket errors: connect \d+, read (\d+))"), 0) << load.out;
  EXPECT_EQ(wrk_number(load.out, R"(Socket errors: connect \d+, read \d+, write (\d+))"), 0)
      << load.out;
  EXPECT_EQ(wrk_number(load.out, R"(timeout (\d+))"), 0) << load.out;
  EXPECT_EQ(gantry().output().find(" 502 "), std::string::npos);
}

// A backend that reads a request and closes without answering.
std::unique_ptr<RecordingBackend> closing_backend() {
  auto b = std::make_unique<RecordingBackend>();
  ScriptedResponse drop;
  drop.close_immediately = true;
  b->set_response(drop);
  return b;
}

std::string post_request(size_t body_size) {
  return "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body_size) +
         "\r\n\r\n" + std::string(body_size, 'p');
}

size_t posts(const RecordingBackend& b) {
  size_t n = 0;
  for (const auto& r : b.requests()) n += r.method == "POST";
  return n;
}

TEST_F(ResilienceTest, PostOverTheRetryBufferIs502AndSentOnce) {
  auto dead = closing_backend();
  ASSERT_TRUE(dead->start());
  RecordingBackend live;
  ASSERT_TRUE(live.start());
  // The closing server first: a single worker's round robin starts there.
  ASSERT_TRUE(start_gantry(config({dead->address(), live.address()},
                                  "retry_buffer = \"1k\"\nretries = 3\n", 1)));
  auto r = exchange(port(), post_request(8192), milliseconds(10000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 502);
  EXPECT_EQ(posts(*dead), 1u);
  EXPECT_EQ(posts(live), 0u);
}

TEST_F(ResilienceTest, PostWithinTheRetryBufferIsReplayedOnAnotherServer) {
  auto dead = closing_backend();
  ASSERT_TRUE(dead->start());
  RecordingBackend live;
  ASSERT_TRUE(live.start());
  ASSERT_TRUE(start_gantry(config({dead->address(), live.address()},
                                  "retry_buffer = \"16k\"\nretries = 3\n", 1)));
  auto r = exchange(port(), post_request(8192), milliseconds(10000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(posts(*dead), 1u);
  ASSERT_EQ(posts(live), 1u);
  EXPECT_EQ(live.requests().back().body, std::string(8192, 'p'));
}

TEST_F(ResilienceTest, OnlyServerIsRetriedOnANewConnection) {
  auto dead = closing_backend();
  ASSERT_TRUE(dead->start());
  ASSERT_TRUE(start_gantry(config({dead->address()}, "retries = 2\n", 1)));
  auto r = exchange(port(), get_request("/"), milliseconds(10000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 502);
  EXPECT_EQ(dead->request_count(), 3u);
}

TEST_F(ResilienceTest, NamedStatusIsRetriedElsewhere) {
  RecordingBackend busy;
  ScriptedResponse unavailable;
  unavailable.status = 503;
  unavailable.body = "busy";
  busy.set_response(unavailable);
  ASSERT_TRUE(busy.start());
  RecordingBackend live;
  ASSERT_TRUE(live.start());
  ASSERT_TRUE(start_gantry(
      config({busy.address(), live.address()}, "retry_on = [\"connect-failure\", \"503\"]\n", 1)));
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/page"), milliseconds(10000));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 200) << "request " << i;
  }
  EXPECT_GE(busy.request_count(), 1u);
}

TEST_F(ResilienceTest, StatusNotNamedIsPassedOn) {
  RecordingBackend busy;
  ScriptedResponse unavailable;
  unavailable.status = 503;
  unavailable.body = "busy";
  busy.set_response(unavailable);
  ASSERT_TRUE(busy.start());
  ASSERT_TRUE(start_gantry(config({busy.address()}, "", 1)));
  auto r = exchange(port(), get_request("/page"), milliseconds(10000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 503);
  EXPECT_EQ(r.response.body, "busy");
  EXPECT_EQ(busy.request_count(), 1u);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(ResilienceTest, RefusedConnectsAreRetriedAndTheirWarningsCollapsed) {
  uint16_t nothing = free_port();
  RecordingBackend live;
  ASSERT_TRUE(live.start());
  ASSERT_TRUE(start_gantry(
      config({"127.0.0.1:" + std::to_string(nothing), live.address()},
             "[backend.outlier]\nconsecutive_5xx = 0\n", 1)));  // never ejected: it keeps failing
  const int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    auto r = exchange(port(), get_request("/n"), milliseconds(10000));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    ASSERT_EQ(r.response.status, 200) << "request " << i;
  }
  ASSERT_TRUE(gantry().wait_for_output("connect failed"));
  std::string out = gantry().output();
  // Half the requests were sent to the refusing server first; its warnings
  // come one a second at most, so far fewer lines than failures.
  size_t lines = count(out, "connect failed");
  EXPECT_GE(lines, 1u);
  EXPECT_LT(lines, static_cast<size_t>(kRequests / 4)) << out;
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

size_t page_requests(const RecordingBackend& b) {
  size_t n = 0;
  for (const auto& r : b.requests()) n += r.target == "/page";
  return n;
}

TEST_F(ResilienceTest, EjectedServerGetsNoRequestsUntilItsEjectionEnds) {
  RecordingBackend failing;
  ScriptedResponse error;
  error.status = 500;
  failing.set_response(error);
  ASSERT_TRUE(failing.start());
  RecordingBackend live;
  ASSERT_TRUE(live.start());
  ASSERT_TRUE(start_gantry(config({failing.address(), live.address()},
                                  "[backend.outlier]\nconsecutive_5xx = 3\n"
                                  "base_ejection_time = \"2s\"\nmax_ejection_percent = 50\n",
                                  1)));
  // Round robin alternates: the failing server answers 500 three times.
  int errors = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/page"), milliseconds(10000));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    errors += r.response.status == 500;
  }
  EXPECT_EQ(errors, 3);
  ASSERT_TRUE(gantry().wait_for_output("ejected for 2000ms"));
  const size_t seen = page_requests(failing);
  for (int i = 0; i < 20; ++i) {
    auto r = exchange(port(), get_request("/page"), milliseconds(10000));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 200) << "request " << i << " during the ejection";
  }
  // The 20 requests take far less than the 2 s ejection; had they not, the
  // return line would be in the log before the check below.
  if (gantry().output().find("returns from ejection") == std::string::npos) {
    EXPECT_EQ(page_requests(failing), seen);
  }
  // Once its time is over it is picked again, and the return is logged.
  auto deadline = std::chrono::steady_clock::now() + milliseconds(20000);
  while (page_requests(failing) == seen && std::chrono::steady_clock::now() < deadline) {
    auto r = exchange(port(), get_request("/page"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_GT(page_requests(failing), seen);
  EXPECT_TRUE(gantry().wait_for_output("returns from ejection: ejection time over"));
}

TEST_F(ResilienceTest, LoneServerIsNotEjected) {
  RecordingBackend failing;
  ScriptedResponse error;
  error.status = 500;
  failing.set_response(error);
  ASSERT_TRUE(failing.start());
  ASSERT_TRUE(start_gantry(config({failing.address()}, "[backend.outlier]\nconsecutive_5xx = 2\n", 1)));
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/page"), milliseconds(10000));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 500);
  }
  EXPECT_EQ(page_requests(failing), 6u);
  EXPECT_EQ(gantry().output().find("ejected for"), std::string::npos);
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

TEST_F(ResilienceTest, StuckServerBehindAFullQueueGives503WithRetryAfter) {
  RecordingBackend stuck;
  ScriptedResponse slow;
  slow.delay = milliseconds(3000);
  stuck.set_response(slow);
  ASSERT_TRUE(stuck.start());
  ASSERT_TRUE(start_gantry(config({stuck.address()},
                                  "max_connections = 1\nmax_queue = 1\n"
                                  "queue_timeout = \"300ms\"\n",
                                  1)));
  ReadResult first;
  std::thread holder([&] { first = exchange(port(), get_request("/hold"), milliseconds(20000)); });
  auto deadline = std::chrono::steady_clock::now() + milliseconds(10000);
  while (stuck.request_count() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(stuck.request_count(), 1u);
  // The server's one slot is taken: one request waits in the queue until its
  // timeout, the other finds the queue full. Neither hangs.
  ReadResult waiting, refused;
  std::thread a([&] { waiting = exchange(port(), get_request("/a"), milliseconds(20000)); });
  std::thread b([&] { refused = exchange(port(), get_request("/b"), milliseconds(20000)); });
  a.join();
  b.join();
  for (const ReadResult* r : {&waiting, &refused}) {
    ASSERT_TRUE(r->ok()) << to_string(r->status);
    EXPECT_EQ(r->response.status, 503);
    EXPECT_EQ(r->response.header("Retry-After"), "1");
  }
  holder.join();
  ASSERT_TRUE(first.ok()) << to_string(first.status);
  EXPECT_EQ(first.response.status, 200);
  EXPECT_EQ(stuck.request_count(), 1u);
  EXPECT_NE(gantry().access_line("/a").find("queue_timeout"), std::string::npos);
  EXPECT_NE(gantry().access_line("/b").find("queue_timeout"), std::string::npos);
  // The slot is free again: the next request is served.
  ScriptedResponse quick;
  stuck.set_response(quick);
  auto after = exchange(port(), get_request("/after"), milliseconds(10000));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.response.status, 200);
}

TEST_F(ResilienceTest, QueuedRequestGetsTheSlotWhenItFrees) {
  RecordingBackend slowish;
  ScriptedResponse slow;
  slow.delay = milliseconds(300);
  slowish.set_response(slow);
  ASSERT_TRUE(slowish.start());
  ASSERT_TRUE(start_gantry(config({slowish.address()},
                                  "max_connections = 1\nqueue_timeout = \"20s\"\n", 1)));
  std::vector<ReadResult> results(4);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < results.size(); ++i)
    clients.emplace_back([&, i] { results[i] = exchange(port(), get_request("/q"), milliseconds(30000)); });
  for (auto& t : clients) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
  }
  EXPECT_EQ(slowish.request_count(), 4u);
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

std::string server_table(const std::string& address, bool backup) {
  return "{ address = \"" + address + "\"" + (backup ? ", backup = true" : "") + " }";
}

TEST_F(ResilienceTest, LeastconnSendsNewRequestsAwayFromABusyServer) {
  RecordingBackend slow;
  ScriptedResponse late;
  late.delay = milliseconds(1500);
  slow.set_response(late);
  ASSERT_TRUE(slow.start());
  RecordingBackend fast;
  ASSERT_TRUE(fast.start());
  ASSERT_TRUE(start_gantry(config({slow.address(), fast.address()}, "balance = \"leastconn\"\n", 1)));
  // The first pick, with both idle, is the first server: the slow one.
  ReadResult held;
  std::thread holder([&] { held = exchange(port(), get_request("/held"), milliseconds(20000)); });
  auto deadline = std::chrono::steady_clock::now() + milliseconds(10000);
  while (slow.request_count() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(slow.request_count(), 1u);
  for (int i = 0; i < 5; ++i) {
    auto r = exchange(port(), get_request("/n"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200);
  }
  // Round robin would have sent two or three of them to the busy server.
  EXPECT_EQ(slow.request_count(), 1u);
  EXPECT_EQ(fast.request_count(), 5u);
  holder.join();
  EXPECT_EQ(held.response.status, 200);
}

TEST_F(ResilienceTest, RandomSpreadsOverServers) {
  RecordingBackend a, b;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(start_gantry(config({a.address(), b.address()}, "balance = \"random\"\n", 1)));
  for (int i = 0; i < 40; ++i) {
    auto r = exchange(port(), get_request("/r"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200);
  }
  EXPECT_GE(a.request_count(), 1u);
  EXPECT_GE(b.request_count(), 1u);
  EXPECT_EQ(a.request_count() + b.request_count(), 40u);
}

TEST_F(ResilienceTest, BackupServerTakesRequestsOnlyWhenNoPrimaryCan) {
  RecordingBackend primary, backup;
  ASSERT_TRUE(primary.start());
  ASSERT_TRUE(backup.start());
  std::string servers = server_table(primary.address(), false) + ", " +
                        server_table(backup.address(), true);
  ASSERT_TRUE(start_gantry(write_config(
      "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n[log]\naccess = \"stdout\"\n"
      "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
      "[[backend]]\nname = \"web\"\nservers = [" + servers + "]\n")));
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/p"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200);
  }
  EXPECT_EQ(primary.request_count(), 6u);
  EXPECT_EQ(backup.request_count(), 0u);
  primary.stop();
  for (int i = 0; i < 6; ++i) {
    auto r = exchange(port(), get_request("/p"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200) << "request " << i << " with the primary gone";
  }
  EXPECT_EQ(backup.request_count(), 6u);
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

std::vector<std::string> set_cookies(const HttpMessage& m) {
  std::vector<std::string> out;
  for (const auto& [name, value] : m.headers)
    if (strcasecmp(name.c_str(), "Set-Cookie") == 0) out.push_back(value);
  return out;
}

TEST_F(ResilienceTest, ClientPinnedToAFailingServerGoesElsewhereWithANewCookie) {
  RecordingBackend alpha, beta;
  ASSERT_TRUE(alpha.start());
  ASSERT_TRUE(beta.start());
  ASSERT_TRUE(start_gantry(write_config(
      "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n[log]\naccess = \"stdout\"\n"
      "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
      "[[backend]]\nname = \"web\"\nbalance = \"cookie\"\nservers = [{ address = \"" +
      alpha.address() + "\", name = \"alpha\" }, { address = \"" + beta.address() +
      "\", name = \"beta\" }]\n")));
  auto pinned = exchange(port(), get_request("/p", "localhost", "Cookie: GANTRYSRV=alpha\r\n"));
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned.response.status, 200);
  EXPECT_EQ(alpha.request_count(), 1u);
  EXPECT_TRUE(set_cookies(pinned.response).empty());
  // alpha dies: no health check has noticed yet, so the pin still names it;
  // the refused connect is retried on beta, and the client learns beta.
  alpha.stop();
  auto moved = exchange(port(), get_request("/p", "localhost", "Cookie: GANTRYSRV=alpha\r\n"),
                        milliseconds(10000));
  ASSERT_TRUE(moved.ok()) << to_string(moved.status);
  EXPECT_EQ(moved.response.status, 200);
  EXPECT_EQ(beta.request_count(), 1u);
  auto cookies = set_cookies(moved.response);
  ASSERT_EQ(cookies.size(), 1u) << moved.response.raw_head;
  EXPECT_EQ(cookies[0].rfind("GANTRYSRV=beta", 0), 0u) << cookies[0];
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

TEST_F(ResilienceTest, ServerBackFromEjectionRampsUpUnderSlowStart) {
  RecordingBackend flaky, steady;
  std::atomic<bool> broken{true};
  flaky.set_handler([&](const RecordedRequest&) {
    ScriptedResponse r;
    if (broken) r.status = 500;
    return r;
  });
  ASSERT_TRUE(flaky.start());
  ASSERT_TRUE(steady.start());
  ASSERT_TRUE(start_gantry(config({flaky.address(), steady.address()},
                                  "slow_start = \"60s\"\n[backend.outlier]\nconsecutive_5xx = 2\n"
                                  "base_ejection_time = \"1s\"\n",
                                  1)));
  for (int i = 0; i < 4; ++i) exchange(port(), get_request("/x"), milliseconds(10000));
  ASSERT_TRUE(gantry().wait_for_output("ejected for 1000ms"));
  broken = false;
  // Wait out the ejection, then look at the share the returning server gets.
  auto deadline = std::chrono::steady_clock::now() + milliseconds(20000);
  while (gantry().output().find("returns from ejection") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    exchange(port(), get_request("/wait"), milliseconds(10000));
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_NE(gantry().output().find("returns from ejection"), std::string::npos);
  size_t before = flaky.request_count();
  for (int i = 0; i < 40; ++i) {
    auto r = exchange(port(), get_request("/after"), milliseconds(10000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.response.status, 200);
  }
  // Seconds into a 60 s ramp its weight is a few percent of the other's;
  // without slow_start it would take half of the 40.
  EXPECT_LE(flaky.request_count() - before, 4u);
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

TEST_F(ResilienceTest, HashOnAHeaderKeepsEachValueOnOneServer) {
  RecordingBackend s1, s2, s3;
  for (RecordingBackend* s : {&s1, &s2, &s3}) ASSERT_TRUE(s->start());
  ASSERT_TRUE(start_gantry(config({s1.address(), s2.address(), s3.address()},
                                  "balance = \"hash\"\nhash_key = \"header:X-User\"\n", 2)));
  for (int round = 0; round < 3; ++round) {
    for (int u = 0; u < 12; ++u) {
      auto r = exchange(port(), get_request("/h", "localhost", "X-User: user" + std::to_string(u) + "\r\n"),
                        milliseconds(10000));
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r.response.status, 200);
    }
  }
  std::map<std::string, std::set<int>> where;  // user -> servers that saw it
  int idx = 0;
  int used = 0;
  for (RecordingBackend* s : {&s1, &s2, &s3}) {
    ++idx;
    used += s->request_count() > 0;
    for (const auto& q : s->requests()) where[q.header("X-User")].insert(idx);
  }
  EXPECT_EQ(where.size(), 12u);
  for (const auto& [user, servers] : where) EXPECT_EQ(servers.size(), 1u) << user;
  EXPECT_GE(used, 2);
}

}  // namespace
}  // namespace gantry::itest

namespace gantry::itest {
namespace {

TEST_F(ResilienceTest, SlowAttemptPastPerTryIsRetriedElsewhere) {
  RecordingBackend slow, fast;
  ScriptedResponse late;
  late.delay = milliseconds(3000);
  slow.set_response(late);
  ASSERT_TRUE(slow.start());
  ASSERT_TRUE(fast.start());
  ASSERT_TRUE(start_gantry(config({slow.address(), fast.address()},
                                  "retry_on = [\"connect-failure\", \"response-timeout\"]\n"
                                  "[timeouts]\nper_try = \"300ms\"\n",
                                  1)));
  // Round robin starts on the slow server: its attempt times out, the fast
  // one answers.
  auto r = exchange(port(), get_request("/t"), milliseconds(20000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(slow.request_count(), 1u);
  EXPECT_EQ(fast.request_count(), 1u);
  EXPECT_NE(gantry().access_line("/t").find("retries=1"), std::string::npos);
}

TEST_F(ResilienceTest, RequestDeadlineAnswers504) {
  RecordingBackend slow;
  ScriptedResponse late;
  late.delay = milliseconds(3000);
  slow.set_response(late);
  ASSERT_TRUE(slow.start());
  ASSERT_TRUE(start_gantry(config({slow.address()}, "[timeouts]\nrequest = \"400ms\"\n", 1)));
  auto r = exchange(port(), get_request("/d"), milliseconds(20000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 504);
  EXPECT_NE(gantry().access_line("/d").find("deadline"), std::string::npos);
}

}  // namespace
}  // namespace gantry::itest
