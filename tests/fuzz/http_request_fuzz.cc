// libFuzzer target: the request parser as the client side of the proxy uses
// it (limits on, pipelined requests, arbitrary read boundaries).
#include <cstddef>
#include <cstdint>

#include "http_fuzz_driver.h"

namespace {
const bool kNamed = (gantry::fuzz::set_target_name("http_request"), true);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::run_parser(/*is_request=*/true, data, size);
  return 0;
}
