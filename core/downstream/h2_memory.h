#pragma once
// The allocator gantry's nghttp2 sessions use.
//
// Every session allocates a 16 KiB frame buffer when it is made
// (NGHTTP2_FRAMEBUF_CHUNKLEN) and keeps it for life, though an idle
// connection has written a few bytes of it. From the malloc heap it lands
// on pages that TLS records and bodies dirtied before, so each idle HTTP/2
// connection held those 16 KiB resident. Blocks that large get a mapping of
// their own instead: only the pages nghttp2 writes become resident. Smaller
// blocks stay on malloc.
#include <nghttp2/nghttp2.h>

namespace gantry::downstream {

nghttp2_mem* h2_memory();

}  // namespace gantry::downstream
