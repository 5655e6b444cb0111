// Client certificates (verify_client), resumption through the session cache,
// and ticket key rotation.
#include <gtest/gtest.h>

#include "tls_test_support.h"

namespace gantry::tls_test {
namespace {

class TlsProviderTest : public ::testing::TestWithParam<std::string> {
 protected:
  void load_config(const std::string& body) {
    loaded_ = load(dir_, body);
    ASSERT_TRUE(loaded_.gen) << loaded_.error;
  }
  std::string server_cert() const {
    return "cert = \"" + cert("ec.pem") + "\"\nkey = \"" + cert("ec.key") + "\"\n";
  }
  std::string trust() const { return "ca = \"" + cert("ca.pem") + "\"\n"; }
  std::string client_cert() const {
    return "client_cert = \"" + cert("client.pem") + "\"\nclient_key = \"" + cert("client.key") +
           "\"\n";
  }
  std::string p() const { return GetParam(); }

  TempDir dir_;
  Loaded loaded_;
};

TEST_P(TlsProviderTest, RequiredClientCertificate) {
  std::string mtls =
      server_cert() + "verify_client = \"required\"\nclient_ca = \"" + cert("ca.pem") + "\"\n";
  load_config(listener("in", p(), mtls) + backend("anonymous", p(), trust()) +
              backend("with-cert", p(), trust() + client_cert()));
  SessionPair anonymous(loaded_.listener(0), loaded_.backend(0), "example.com");
  EXPECT_FALSE(anonymous.handshake());
  EXPECT_TRUE(anonymous.server.failed());

  SessionPair ok(loaded_.listener(0), loaded_.backend(1), "example.com");
  ASSERT_TRUE(ok.handshake());
  ok.send(ok.client,
          "ping");  // TLS 1.3: the server judges the certificate after the client's Finished
  EXPECT_EQ(ok.server.received, "ping");
  gantry_tls_info_t s = ok.info(ok.server);
  EXPECT_EQ(s.peer_verified, 1u);
  EXPECT_GT(s.peer_der.len, 100u);
  EXPECT_NE(to_string(s.peer_subject).find("CN=client one"), std::string::npos)
      << to_string(s.peer_subject);
}

TEST_P(TlsProviderTest, OptionalClientCertificate) {
  std::string mtls =
      server_cert() + "verify_client = \"optional\"\nclient_ca = \"" + cert("ca.pem") + "\"\n";
  load_config(listener("in", p(), mtls) + backend("anonymous", p(), trust()) +
              backend("with-cert", p(), trust() + client_cert()));
  SessionPair anonymous(loaded_.listener(0), loaded_.backend(0), "example.com");
  ASSERT_TRUE(anonymous.handshake());
  anonymous.send(anonymous.client, "hi");
  EXPECT_EQ(anonymous.server.received, "hi");
  EXPECT_EQ(anonymous.info(anonymous.server).peer_verified, 0u);
  EXPECT_EQ(anonymous.info(anonymous.server).peer_der.len, 0u);

  SessionPair with(loaded_.listener(0), loaded_.backend(1), "example.com");
  ASSERT_TRUE(with.handshake());
  with.send(with.client, "hi");
  EXPECT_EQ(with.info(with.server).peer_verified, 1u);
}

// "optional" lets a client without a certificate in, not one with a bad one.
TEST_P(TlsProviderTest, OptionalClientCertificateMustVerifyWhenSent) {
  std::string mtls =
      server_cert() + "verify_client = \"optional\"\nclient_ca = \"" + cert("ca.pem") + "\"\n";
  load_config(listener("in", p(), mtls) +
              backend("expired", p(),
                      trust() + "client_cert = \"" + cert("expired.pem") + "\"\nclient_key = \"" +
                          cert("expired.key") + "\"\n"));
  SessionPair expired(loaded_.listener(0), loaded_.backend(0), "example.com");
  EXPECT_FALSE(expired.handshake());
  EXPECT_TRUE(expired.server.failed());
}

TEST_P(TlsProviderTest, SessionCacheResumesWithoutTickets) {
  // Session IDs are a TLS 1.2 mechanism; BoringSSL resumes TLS 1.3 by tickets only.
  load_config(
      listener("in", p(), server_cert() + "session_tickets = false\nmax_version = \"TLSv1.2\"\n") +
      backend("up", p(), trust()));
  {
    SessionPair first(loaded_.listener(0), loaded_.backend(0), "example.com");
    ASSERT_TRUE(first.handshake());
  }
  SessionPair second(loaded_.listener(0), loaded_.backend(0), "example.com");
  ASSERT_TRUE(second.handshake());
  EXPECT_EQ(second.info(second.server).resumed, 1u);
}

TEST_P(TlsProviderTest, NoResumptionWhenTicketsAndCacheAreOff) {
  load_config(
      listener("in", p(), server_cert() + "session_tickets = false\nsession_cache_size = 0\n") +
      backend("up", p(), trust()));
  for (int i = 0; i < 2; ++i) {
    SessionPair s(loaded_.listener(0), loaded_.backend(0), "example.com");
    ASSERT_TRUE(s.handshake());
    s.send(s.server, "x");
    EXPECT_EQ(s.info(s.server).resumed, 0u) << "connection " << i;
  }
}

TEST_P(TlsProviderTest, TicketKeyFilesRotate) {
  // Two listeners stand for "before" and "after" a rotation: the new config
  // lists the new key first and keeps the old one for decryption.
  std::string before = "ticket_key_file = \"" + cert("ticket1.key") + "\"\n";
  std::string after =
      "ticket_key_file = [\"" + cert("ticket2.key") + "\", \"" + cert("ticket1.key") + "\"]\n";
  std::string unrelated = "ticket_key_file = \"" + cert("ticket2.key") + "\"\n";
  std::string common = server_cert() + "session_cache_size = 0\n";
  load_config(listener("before", p(), common + before) + listener("after", p(), common + after) +
              listener("unrelated", p(), common + unrelated) + backend("up", p(), trust()));
  {
    SessionPair first(loaded_.listener(0), loaded_.backend(0), "example.com");
    ASSERT_TRUE(first.handshake());
    first.send(first.server, "x");
  }
  {
    SessionPair rotated(loaded_.listener(1), loaded_.backend(0), "example.com");
    ASSERT_TRUE(rotated.handshake());
    EXPECT_EQ(rotated.info(rotated.server).resumed, 1u);  // the old key still decrypts
    rotated.send(rotated.server, "x");  // and a ticket under the new key is issued
  }
  SessionPair other(loaded_.listener(2), loaded_.backend(0), "example.com");
  ASSERT_TRUE(other.handshake());
  EXPECT_EQ(other.info(other.server).resumed, 1u);  // ticket2 was used by "after"
}

INSTANTIATE_TEST_SUITE_P(Providers, TlsProviderTest,
                         ::testing::Values("tls-boringssl", "tls-openssl"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param.substr(4);
                         });

}  // namespace
}  // namespace gantry::tls_test
