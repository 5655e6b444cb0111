/*
 * What ABI 1.1 appended, on LP64: members after the 1.0 ends of the host
 * table and the hook table (layout_v1_0.h keeps the 1.0 offsets). Checked
 * against the current header by the same C and C++ translation units.
 */
#ifndef GANTRY_TESTS_ABI_LAYOUT_V1_1_H
#define GANTRY_TESTS_ABI_LAYOUT_V1_1_H

#include "layout_v1_0.h"

GANTRY_LAYOUT(GANTRY_ABI_MINOR >= 1);

GANTRY_LAYOUT(offsetof(gantry_host_api_t, backend_index) == 408);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, route_to_index) == 416);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, tunnel_send) == 424);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, check_only) == 432);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, metric_register) == 440);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, metric_add) == 448);
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 1 ? sizeof(gantry_host_api_t) >= 456 : sizeof(gantry_host_api_t) == 456);

GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_listening) == 128);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_upgrade2) == 136);
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 1 ? sizeof(gantry_hooks_t) >= 144 : sizeof(gantry_hooks_t) == 144);

#endif /* GANTRY_TESTS_ABI_LAYOUT_V1_1_H */
