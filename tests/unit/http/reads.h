#pragma once
// Test inputs cut into reads the way a socket may deliver them.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace gantry::http::split_reads {

// Cut points for an input of n bytes: none, one cut at every offset, and
// one byte per read.
inline std::vector<std::vector<size_t>> every_split(size_t n) {
  std::vector<std::vector<size_t>> out = {{}};
  for (size_t i = 1; i < n; ++i) out.push_back({i});
  std::vector<size_t> bytes;
  for (size_t i = 1; i < n; ++i) bytes.push_back(i);
  out.push_back(bytes);
  return out;
}

// Calls step(read, offset) for each read of `input` cut at `cuts`. Each read
// lives in a buffer of its own that is freed right after, as in the proxy, so
// ASan sees any pointer kept into it. Stops when step returns false.
template <typename Step>
void for_each_read(const std::string& input, const std::vector<size_t>& cuts, Step step) {
  size_t pos = 0;
  std::vector<size_t> bounds = cuts;
  bounds.push_back(input.size());
  for (size_t b : bounds) {
    if (b < pos) continue;
    auto read = std::make_unique<std::string>(input.substr(pos, b - pos));
    if (!step(*read, pos)) return;
    pos = b;
  }
}

}  // namespace gantry::http::split_reads
