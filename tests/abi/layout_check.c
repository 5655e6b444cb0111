/* The 1.0 layout, checked by a C compiler against the current header. */
#include "layout_v1_2.h"

int gantry_layout_check_c(void);
int gantry_layout_check_c(void) { return (int)sizeof(gantry_module_desc_t); }
