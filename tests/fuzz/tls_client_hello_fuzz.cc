// libFuzzer target: the ClientHello peeker of the TLS modules
// (modules/tls_common/tls_client_hello.cc), which reads the raw extension
// bytes both TLS libraries hand to their early callback to choose a
// certificate.
//
// The input is a ClientHello as a client sends it (a TLS record, or the bare
// handshake message). The target walks it the way the libraries do and hands
// the server_name, signature_algorithms and supported_versions extensions and
// the cipher suites to the peeker, as tls_server.cc does, then checks the
// facts against its own reading of the same bytes. Whatever the framing, the
// four readers also get the raw tail of the input as an extension body: they
// must never read outside what they are given.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "tls_client_hello.h"

namespace gantry::fuzz {
namespace {

using tls::ClientHelloFacts;

const bool kNamed = (set_target_name("tls_client_hello"), true);

// A bounds-checked reader of TLS vectors (RFC 8446 3.4).
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool number(size_t width, size_t* out) {
    if (n_ < width) return false;
    *out = 0;
    for (size_t i = 0; i < width; ++i) *out = (*out << 8) | p_[i];
    skip(width);
    return true;
  }
  // A vector with a `width`-byte length prefix.
  bool vector(size_t width, Cursor* out) {
    size_t len = 0;
    if (!number(width, &len) || len > n_) return false;
    *out = Cursor(p_, len);
    skip(len);
    return true;
  }
  bool skip(size_t k) {
    if (n_ < k) return false;
    p_ += k;
    n_ -= k;
    return true;
  }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

struct Hello {
  Cursor suites{nullptr, 0};
  const uint8_t* ext[3] = {nullptr, nullptr, nullptr};  // server_name, signature_algorithms, supported_versions
  size_t ext_len[3] = {0, 0, 0};
};

// RFC 8446 4.1.2 (the TLS 1.2 layout is the same). The first of repeated
// extensions counts, as SSL_client_hello_get0_ext returns it.
bool walk_hello(const uint8_t* data, size_t size, Hello* h) {
  Cursor c(data, size);
  size_t type = 0;
  if (size >= 5 && data[0] == 22) {  // a handshake record: type, version, length
    Cursor record(nullptr, 0);
    if (!c.skip(3) || !c.vector(2, &record)) return false;
    c = record;
  }
  Cursor body(nullptr, 0);
  if (!c.number(1, &type) || type != 1 || !c.vector(3, &body)) return false;
  Cursor session(nullptr, 0);
  Cursor compression(nullptr, 0);
  Cursor extensions(nullptr, 0);
  if (!body.skip(2 + 32) || !body.vector(1, &session) || session.size() > 32 ||
      !body.vector(2, &h->suites) || h->suites.size() < 2 || h->suites.size() % 2 != 0 ||
      !body.vector(1, &compression) || compression.size() < 1)
    return false;
  if (body.size() == 0) return true;  // no extensions at all
  if (!body.vector(2, &extensions) || body.size() != 0) return false;
  while (extensions.size() > 0) {
    size_t ext_type = 0;
    Cursor ext(nullptr, 0);
    if (!extensions.number(2, &ext_type) || !extensions.vector(2, &ext)) return false;
    const size_t kTypes[3] = {0, 13, 43};
    for (int i = 0; i < 3; ++i) {
      if (ext_type == kTypes[i] && h->ext[i] == nullptr) {
        h->ext[i] = ext.size() > 0 ? ext.data() : data;  // non-null marks "present"
        h->ext_len[i] = ext.size();
      }
    }
  }
  return true;
}

// RFC 6066 3: the first host_name entry with a name in a well-formed list.
std::string expected_sni(const uint8_t* p, size_t n) {
  Cursor c(p, n);
  Cursor list(nullptr, 0);
  if (!c.vector(2, &list)) return "";
  while (list.size() >= 3) {
    size_t type = 0;
    Cursor name(nullptr, 0);
    if (!list.number(1, &type) || !list.vector(2, &name)) return "";
    if (type == 0 && name.size() > 0) {
      std::string s(reinterpret_cast<const char*>(name.data()), name.size());
      for (char& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (s.back() == '.') s.pop_back();
      return s;
    }
  }
  return "";
}

void check_facts(const ClientHelloFacts& f) {
  for (char ch : f.sni) GANTRY_FUZZ_CHECK(!(ch >= 'A' && ch <= 'Z'));
  GANTRY_FUZZ_CHECK(!f.ecdsa_sigalg || f.has_sigalgs);
  // A TLS 1.2 client without the extension implicitly takes ecdsa_sha1.
  if (f.ecdsa_cipher && !f.has_sigalgs) GANTRY_FUZZ_CHECK(tls::client_takes_ecdsa(f, false));
  if (!f.ecdsa_cipher && !f.offers_tls13) GANTRY_FUZZ_CHECK(!tls::client_takes_ecdsa(f, true));
  if (f.offers_tls13) GANTRY_FUZZ_CHECK(tls::client_takes_ecdsa(f, true) == f.ecdsa_sigalg);
}

// Each reader on a heap copy of exactly `n` bytes, so ASan sees a read past it.
template <typename Fn>
void on_copy(const uint8_t* p, size_t n, Fn fn) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[n > 0 ? n : 1]);
  if (n > 0) std::memcpy(copy.get(), p, n);
  fn(copy.get(), n);
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  using namespace gantry::tls;
  Hello h;
  bool well_formed = walk_hello(data, size, &h);
  if (well_formed) {
    ClientHelloFacts f;
    if (h.ext[0] != nullptr) on_copy(h.ext[0], h.ext_len[0], [&](const uint8_t* p, size_t n) { parse_sni(p, n, &f); });
    if (h.ext[1] != nullptr)
      on_copy(h.ext[1], h.ext_len[1], [&](const uint8_t* p, size_t n) { parse_sigalgs(p, n, &f); });
    if (h.ext[2] != nullptr)
      on_copy(h.ext[2], h.ext_len[2], [&](const uint8_t* p, size_t n) { parse_supported_versions(p, n, &f); });
    on_copy(h.suites.data(), h.suites.size(), [&](const uint8_t* p, size_t n) { parse_cipher_suites(p, n, &f); });
    check_facts(f);
    GANTRY_FUZZ_CHECK(f.sni == (h.ext[0] != nullptr ? expected_sni(h.ext[0], h.ext_len[0]) : ""));
  }
  // The raw tail as every kind of extension body.
  size_t from = split_point(data, size);
  ClientHelloFacts raw;
  on_copy(data + from, size - from, [&](const uint8_t* p, size_t n) {
    parse_sni(p, n, &raw);
    parse_sigalgs(p, n, &raw);
    parse_supported_versions(p, n, &raw);
    parse_cipher_suites(p, n, &raw);
  });
  check_facts(raw);
  report_verdict(well_formed ? Verdict::kAccepted : Verdict::kRejected);
  return 0;
}
