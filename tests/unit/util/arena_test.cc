// Arena: contents survive growth, and memory stays within a small constant
// factor of the bytes in use however a value arrives.
#include "util/arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace gantry {
namespace {

// Grows one value piecewise with the given piece sizes (cycled) to `total`
// bytes, after `prefix` bytes of other slices; returns the value.
std::string_view grow(Arena& a, size_t total, const std::vector<size_t>& pieces,
                      size_t prefix = 0) {
  if (prefix) a.copy(std::string(prefix, 'p').data(), prefix);
  const char* ptr = nullptr;
  size_t len = 0;
  std::string src;
  size_t i = 0;
  while (len < total) {
    size_t n = std::min(pieces[i++ % pieces.size()], total - len);
    src.assign(n, static_cast<char>('a' + len % 26));
    a.append(ptr, len, src.data(), n);
  }
  return {ptr, len};
}

bool holds_pattern(std::string_view v) {
  // Each piece was filled with the letter of its starting offset.
  for (size_t i = 0; i < v.size();) {
    char c = v[i];
    size_t j = i;
    while (j < v.size() && v[j] == c) ++j;
    if (c != static_cast<char>('a' + i % 26)) return false;
    i = j;
  }
  return true;
}

TEST(ArenaTest, ValueGrownByteByByteCostsAboutTwiceItsSize) {
  for (size_t prefix : {0u, 100u, 2000u}) {
    Arena a;
    std::string_view v = grow(a, 1 << 20, {1}, prefix);
    ASSERT_EQ(v.size(), 1u << 20);
    EXPECT_TRUE(holds_pattern(v));
    // The old code kept every copy: about 26 times the value for this shape.
    EXPECT_LE(a.reserved(), 2 * v.size() + 8 * 1024) << "prefix " << prefix;
  }
}

TEST(ArenaTest, AnyPiecePatternStaysBounded) {
  const std::vector<std::vector<size_t>> patterns = {
      {1, 7, 300, 2, 4096}, {2047}, {2049}, {65536}, {3, 1000, 1}, {1, 1, 1, 10000}};
  for (const auto& pieces : patterns) {
    Arena a;
    std::string_view v = grow(a, 3 << 20, pieces, 1500);
    ASSERT_EQ(v.size(), 3u << 20);
    EXPECT_TRUE(holds_pattern(v));
    EXPECT_LE(a.reserved(), 2 * v.size() + 16 * 1024) << pieces[0];
  }
}

TEST(ArenaTest, ManyValuesEachGrownPiecewise) {
  // A head's worth of fields, each name and value arriving in small reads,
  // as llhttp reports them.
  Arena a;
  std::vector<std::string_view> kept;
  size_t live = 0;
  for (int f = 0; f < 20000; ++f) {
    std::string_view name = grow(a, 8 + f % 13, {3});
    std::string_view value = grow(a, 20 + f % 200, {1, 5, 17});
    kept.push_back(name);
    kept.push_back(value);
    live += name.size() + value.size();
  }
  for (size_t i = 0; i < kept.size(); i += 2) EXPECT_TRUE(holds_pattern(kept[i + 1]));
  EXPECT_LE(a.reserved(), 2 * live + 64 * 1024);
}

TEST(ArenaTest, EarlierSlicesStayPutWhileALaterOneGrows) {
  Arena a;
  const char* first = a.copy("first", 5);
  std::string_view v = grow(a, 100000, {1, 33});
  EXPECT_EQ(std::string_view(first, 5), "first");
  EXPECT_TRUE(holds_pattern(v));
}

TEST(ArenaTest, ResetKeepsAnOrdinaryFirstBlockOnly) {
  Arena a;
  a.copy("x", 1);
  grow(a, 1 << 20, {4096});
  a.reset();
  EXPECT_LE(a.reserved(), 64u * 1024);
  EXPECT_EQ(std::string_view(a.copy("again", 5), 5), "again");
  a.reset_all();
  EXPECT_EQ(a.reserved(), 0u);
}

}  // namespace
}  // namespace gantry
