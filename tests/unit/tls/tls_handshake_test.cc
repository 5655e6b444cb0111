// Handshakes between the two providers, driven in memory through the
// transport ABI: app data both ways, facts, SNI and key-type selection,
// strict SNI, ALPN, version limits.
#include <gtest/gtest.h>

#include "tls_test_support.h"

namespace gantry::tls_test {
namespace {

const std::string kProviders[] = {"tls-boringssl", "tls-openssl"};

bool is_boringssl(const std::string& provider) { return provider == "tls-boringssl"; }

// Server provider x client provider.
class TlsPairTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  std::string server_provider() const { return std::get<0>(GetParam()); }
  std::string client_provider() const { return std::get<1>(GetParam()); }

  // One listener and one backend; extra lines go into their tls tables.
  void load_pair(const std::string& listener_tls, const std::string& backend_tls) {
    loaded_ = load(dir_, listener("in", server_provider(), listener_tls) +
                             backend("up", client_provider(), backend_tls));
    ASSERT_TRUE(loaded_.gen) << loaded_.error;
  }

  std::string both_certs() const {
    return "certificates = [ { cert = \"" + cert("ec.pem") + "\", key = \"" + cert("ec.key") +
           "\" }, { cert = \"" + cert("rsa.pem") + "\", key = \"" + cert("rsa.key") +
           "\" }, { cert = \"" + cert("other.pem") + "\", key = \"" + cert("other.key") +
           "\" } ]\n";
  }
  std::string trust() const { return "ca = \"" + cert("ca.pem") + "\"\n"; }

  std::unique_ptr<SessionPair> connect(const std::string& sni) {
    return std::make_unique<SessionPair>(loaded_.listener(0), loaded_.backend(0), sni);
  }

  TempDir dir_;
  Loaded loaded_;
};

TEST_P(TlsPairTest, HandshakeCarriesDataBothWays) {
  load_pair(both_certs(), trust());
  auto p = connect("www.example.com");
  ASSERT_TRUE(p->handshake());
  p->send(p->client, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
  EXPECT_EQ(p->server.received, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
  std::string big(300 * 1024, 'x');  // more than the transport buffers at once
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  p->send(p->server, big);
  EXPECT_EQ(p->client.received.size(), big.size());
  EXPECT_TRUE(p->client.received == big);
}

TEST_P(TlsPairTest, FactsDescribeTheSession) {
  load_pair(both_certs(), trust());
  auto p = connect("www.example.com");
  ASSERT_TRUE(p->handshake());
  gantry_tls_info_t s = p->info(p->server);
  gantry_tls_info_t c = p->info(p->client);
  EXPECT_EQ(s.handshake_done, 1u);
  EXPECT_EQ(to_string(s.sni), "www.example.com");
  EXPECT_EQ(to_string(s.alpn), "http/1.1");
  EXPECT_EQ(to_string(c.alpn), "http/1.1");
  EXPECT_EQ(to_string(s.version), "TLSv1.3");
  EXPECT_EQ(to_string(s.cipher), to_string(c.cipher));
  EXPECT_FALSE(to_string(s.cipher).empty());
  EXPECT_EQ(s.resumed, 0u);
  // No client certificate was asked for.
  EXPECT_EQ(s.peer_der.len, 0u);
  EXPECT_EQ(s.peer_verified, 0u);
  // The client verified the server against the CA, by name.
  EXPECT_EQ(c.peer_verified, 1u);
  EXPECT_GT(c.peer_der.len, 100u);
  EXPECT_NE(to_string(c.peer_subject).find("CN=example.com"), std::string::npos);
  // Each side names its own library.
  std::string slib = to_string(s.library), clib = to_string(c.library);
  EXPECT_EQ(slib == "BoringSSL", is_boringssl(server_provider())) << slib;
  EXPECT_EQ(clib == "BoringSSL", is_boringssl(client_provider())) << clib;
  if (!is_boringssl(server_provider())) {
    EXPECT_EQ(slib.rfind("OpenSSL 3", 0), 0u) << slib;
  }
}

TEST_P(TlsPairTest, SniPicksTheCertificate) {
  load_pair(both_certs(), "verify = false\n");
  struct Case {
    const char* sni;
    const char* organisation;
  } cases[] = {
      {"other.test", "O=other"},       // exact name
      {"OTHER.test", "O=other"},       // names compare case-insensitively
      {"a.example.com", "O=ecdsa"},    // wildcard
      {"example.com", "O=ecdsa"},      // exact
      {"unknown.invalid", "O=ecdsa"},  // the default (first) certificate
      {"a.b.example.com", "O=ecdsa"},  // a wildcard covers one label only: default
      {"", "O=ecdsa"},                 // no SNI: the default
  };
  for (const Case& k : cases) {
    auto p = connect(k.sni);
    ASSERT_TRUE(p->handshake()) << k.sni;
    EXPECT_NE(to_string(p->info(p->client).peer_subject).find(k.organisation), std::string::npos)
        << k.sni << " got " << to_string(p->info(p->client).peer_subject);
  }
}

TEST_P(TlsPairTest, ClientCapabilitiesPickEcdsaOrRsa) {
  // The RSA certificate is listed first: an ECDSA-capable client still gets
  // the ECDSA one.
  std::string rsa_first = "certificates = [ { cert = \"" + cert("rsa.pem") + "\", key = \"" +
                          cert("rsa.key") + "\" }, { cert = \"" + cert("ec.pem") + "\", key = \"" +
                          cert("ec.key") + "\" } ]\n";
  loaded_ = load(dir_, listener("in", server_provider(), rsa_first) +
                           backend("modern", client_provider(), trust()) +
                           backend("rsa-only", client_provider(),
                                   trust() + "max_version = \"TLSv1.2\"\n"
                                             "ciphers = \"ECDHE-RSA-AES128-GCM-SHA256\"\n"));
  ASSERT_TRUE(loaded_.gen) << loaded_.error;
  SessionPair modern(loaded_.listener(0), loaded_.backend(0), "www.example.com");
  ASSERT_TRUE(modern.handshake());
  EXPECT_NE(to_string(modern.info(modern.client).peer_subject).find("O=ecdsa"), std::string::npos);
  SessionPair old(loaded_.listener(0), loaded_.backend(1), "www.example.com");
  ASSERT_TRUE(old.handshake());
  EXPECT_NE(to_string(old.info(old.client).peer_subject).find("O=rsa"), std::string::npos);
  EXPECT_EQ(to_string(old.info(old.server).version), "TLSv1.2");
  EXPECT_EQ(to_string(old.info(old.server).cipher), "ECDHE-RSA-AES128-GCM-SHA256");
}

TEST_P(TlsPairTest, StrictSniRefusesUnknownNames) {
  load_pair(both_certs() + "strict_sni = true\n", "verify = false\n");
  {
    auto p = connect("other.test");
    EXPECT_TRUE(p->handshake());
  }
  for (const char* sni : {"unknown.invalid", ""}) {
    auto p = connect(sni);
    EXPECT_FALSE(p->handshake()) << sni;
    EXPECT_TRUE(p->server.failed()) << sni;
    EXPECT_TRUE(p->client.failed()) << sni;  // it got the alert
  }
}

TEST_P(TlsPairTest, AlpnWithoutOverlapContinuesWithoutProtocol) {
  load_pair(both_certs() + "alpn = [\"h2\", \"http/1.1\"]\n", trust() + "alpn = [\"http/1.0\"]\n");
  auto p = connect("www.example.com");
  ASSERT_TRUE(p->handshake());
  EXPECT_EQ(to_string(p->info(p->server).alpn), "");
}

TEST_P(TlsPairTest, VersionLimitsApply) {
  loaded_ = load(
      dir_, listener("tls13", server_provider(), both_certs() + "min_version = \"TLSv1.3\"\n") +
                listener("tls12", server_provider(), both_certs() + "max_version = \"TLSv1.2\"\n") +
                backend("old", client_provider(), trust() + "max_version = \"TLSv1.2\"\n") +
                backend("any", client_provider(), trust()));
  ASSERT_TRUE(loaded_.gen) << loaded_.error;
  SessionPair refused(loaded_.listener(0), loaded_.backend(0), "www.example.com");
  EXPECT_FALSE(refused.handshake());
  SessionPair capped(loaded_.listener(1), loaded_.backend(1), "www.example.com");
  ASSERT_TRUE(capped.handshake());
  EXPECT_EQ(to_string(capped.info(capped.server).version), "TLSv1.2");
}

TEST_P(TlsPairTest, ClientVerifiesServerName) {
  load_pair(both_certs(), trust());
  auto wrong = connect("other.example.org");  // default cert does not cover it
  EXPECT_FALSE(wrong->handshake());
  EXPECT_TRUE(wrong->client.failed());
}

TEST_P(TlsPairTest, ShutdownReachesThePeer) {
  load_pair(both_certs(), trust());
  auto p = connect("www.example.com");
  ASSERT_TRUE(p->handshake());
  EXPECT_EQ(p->server.t->shutdown(p->server.sess), GANTRY_IO_OK);
  p->pump();
  EXPECT_EQ(p->client.status, GANTRY_IO_CLOSED);
}

TEST_P(TlsPairTest, GarbageClosesOnlyThatSession) {
  load_pair(both_certs(), trust());
  auto good = connect("www.example.com");
  ASSERT_TRUE(good->handshake());
  const TransportBinding& l = loaded_.listener(0);
  gantry_sess_params_t sp{};
  sp.struct_size = sizeof sp;
  sp.is_server = 1;
  void* bad = nullptr;
  ASSERT_EQ(l.transport->sess_new(l.tctx, &sp, &bad), GANTRY_OK);
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  size_t used = 0;
  l.transport->feed_cipher(bad, reinterpret_cast<const uint8_t*>(http.data()), http.size(), &used);
  EXPECT_EQ(used, http.size());
  uint8_t buf[256];
  size_t got = 0;
  EXPECT_EQ(l.transport->read_plain(bad, buf, sizeof buf, &got), GANTRY_IO_ERROR);
  EXPECT_EQ(got, 0u);
  l.transport->sess_free(bad);
  good->send(good->client, "still here");
  EXPECT_EQ(good->server.received, "still here");
}

TEST_P(TlsPairTest, ResumesWithTickets) {
  load_pair(both_certs() + "session_cache_size = 0\n", trust());
  {
    auto first = connect("www.example.com");
    ASSERT_TRUE(first->handshake());
    // BoringSSL sends TLS 1.3 tickets with its first application data (an
    // HTTP response in practice), OpenSSL right after the handshake.
    first->send(first->server, "x");
  }
  auto second = connect("www.example.com");
  ASSERT_TRUE(second->handshake());
  EXPECT_EQ(second->info(second->server).resumed, 1u);
  EXPECT_EQ(second->info(second->client).resumed, 1u);
}

std::string pair_name(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  // "tls-boringssl" -> "boringssl"
  return "server_" + std::get<0>(info.param).substr(4) + "_client_" +
         std::get<1>(info.param).substr(4);
}

INSTANTIATE_TEST_SUITE_P(Providers, TlsPairTest,
                         ::testing::Combine(::testing::ValuesIn(kProviders),
                                            ::testing::ValuesIn(kProviders)),
                         pair_name);

}  // namespace
}  // namespace gantry::tls_test
