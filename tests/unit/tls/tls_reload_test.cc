// A certificate replaced on disk is served to the next connection; existing
// sessions carry on; a broken replacement keeps the previous certificate.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tls_test_support.h"

namespace gantry::tls_test {
namespace {

class TlsReloadTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_.replace("site.pem", cert("other.pem"));
    dir_.replace("site.key", cert("other.key"));
    loaded_ =
        load(dir_, listener("in", GetParam(),
                            "cert = \"site.pem\"\nkey = \"site.key\"\nreload_interval = \"1ms\"\n"
                            // Full handshakes only: a resumed session shows no certificate.
                            "session_tickets = false\nsession_cache_size = 0\n") +
                       backend("up", GetParam(), "verify = false\n"));
    ASSERT_TRUE(loaded_.gen) << loaded_.error;
  }

  // The files are looked at when a session starts, at most once per
  // reload_interval: let the interval pass (this is not a timing assertion).
  static void let_interval_pass() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

  std::string served_subject() {
    SessionPair p(loaded_.listener(0), loaded_.backend(0), "other.test");
    EXPECT_TRUE(p.handshake());
    return to_string(p.info(p.client).peer_subject);
  }

  TempDir dir_;
  Loaded loaded_;
};

TEST_P(TlsReloadTest, ChangedCertificateIsServedToNewConnections) {
  EXPECT_EQ(served_subject(), "CN=other.test,O=other");
  SessionPair existing(loaded_.listener(0), loaded_.backend(0), "other.test");
  ASSERT_TRUE(existing.handshake());

  dir_.replace("site.key", cert("other2.key"));
  dir_.replace("site.pem", cert("other2.pem"));
  let_interval_pass();
  EXPECT_EQ(served_subject(), "CN=other.test,O=other2");

  // The connection made before the change is untouched.
  existing.send(existing.client, "still working");
  EXPECT_EQ(existing.server.received, "still working");
  EXPECT_EQ(to_string(existing.info(existing.client).peer_subject), "CN=other.test,O=other");
}

TEST_P(TlsReloadTest, BrokenReplacementKeepsThePreviousCertificate) {
  dir_.replace("site.pem", cert("ec.pem"));  // no longer matches site.key
  let_interval_pass();
  loaded_.take_logs();
  std::string subject = served_subject();
  std::string logged = loaded_.take_logs();
  EXPECT_EQ(subject, "CN=other.test,O=other");
  EXPECT_NE(logged.find("does not match certificate"), std::string::npos) << logged;
  EXPECT_NE(logged.find("previous certificates"), std::string::npos) << logged;

  // Once the key follows, the new pair is used.
  dir_.replace("site.key", cert("ec.key"));
  let_interval_pass();
  EXPECT_EQ(served_subject(), "CN=example.com,O=ecdsa");
}

TEST_P(TlsReloadTest, MissingFileKeepsThePreviousCertificate) {
  std::remove((dir_.path() + "/site.pem").c_str());
  let_interval_pass();
  loaded_.take_logs();
  std::string subject = served_subject();
  std::string logged = loaded_.take_logs();
  EXPECT_EQ(subject, "CN=other.test,O=other");
  EXPECT_NE(logged.find("cannot read certificate"), std::string::npos) << logged;
}

INSTANTIATE_TEST_SUITE_P(Providers, TlsReloadTest,
                         ::testing::Values("tls-boringssl", "tls-openssl"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param.substr(4);
                         });

}  // namespace
}  // namespace gantry::tls_test
