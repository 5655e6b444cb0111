/*
 * What ABI 1.2 appended, on LP64: metric_set after 1.1's end of the host
 * table (layout_v1_1.h keeps the 1.1 offsets). Checked against the current
 * header by the same C and C++ translation units.
 */
#ifndef GANTRY_TESTS_ABI_LAYOUT_V1_2_H
#define GANTRY_TESTS_ABI_LAYOUT_V1_2_H

#include "layout_v1_1.h"

GANTRY_LAYOUT(GANTRY_ABI_MINOR >= 2);

GANTRY_LAYOUT(offsetof(gantry_host_api_t, metric_set) == 456);
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 2 ? sizeof(gantry_host_api_t) >= 464 : sizeof(gantry_host_api_t) == 464);

#endif /* GANTRY_TESTS_ABI_LAYOUT_V1_2_H */
