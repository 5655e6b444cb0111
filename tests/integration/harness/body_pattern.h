#pragma once
// Deterministic test bodies and their digests, so large transfers can be
// checked byte for byte without keeping a second copy around.
#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::itest {

// `len` bytes of the pattern starting at `offset` (same bytes whatever the
// split). The pattern covers all 256 byte values and never repeats with a
// short period, so reordered or dropped pieces change the digest.
std::string pattern_bytes(uint64_t offset, size_t len, uint32_t seed = 1);

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

// SHA-256 of pattern_bytes(0, total, seed), computed in pieces.
std::string pattern_sha256(uint64_t total, uint32_t seed = 1);

}  // namespace gantry::itest
