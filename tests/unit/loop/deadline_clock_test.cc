// DeadlineClock on a real libuv loop: deadlines expire in order, re-arming
// pushes one back, disarming takes it off, and the clock stops ticking (the
// loop can end) once nothing is armed.
#include "loop/deadline_clock.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <vector>

namespace gantry::loop {
namespace {

void on_expire(DeadlineClock::Entry* e);

struct Tunnel : DeadlineClock::Entry {
  Tunnel() : Entry(on_expire) {}
  int id = 0;
  uint64_t expired_at = 0;
};

std::vector<int> g_order;
uv_loop_t* g_loop = nullptr;

void on_expire(DeadlineClock::Entry* e) {
  auto* t = static_cast<Tunnel*>(e);
  t->expired_at = uv_now(g_loop);
  g_order.push_back(t->id);
}

class DeadlineClockTest : public ::testing::Test {
 public:
  void rearm() { clock_.arm(rearm_target_, 100); }

 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    g_loop = &loop_;
    g_order.clear();
  }
  void TearDown() override {
    clock_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  uv_loop_t loop_;
  DeadlineClock clock_{&loop_};
  Tunnel* rearm_target_ = nullptr;
};

TEST_F(DeadlineClockTest, ExpiresInDeadlineOrderWithinATick) {
  Tunnel a, b, c;
  a.id = 1;
  b.id = 2;
  c.id = 3;
  uint64_t start = uv_now(&loop_);
  clock_.arm(&b, 200);
  clock_.arm(&a, 40);
  clock_.arm(&c, 400);
  EXPECT_EQ(clock_.armed(), 3u);
  uv_run(&loop_, UV_RUN_DEFAULT);  // ends once nothing is armed
  EXPECT_EQ(g_order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(clock_.armed(), 0u);
  // Never early. Late by a tick (10 ms here, a quarter of the shortest
  // timeout) plus scheduling: the bound only catches a clock ticking at its
  // 1 s maximum, and leaves a loaded machine plenty of room.
  EXPECT_GE(a.expired_at - start, 40u);
  EXPECT_LT(a.expired_at - start, 40u + 500u);
  EXPECT_GE(c.expired_at - start, 400u);
  EXPECT_LT(c.expired_at - start, 400u + 500u);
}

TEST_F(DeadlineClockTest, RearmingPushesTheDeadlineBack) {
  Tunnel a;
  a.id = 1;
  uint64_t start = uv_now(&loop_);
  clock_.arm(&a, 100);
  // Activity at 60 ms: the tunnel gets another 100 ms from then.
  uv_timer_t poke;
  uv_timer_init(&loop_, &poke);
  poke.data = this;
  uv_timer_start(&poke, [](uv_timer_t* t) {
    static_cast<DeadlineClockTest*>(t->data)->rearm();
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }, 60, 0);
  rearm_target_ = &a;
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_EQ(g_order, std::vector<int>{1});
  EXPECT_GE(a.expired_at - start, 160u);
}

TEST_F(DeadlineClockTest, DisarmedEntriesNeverExpire) {
  Tunnel a, b;
  a.id = 1;
  b.id = 2;
  clock_.arm(&a, 50);
  clock_.arm(&b, 80);
  clock_.disarm(&a);
  clock_.arm(&a, 0);  // 0 also disarms, and twice is harmless
  EXPECT_EQ(clock_.armed(), 1u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(g_order, std::vector<int>{2});
  EXPECT_EQ(a.deadline, 0u);
}

}  // namespace
}  // namespace gantry::loop
