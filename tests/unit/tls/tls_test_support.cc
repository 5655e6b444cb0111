#include "tls_test_support.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace gantry::tls_test {
namespace {

// Made once per test binary: generating RSA keys takes a moment.
class CertEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-tls-certs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string cmd = std::string("sh ") + TLS_CERT_SCRIPT + " " + dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "certificate generation failed: " << cmd;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

CertEnvironment* g_env =
    static_cast<CertEnvironment*>(::testing::AddGlobalTestEnvironment(new CertEnvironment));

}  // namespace

const std::string& certs_dir() { return g_env->dir_; }
std::string cert(const std::string& name) { return certs_dir() + "/" + name; }

std::string to_string(gantry_str_t s) {
  return s.len == 0 ? std::string() : std::string(s.ptr, s.len);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/gantry-tls-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }

std::string TempDir::write(const std::string& name, const std::string& text) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  return p;
}

void TempDir::replace(const std::string& name, const std::string& src) const {
  std::ifstream in(src, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string tmp = write(name + ".new", data);
  std::rename(tmp.c_str(), (path_ + "/" + name).c_str());
}

std::string modules_header() {
  return std::string("modules_dir = \"") + TLS_MODULES_DIR +
         "\"\n"
         "workers = 1\n"
         "[[module]]\n"
         "name = \"tls-boringssl\"\n"
         "path = \"tls_boringssl\"\n"
         "[[module]]\n"
         "name = \"tls-openssl\"\n"
         "path = \"tls_openssl\"\n";
}

Loaded load(const TempDir& dir, const std::string& body) {
  Loaded out;
  auto cfg = config::load_config(dir.write("gantry.toml", modules_header() + body));
  if (!cfg.ok()) {
    out.error = cfg.error();
    return out;
  }
  auto gen = modules::build_generation(cfg.value());
  if (!gen.ok()) {
    out.error = gen.error();
    return out;
  }
  out.gen = gen.value();
  return out;
}

std::string listener(const std::string& name, const std::string& provider,
                     const std::string& tls_lines) {
  return "[[listener]]\nname = \"" + name +
         "\"\nbind = \"127.0.0.1:0\"\n[listener.tls]\nprovider = \"" + provider + "\"\n" +
         tls_lines + "\n";
}

std::string backend(const std::string& name, const std::string& provider,
                    const std::string& tls_lines) {
  return "[[backend]]\nname = \"" + name +
         "\"\nservers = [\"127.0.0.1:9\"]\n[backend.tls]\nprovider = \"" + provider + "\"\n" +
         tls_lines + "\n";
}

SessionPair::SessionPair(const modules::TransportBinding& s, const modules::TransportBinding& c,
                         const std::string& sni) {
  server.t = s.transport;
  client.t = c.transport;
  gantry_sess_params_t sp{};
  sp.struct_size = sizeof sp;
  sp.is_server = 1;
  EXPECT_EQ(server.t->sess_new(s.tctx, &sp, &server.sess), GANTRY_OK);
  gantry_sess_params_t cp{};
  cp.struct_size = sizeof cp;
  cp.is_server = 0;
  cp.server_name = gantry_str_t{sni.data(), sni.size()};
  EXPECT_EQ(client.t->sess_new(c.tctx, &cp, &client.sess), GANTRY_OK);
}

SessionPair::~SessionPair() {
  if (server.sess != nullptr) server.t->sess_free(server.sess);
  if (client.sess != nullptr) client.t->sess_free(client.sess);
}

size_t SessionPair::transfer(Side& from, Side& to) {
  size_t moved = 0;
  const uint8_t* p = nullptr;
  size_t n;
  while ((n = from.t->peek_cipher(from.sess, &p)) > 0) {
    size_t used = 0;
    to.t->feed_cipher(to.sess, p, n, &used);
    from.t->consume_cipher(from.sess, used);
    moved += used;
    if (used == 0) {
      drain(to);  // the receiver is full: let it read first
      if (to.failed()) break;
    }
  }
  return moved;
}

void SessionPair::drain(Side& side) {
  uint8_t buf[16384];
  for (;;) {
    size_t got = 0;
    side.status = side.t->read_plain(side.sess, buf, sizeof buf, &got);
    side.received.append(reinterpret_cast<char*>(buf), got);
    if (side.status != GANTRY_IO_OK || got == 0) return;
  }
}

void SessionPair::pump() {
  for (int round = 0; round < 1000; ++round) {
    size_t moved = transfer(client, server);
    drain(server);
    moved += transfer(server, client);
    drain(client);
    if (moved == 0 || server.failed() || client.failed()) {
      // A failing side may still owe the other its alert.
      transfer(server, client);
      transfer(client, server);
      return;
    }
  }
}

bool SessionPair::handshake() {
  gantry_io_t r = client.t->handshake(client.sess);
  if (r == GANTRY_IO_ERROR) {
    client.status = r;
    return false;
  }
  pump();
  return server.t->handshake_done(server.sess) && client.t->handshake_done(client.sess) &&
         !server.failed() && !client.failed();
}

void SessionPair::send(Side& from, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    size_t used = 0;
    gantry_io_t r = from.t->write_plain(
        from.sess, reinterpret_cast<const uint8_t*>(data.data()) + off, data.size() - off, &used);
    ASSERT_EQ(r, GANTRY_IO_OK);
    off += used;
    pump();
  }
  pump();
}

gantry_tls_info_t SessionPair::info(const Side& side) const {
  gantry_tls_info_t i{};
  i.struct_size = sizeof i;
  EXPECT_EQ(side.t->info(side.sess, &i), GANTRY_OK);
  return i;
}

}  // namespace gantry::tls_test
