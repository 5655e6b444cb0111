// libFuzzer target: the PROXY protocol header reader (core/net/proxy_header).
//
// Input: the bytes a peer sends first. They are read three ways: whole, in
// two reads split at a point derived from the input, and one byte at a time;
// every way must give the same verdict, take the same number of bytes and
// find the same client. Each read is copied into a buffer freed right after
// feed(), so ASan catches a pointer kept into a read. Invariants: no byte
// past the input is taken, a header never exceeds its limit (107 bytes for
// v1, 16 + kMaxV2Body for v2), a reader still waiting has taken every byte,
// and a header naming a client reads back the same from the writers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "net/proxy_header.h"

namespace gantry::fuzz {
namespace {

using net::ProxyHeaderReader;
using net::ProxyInfo;
using Status = ProxyHeaderReader::Status;

const bool kNamed = (set_target_name("proxy_header"), true);

struct Reading {
  Status status = Status::kNeedMore;
  size_t used = 0;
  ProxyInfo info;
};

Reading read_in(const uint8_t* data, const std::vector<size_t>& cuts, size_t size) {
  ProxyHeaderReader r;
  Reading out;
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t to = i < cuts.size() ? cuts[i] : size;
    if (to < from) continue;
    size_t n = to - from;
    std::unique_ptr<char[]> copy(new char[n ? n : 1]);
    if (n) std::memcpy(copy.get(), data + from, n);
    size_t used = 0;
    out.status = r.feed(copy.get(), n, &used);
    GANTRY_FUZZ_CHECK(used <= n);
    out.used += used;
    from = to;
    if (out.status != Status::kNeedMore) break;
    GANTRY_FUZZ_CHECK(used == n);
  }
  out.info = r.info();
  return out;
}

bool same_addr(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  size_t len = a.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  return a.ss_family == AF_UNSPEC || std::memcmp(&a, &b, len) == 0;
}

void check_same(const Reading& a, const Reading& b) {
  GANTRY_FUZZ_CHECK(a.status == b.status);
  if (a.status != Status::kDone) return;
  GANTRY_FUZZ_CHECK(a.used == b.used);
  GANTRY_FUZZ_CHECK(a.info.version == b.info.version);
  GANTRY_FUZZ_CHECK(a.info.source == b.info.source);
  GANTRY_FUZZ_CHECK(same_addr(a.info.src, b.info.src) && same_addr(a.info.dst, b.info.dst));
  GANTRY_FUZZ_CHECK(a.info.alpn == b.info.alpn && a.info.authority == b.info.authority);
  GANTRY_FUZZ_CHECK(a.info.unique_id == b.info.unique_id && a.info.ssl == b.info.ssl);
}

void check_written(const std::string& h, const ProxyInfo& want) {
  Reading back = read_in(reinterpret_cast<const uint8_t*>(h.data()), {}, h.size());
  GANTRY_FUZZ_CHECK(back.status == Status::kDone && back.used == h.size());
  GANTRY_FUZZ_CHECK(back.info.source == ProxyInfo::Source::kAddress);
  GANTRY_FUZZ_CHECK(same_addr(back.info.src, want.src) && same_addr(back.info.dst, want.dst));
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  Reading whole = read_in(data, {}, size);
  Reading split = read_in(data, {split_point(data, size)}, size);
  std::vector<size_t> bytes;
  for (size_t i = 1; i < size && i < 8192; ++i) bytes.push_back(i);
  Reading bytewise = read_in(data, bytes, size);
  check_same(whole, split);
  check_same(whole, bytewise);
  switch (whole.status) {
    case Status::kDone:
      if (whole.info.version == ProxyInfo::Version::kV1) {
        GANTRY_FUZZ_CHECK(whole.used <= ProxyHeaderReader::kMaxV1Line);
      } else {
        GANTRY_FUZZ_CHECK(whole.used <= 16 + ProxyHeaderReader::kMaxV2Body);
      }
      GANTRY_FUZZ_CHECK(whole.info.unique_id.size() <= 128);
      if (whole.info.source == ProxyInfo::Source::kAddress) {
        check_written(gantry::net::proxy_header_v1(whole.info.src, whole.info.dst), whole.info);
        check_written(gantry::net::proxy_header_v2(whole.info.src, whole.info.dst), whole.info);
      }
      report_verdict(Verdict::kAccepted);
      break;
    case Status::kError:
      report_verdict(Verdict::kRejected);
      break;
    case Status::kNeedMore:
      GANTRY_FUZZ_CHECK(whole.used == size);
      GANTRY_FUZZ_CHECK(size < 16 + ProxyHeaderReader::kMaxV2Body);
      report_verdict(Verdict::kIncomplete);
      break;
  }
  return 0;
}
