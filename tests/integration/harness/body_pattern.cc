#include "harness/body_pattern.h"

#include <openssl/evp.h>

#include <memory>

namespace gantry::itest {
namespace {

uint8_t pattern_byte(uint64_t i, uint32_t seed) {
  // A cheap integer hash of the position: no short period, all byte values.
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(seed) << 32);
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<uint8_t>(x);
}

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

}  // namespace

std::string pattern_bytes(uint64_t offset, size_t len, uint32_t seed) {
  std::string out(len, '\0');
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<char>(pattern_byte(offset + i, seed));
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex(md, n);
}

std::string pattern_sha256(uint64_t total, uint32_t seed) {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  const size_t kPiece = 1 << 20;
  for (uint64_t off = 0; off < total; off += kPiece) {
    size_t n = total - off < kPiece ? static_cast<size_t>(total - off) : kPiece;
    std::string piece = pattern_bytes(off, n, seed);
    EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  return to_hex(md, n);
}

}  // namespace gantry::itest
