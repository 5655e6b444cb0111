// ratelimit: a token bucket per client address, per worker; a client over
// its budget gets 429 Too Many Requests with Retry-After.
//
//   [[module]]
//   name = "ratelimit"
//   path = "ratelimit"
//   [module.config]
//   rate = 10      # requests per second per client address (per worker)
//   burst = 20     # bucket size; default: rate rounded up
//
// Buckets are per worker (gantry::PerWorker): no locks on the request path.
// Refusals are counted in gantry_ratelimit_limited_total{module="ratelimit"}
// at the admin listener's /metrics (a host metric, ABI 1.1).
// A client whose connections land on several workers gets up to
// workers x rate; run `workers = 1` where the limit must be exact.
#include <gantry/module.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "token_bucket.h"

namespace {

class RateLimit : public gantry::Module {
 public:
  static constexpr const char* kName = "ratelimit";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "token bucket per client address; answers 429";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_ROUTING;
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("rate", GANTRY_CFG_FLOAT, true, "requests per second per client address"),
      gantry::key("burst", GANTRY_CFG_INT, false, "bucket size (default: rate rounded up)"),
      gantry::keys_end()};

  RateLimit(gantry::Host host, gantry::Config config)
      : Module(host),
        limiters_(host, make_limiter(config)),
        limited_(host.metric_counter("ratelimit_limited_total",
                                     "Requests answered 429 because the client was over its rate.")) {}

  gantry_action_t on_request_headers(gantry::Request& req) {
    ratelimit::Address who;
    if (!client_address(req, &who)) return GANTRY_CONTINUE;  // not IP: nothing to key on
    uint32_t wait = limiters_.local().take(who, now_us());
    if (wait == 0) return GANTRY_CONTINUE;
    char retry[16];
    std::snprintf(retry, sizeof retry, "%u", wait);
    req.log_note("ratelimit", "limited");
    host().metric_add(limited_);
    req.respond(429, {{"retry-after", retry}, {"content-type", "text/plain"}},
                "Too Many Requests\n");
    return GANTRY_DONE;
  }

 private:
  static int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }

  static bool client_address(const gantry::Request& req, ratelimit::Address* out) {
    sockaddr_storage sa;
    if (!req.connection().address(GANTRY_ADDR_PEER, &sa, nullptr)) return false;
    if (sa.ss_family == AF_INET6) {
      std::memcpy(out->data(), &reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_addr, 16);
      return true;
    }
    if (sa.ss_family == AF_INET) {
      static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      std::memcpy(out->data(), kMapped, 12);
      std::memcpy(out->data() + 12, &reinterpret_cast<const sockaddr_in*>(&sa)->sin_addr, 4);
      return true;
    }
    return false;
  }

  // Config parsing, kept apart from the data path above.
  static ratelimit::Limiter make_limiter(const gantry::Config& config) {
    gantry::Config rate_node = config["rate"];
    double rate = rate_node.as_float();
    if (!(rate > 0) || !std::isfinite(rate)) rate_node.fail("rate must be a positive number");
    int64_t burst = static_cast<int64_t>(std::ceil(rate));
    if (gantry::Config b = config["burst"]) burst = b.as_int_in(1, 1000000);
    return ratelimit::Limiter(rate, static_cast<double>(burst));
  }

  gantry::PerWorker<ratelimit::Limiter> limiters_;
  int32_t limited_;  // metric id; -1 on a host without metrics
};

}  // namespace

GANTRY_CPP_MODULE(RateLimit)
