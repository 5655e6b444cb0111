// The bucket arithmetic with a fake clock, then ratelimit.so loaded the way
// gantry loads it and driven through the SDK's mock host.
//   usage: ratelimit_test path/to/ratelimit.so
#include <gantry/mock_host.hpp>

#include <cstdio>
#include <string>

#include "token_bucket.h"

using gantry::testing::LoadedModule;
using gantry::testing::MockCfg;
using gantry::testing::MockConn;
using gantry::testing::MockHost;
using gantry::testing::MockStream;

namespace {

int g_failures = 0;
#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                                  \
    }                                                                                \
  } while (0)

const gantry_module_desc_t* g_desc = nullptr;

ratelimit::Address addr(uint8_t last) {
  ratelimit::Address a{};
  a[15] = last;
  return a;
}

void test_bucket_burst_then_refill() {
  ratelimit::Limiter l(2.0, 3.0);  // 2/s, burst 3
  int64_t t = 1000000;
  CHECK(l.take(addr(1), t) == 0);
  CHECK(l.take(addr(1), t) == 0);
  CHECK(l.take(addr(1), t) == 0);
  CHECK(l.take(addr(1), t) == 1);          // empty: next token in 0.5 s -> "1"
  CHECK(l.take(addr(2), t) == 0);          // another client has its own bucket
  CHECK(l.take(addr(1), t + 500000) == 0);  // half a second = one token back
  CHECK(l.take(addr(1), t + 500000) == 1);
  CHECK(l.take(addr(1), t + 10000000) == 0);  // refills, but never above burst:
  CHECK(l.take(addr(1), t + 10000000) == 0);
  CHECK(l.take(addr(1), t + 10000000) == 0);
  CHECK(l.take(addr(1), t + 10000000) == 1);
}

void test_bucket_retry_after_rounds_up() {
  ratelimit::Limiter l(0.1, 1.0);  // one request per 10 s
  CHECK(l.take(addr(1), 0) == 0);
  CHECK(l.take(addr(1), 0) == 10);
  CHECK(l.take(addr(1), 2500000) == 8);  // 7.5 s left -> 8
}

void test_bucket_sweeps_full_buckets() {
  ratelimit::Limiter l(1.0, 1.0);
  for (size_t i = 0; i <= ratelimit::Limiter::kSweepAbove; ++i) {
    ratelimit::Address a{};
    a[12] = static_cast<uint8_t>(i >> 8);
    a[13] = static_cast<uint8_t>(i);
    l.take(a, 0);
  }
  CHECK(l.clients() == ratelimit::Limiter::kSweepAbove + 1);
  l.take(addr(1), 5000000);  // all refilled 5 s later: swept
  CHECK(l.clients() == 1);
}

struct Instance {
  MockHost host;
  void* inst = nullptr;
  explicit Instance(const MockCfg& cfg, uint32_t workers = 1) {
    host.workers = workers;
    host.worker = -1;  // instance_new runs on the main thread
    CHECK(host.instance_new(*g_desc, cfg, &inst) == GANTRY_OK);
    host.worker = 0;
  }
  ~Instance() {
    if (inst != nullptr) g_desc->hooks->instance_free(inst);
  }
  gantry_action_t request(MockConn* conn, MockStream* s) {
    s->conn = conn;
    void* ctx = nullptr;
    return g_desc->hooks->on_request_headers(inst, s->raw(), nullptr, &ctx);
  }
};

void test_module_descriptor() {
  CHECK(std::string(g_desc->name) == "ratelimit");
  CHECK(g_desc->struct_size == sizeof(gantry_module_desc_t));
  CHECK(g_desc->abi_major == GANTRY_ABI_MAJOR && g_desc->abi_minor == GANTRY_ABI_MINOR);
  CHECK(g_desc->hooks->struct_size == sizeof(gantry_hooks_t));
  CHECK(g_desc->hooks->on_request_headers != nullptr);
  CHECK(g_desc->hooks->on_response_headers == nullptr);
  CHECK(g_desc->hooks->on_log == nullptr);
  CHECK(std::string(g_desc->config_keys[0].name) == "rate" && g_desc->config_keys[0].required);
  CHECK(std::string(g_desc->config_keys[1].name) == "burst" && !g_desc->config_keys[1].required);
  CHECK(g_desc->config_keys[2].name == nullptr);
}

void test_module_answers_429_after_burst() {
  // A rate so low that no token comes back while the test runs.
  Instance m(MockCfg::table({{"rate", MockCfg::number(0.001)}, {"burst", MockCfg::integer(2)}}));
  MockConn alice("192.0.2.10"), bob("2001:db8::1");
  MockStream s1, s2, s3, s4;
  CHECK(m.request(&alice, &s1) == GANTRY_CONTINUE);
  CHECK(m.request(&alice, &s2) == GANTRY_CONTINUE);
  CHECK(m.request(&alice, &s3) == GANTRY_DONE);
  CHECK(s3.responded_status == 429);
  const std::string* retry = s3.responded_header("retry-after");
  CHECK(retry != nullptr && std::stoul(*retry) >= 999);
  CHECK(s3.log_notes.size() == 1 && s3.log_notes[0].second == "limited");
  CHECK(s1.responded_status == 0 && s2.responded_status == 0);
  CHECK(m.request(&bob, &s4) == GANTRY_CONTINUE);  // another address, its own bucket
  CHECK(m.host.metric("ratelimit_limited_total") == 1);  // the one 429, as a host metric
}

void test_module_buckets_are_per_worker() {
  Instance m(MockCfg::table({{"rate", MockCfg::number(0.001)}, {"burst", MockCfg::integer(1)}}), 2);
  MockConn c("198.51.100.7");
  MockStream a, b, d;
  m.host.worker = 0;
  CHECK(m.request(&c, &a) == GANTRY_CONTINUE);
  CHECK(m.request(&c, &b) == GANTRY_DONE);
  m.host.worker = 1;  // a connection on another worker: that worker's bucket
  CHECK(m.request(&c, &d) == GANTRY_CONTINUE);
}

void test_module_burst_defaults_to_rate() {
  Instance m(MockCfg::table({{"rate", MockCfg::integer(3)}}));  // integer rate is accepted
  MockConn c;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    MockStream s;
    allowed += m.request(&c, &s) == GANTRY_CONTINUE ? 1 : 0;
  }
  CHECK(allowed >= 3 && allowed <= 4);  // 3 from the bucket, maybe 1 refilled
}

void test_module_rejects_bad_config() {
  struct Case {
    MockCfg cfg;
    const char* needle;
  };
  Case cases[] = {
      {MockCfg::table({{"rate", MockCfg::number(0).at_line(5)}}), "positive"},
      {MockCfg::table({{"rate", MockCfg::number(-1).at_line(5)}}), "positive"},
      {MockCfg::table({{"rate", MockCfg::string("fast").at_line(5)}}), "expected a number"},
      {MockCfg::table({{"rate", MockCfg::integer(1)}, {"burst", MockCfg::integer(0).at_line(5)}}),
       "between 1 and"},
  };
  for (const Case& c : cases) {
    MockHost host;
    void* inst = nullptr;
    CHECK(host.instance_new(*g_desc, c.cfg, &inst) == GANTRY_ERR_INVAL);
    CHECK(inst == nullptr);
    CHECK(host.errors.size() == 1 && host.errors[0].line == 5);
    CHECK(!host.errors.empty() && host.errors[0].msg.find(c.needle) != std::string::npos);
  }
  MockHost host;  // required key missing (the real host refuses it earlier)
  void* inst = nullptr;
  CHECK(host.instance_new(*g_desc, MockCfg::table(), &inst) != GANTRY_OK);
  CHECK(host.errors.size() == 1 && host.errors[0].msg.find("missing") != std::string::npos);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ratelimit.so\n", argv[0]);
    return 2;
  }
  test_bucket_burst_then_refill();
  test_bucket_retry_after_rounds_up();
  test_bucket_sweeps_full_buckets();
  try {
    g_desc = LoadedModule::open(argv[1]).desc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  test_module_descriptor();
  test_module_answers_429_after_burst();
  test_module_buckets_are_per_worker();
  test_module_burst_defaults_to_rate();
  test_module_rejects_bad_config();
  if (g_failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("ratelimit: all checks passed\n");
  return 0;
}
