// The 1.0 layout, checked by a C++ compiler against the current header; the
// checks are static_asserts, so building this test is the test. At run time
// it confirms the C and C++ views of the descriptor agree.
#include "layout_v1_2.h"

#include <cstdio>

extern "C" int gantry_layout_check_c(void);
extern "C" int gantry_layout_check_frozen(void);

int main() {
  if (gantry_layout_check_c() != static_cast<int>(sizeof(gantry_module_desc_t))) {
    std::fprintf(stderr, "C and C++ disagree on sizeof(gantry_module_desc_t)\n");
    return 1;
  }
  if (gantry_layout_check_frozen() != 0) {
    std::fprintf(stderr, "the frozen header is not ABI 1.0\n");
    return 1;
  }
  std::printf("module ABI 1.0 layout holds (C, C++, frozen header)\n");
  return 0;
}
