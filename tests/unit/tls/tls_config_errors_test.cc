// Broken TLS settings fail the config load with file:line of the key at
// fault, the same way for both providers; an expired certificate only warns.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tls_test_support.h"

namespace gantry::tls_test {
namespace {

class TlsConfigErrorTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Loads one listener with `tls_lines`; returns the error (empty on success).
  std::string load_listener(const std::string& tls_lines) {
    return load(dir_, listener("in", GetParam(), tls_lines)).error;
  }
  std::string load_backend(const std::string& tls_lines) {
    return load(dir_,
                "[[listener]]\nbind = \"127.0.0.1:0\"\n" + backend("up", GetParam(), tls_lines))
        .error;
  }
  // "gantry.toml:<line>" of the first line of the written config containing `needle`.
  std::string where(const std::string& needle) const {
    std::ifstream in(dir_.path() + "/gantry.toml");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find(needle) != std::string::npos) return "gantry.toml:" + std::to_string(n);
    }
    return "(not found: " + needle + ")";
  }
  static std::string kv(const std::string& key, const std::string& value) {
    return key + " = \"" + value + "\"\n";
  }

  TempDir dir_;
};

TEST_P(TlsConfigErrorTest, MissingCertificateFile) {
  std::string err = load_listener(kv("cert", "/nonexistent/cert.pem") + kv("key", cert("ec.key")));
  EXPECT_NE(err.find(where("cert = ")), std::string::npos) << err;
  EXPECT_NE(err.find("cannot read certificate '/nonexistent/cert.pem'"), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnreadableKeyFile) {
  std::string err =
      load_listener(kv("cert", cert("ec.pem")) + kv("key", dir_.path()));  // a directory
  EXPECT_NE(err.find(where("key = ")), std::string::npos) << err;
  EXPECT_NE(err.find("private key"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, KeyNotMatchingCertificate) {
  std::string err = load_listener(kv("cert", cert("ec.pem")) + kv("key", cert("other.key")));
  EXPECT_NE(err.find(where("key = ")), std::string::npos) << err;
  EXPECT_NE(err.find("does not match certificate"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, KeyInCertificateFile) {
  EXPECT_EQ(load_listener(kv("cert", cert("combined.pem"))), "");
  std::string err = load_listener(kv("cert", cert("ec.pem")));
  EXPECT_NE(err.find(where("cert = ")), std::string::npos) << err;
  EXPECT_NE(err.find("no private key"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, NotAPemFile) {
  std::string junk = dir_.write("junk.pem", "hello\n");
  std::string err = load_listener(kv("cert", junk) + kv("key", cert("ec.key")));
  EXPECT_NE(err.find(where("cert = ")), std::string::npos) << err;
  EXPECT_NE(err.find("no PEM certificate"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownCipher) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) +
                                  kv("ciphers", "ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER"));
  EXPECT_NE(err.find(where("ciphers = ")), std::string::npos) << err;
  EXPECT_NE(err.find("unknown cipher 'NOT-A-CIPHER'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, Tls13SuiteInCipherList) {
  std::string err =
      load_listener(kv("cert", cert("combined.pem")) + kv("ciphers", "TLS_AES_128_GCM_SHA256"));
  EXPECT_NE(err.find("ciphersuites"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownTls13Suite) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) + kv("ciphersuites", "TLS_FOO"));
  EXPECT_NE(err.find(where("ciphersuites = ")), std::string::npos) << err;
  EXPECT_NE(err.find("unknown TLS 1.3 suite 'TLS_FOO'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownCurve) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) + kv("curves", "X25519:P-999"));
  EXPECT_NE(err.find(where("curves = ")), std::string::npos) << err;
  EXPECT_NE(err.find("unknown group 'P-999'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownVersion) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) + kv("min_version", "SSLv3"));
  EXPECT_NE(err.find(where("min_version = ")), std::string::npos) << err;
  EXPECT_NE(err.find("unknown TLS version 'SSLv3'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, VerifyClientNeedsCa) {
  std::string err =
      load_listener(kv("cert", cert("combined.pem")) + kv("verify_client", "required"));
  EXPECT_NE(err.find(where("verify_client = ")), std::string::npos) << err;
  EXPECT_NE(err.find("client_ca"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, BadTicketKeyFile) {
  std::string err =
      load_listener(kv("cert", cert("combined.pem")) + kv("ticket_key_file", cert("ec.key")));
  EXPECT_NE(err.find(where("ticket_key_file = ")), std::string::npos) << err;
  EXPECT_NE(err.find("80-byte keys"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownAlpnProtocol) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) + "alpn = [\"spdy/3\"]\n");
  EXPECT_NE(err.find(where("alpn = ")), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, ListenerWithoutCertificate) {
  std::string err = load_listener("strict_sni = true\n");
  EXPECT_NE(err.find("needs 'cert'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, SideSpecificKeys) {
  std::string err = load_backend(kv("cert", cert("ec.pem")));
  EXPECT_NE(err.find(where("cert = ")), std::string::npos) << err;
  EXPECT_NE(err.find("client_cert"), std::string::npos) << err;
  err = load_listener(kv("cert", cert("combined.pem")) + kv("ca", cert("ca.pem")));
  EXPECT_NE(err.find(where("ca = ")), std::string::npos) << err;
  EXPECT_NE(err.find("only valid in a [backend.tls]"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, CertificatesEntryWithUnknownKey) {
  std::string err = load_listener("certificates = [ { cert = \"" + cert("combined.pem") +
                                  "\", chain = \"x\" } ]\n");
  EXPECT_NE(err.find(where("certificates = ")), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'chain'"), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, UnknownKeyIsRejectedByTheHost) {
  std::string err = load_listener(kv("cert", cert("combined.pem")) + kv("certfile", "x"));
  EXPECT_NE(err.find(where("certfile = ")), std::string::npos) << err;
}

TEST_P(TlsConfigErrorTest, ExpiredCertificateOnlyWarns) {
  Loaded l = load(dir_, listener("in", GetParam(),
                                 kv("cert", cert("expired.pem")) + kv("key", cert("expired.key"))));
  std::string err = l.error;
  std::string logged = l.gen ? l.take_logs() : "";
  EXPECT_EQ(err, "");
  EXPECT_NE(logged.find("expired on"), std::string::npos) << logged;
  EXPECT_NE(logged.find(where("cert = ")), std::string::npos) << logged;
}

TEST_P(TlsConfigErrorTest, RelativePathsFollowTheConfigFile) {
  dir_.replace("site.pem", cert("combined.pem"));
  EXPECT_EQ(load_listener(kv("cert", "site.pem")), "");
}

INSTANTIATE_TEST_SUITE_P(Providers, TlsConfigErrorTest,
                         ::testing::Values("tls-boringssl", "tls-openssl"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param.substr(4);
                         });

}  // namespace
}  // namespace gantry::tls_test
