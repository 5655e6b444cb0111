// Both TLS libraries in one process without meeting: each module exports
// only its entry symbol, OpenSSL is linked in statically, BoringSSL comes
// from its own shared objects, and the core links neither.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tls_test_support.h"

namespace gantry::tls_test {
namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

std::set<std::string> symbols(const std::string& cmd) {
  std::set<std::string> names;
  std::istringstream in(run(cmd));
  std::string line;
  while (std::getline(in, line)) {
    size_t sp = line.find_last_of(' ');
    if (sp != std::string::npos) names.insert(line.substr(sp + 1));
  }
  return names;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(TlsIsolationTest, ModulesExportOnlyTheEntrySymbol) {
  for (const char* so : {TLS_BORINGSSL_SO, TLS_OPENSSL_SO}) {
    EXPECT_EQ(symbols(std::string("nm -D --defined-only ") + so),
              std::set<std::string>{"gantry_module_v1"})
        << so;
  }
}

TEST(TlsIsolationTest, OpenSslIsLinkedStatically) {
  std::string ldd = run(std::string("ldd ") + TLS_OPENSSL_SO);
  EXPECT_FALSE(has(ldd, "libssl")) << ldd;
  EXPECT_FALSE(has(ldd, "libcrypto")) << ldd;
  // Nothing of OpenSSL is left for the dynamic linker to resolve.
  for (const std::string& sym : symbols(std::string("nm -D --undefined-only ") + TLS_OPENSSL_SO)) {
    EXPECT_FALSE(sym.rfind("SSL_", 0) == 0 || sym.rfind("EVP_", 0) == 0 ||
                 sym.rfind("X509", 0) == 0 || sym.rfind("OPENSSL_", 0) == 0 ||
                 sym.rfind("CRYPTO_", 0) == 0)
        << sym;
  }
}

TEST(TlsIsolationTest, BoringSslComesFromItsOwnLibraries) {
  std::string ldd = run(std::string("ldd ") + TLS_BORINGSSL_SO);
  EXPECT_TRUE(has(ldd, "/android/libssl.so.0")) << ldd;
  EXPECT_TRUE(has(ldd, "/android/libcrypto.so.0")) << ldd;
  EXPECT_FALSE(has(ldd, "libssl.so.3")) << ldd;
  EXPECT_FALSE(has(ldd, "libcrypto.so.3")) << ldd;
}

// Undefined references of tls_boringssl.so (unversioned) would bind to any
// libssl in the global scope: the core must not bring one.
TEST(TlsIsolationTest, CoreLinksNoTlsLibrary) {
  std::string ldd = run(std::string("ldd ") + GANTRY_BINARY);
  EXPECT_FALSE(has(ldd, "libssl")) << ldd;
  EXPECT_FALSE(has(ldd, "libcrypto")) << ldd;
}

std::string mapped_objects() {
  std::ifstream in("/proc/self/maps");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One generation, listener A on BoringSSL and listener B on OpenSSL, each
// handshake answered by its own library.
TEST(TlsIsolationTest, BothProvidersServeInOneProcess) {
  TempDir dir;
  std::string certs = "cert = \"" + cert("ec.pem") + "\"\nkey = \"" + cert("ec.key") + "\"\n";
  Loaded l = load(dir, listener("a", "tls-boringssl", certs) + listener("b", "tls-openssl", certs) +
                           backend("up", "tls-openssl", "ca = \"" + cert("ca.pem") + "\"\n"));
  ASSERT_TRUE(l.gen) << l.error;
  SessionPair a(l.listener(0), l.backend(0), "example.com");
  SessionPair b(l.listener(1), l.backend(0), "example.com");
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(b.handshake());
  a.send(a.client, "to a");
  b.send(b.client, "to b");
  EXPECT_EQ(a.server.received, "to a");
  EXPECT_EQ(b.server.received, "to b");
  EXPECT_EQ(to_string(a.info(a.server).library), "BoringSSL");
  std::string openssl = to_string(b.info(b.server).library);
  EXPECT_EQ(openssl.rfind("OpenSSL 3.", 0), 0u) << openssl;

  std::string maps = mapped_objects();
  EXPECT_TRUE(has(maps, "/android/libssl.so.0"));
  EXPECT_FALSE(has(maps, "libssl.so.3"));
  EXPECT_FALSE(has(maps, "libcrypto.so.3"));
}

}  // namespace
}  // namespace gantry::tls_test
