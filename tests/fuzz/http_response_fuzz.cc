// libFuzzer target: the response parser as the upstream side of the proxy
// uses it (interim responses, HEAD responses, read-until-close bodies ended
// by finish()).
#include <cstddef>
#include <cstdint>

#include "http_fuzz_driver.h"

namespace {
const bool kNamed = (gantry::fuzz::set_target_name("http_response"), true);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::run_parser(/*is_request=*/false, data, size);
  return 0;
}
