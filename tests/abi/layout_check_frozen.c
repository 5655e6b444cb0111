/* The 1.0 layout, checked against the frozen 1.0 header (tests/abi/frozen/1.0):
 * proves layout_v1_0.h describes what was released. */
#include "layout_v1_0.h"

int gantry_layout_check_frozen(void);
int gantry_layout_check_frozen(void) { return GANTRY_ABI_MINOR; }
