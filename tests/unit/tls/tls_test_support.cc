#include "tls_test_support.h"

#include <gantry/mock_toml.hpp>

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

// What gantry builds from a config for the transports: an instance of every
// TLS module, then a context per tls table, bound by `provider`.
struct Generation {
  struct Provider {
    testing::LoadedModule module;
    void* inst = nullptr;
  };
  testing::MockHost host;
  std::vector<Provider> providers;
  std::vector<TransportBinding> listeners;
  std::vector<TransportBinding> backends;

  ~Generation() {
    for (const auto* list : {&listeners, &backends})
      for (const TransportBinding& b : *list)
        if (b.tctx != nullptr) b.transport->ctx_free(owner(b.transport), b.tctx);
    for (const Provider& p : providers)
      if (p.inst != nullptr) p.module.desc->hooks->instance_free(p.inst);
  }
  void* owner(const gantry_transport_t* t) const {
    for (const Provider& p : providers)
      if (p.module.desc->transport == t) return p.inst;
    return nullptr;
  }

  // Binds the tls table of every entry of [[section]]; false with *error.
  bool bind(const testing::MockCfg& root, const char* section, bool is_server,
            std::vector<TransportBinding>* out, std::string* error) {
    const testing::MockCfg* entries = root.find(section);
    for (size_t i = 0; entries != nullptr && i < entries->size(); ++i) {
      TransportBinding b;
      const testing::MockCfg* tls = entries->at(i).find("tls");
      if (tls != nullptr) {
        const testing::MockCfg* provider = tls->find("provider");
        const Provider* p = nullptr;
        for (const Provider& c : providers)
          if (provider != nullptr && provider->node().text == c.module.desc->transport->name) p = &c;
        if (p == nullptr) {
          *error = std::string(section) + " " + std::to_string(i) + ": no such provider";
          return false;
        }
        if (host.transport_new(*p->module.desc, p->inst, *tls, is_server, &b.tctx) != GANTRY_OK) {
          *error = host.first_error();
          return false;
        }
        b.transport = p->module.desc->transport;
      }
      out->push_back(b);
    }
    return true;
  }
};

const TransportBinding& Loaded::listener(size_t i) const { return gen->listeners.at(i); }
const TransportBinding& Loaded::backend(size_t i) const { return gen->backends.at(i); }

std::string Loaded::take_logs() const {
  std::string out;
  for (const auto& l : gen->host.logs) out += l.msg + "\n";
  gen->host.logs.clear();
  return out;
}

Loaded load(const TempDir& dir, const std::string& body) {
  Loaded out;
  auto gen = std::make_shared<Generation>();
  gen->host.check_keys = true;
  gen->host.config_dir = dir.path();
  testing::MockCfg root;
  try {
    root = testing::load_toml(dir.write("gantry.toml", modules_header() + body));
  } catch (const std::exception& e) {
    out.error = e.what();
    return out;
  }
  for (const char* so : {TLS_BORINGSSL_SO, TLS_OPENSSL_SO}) {
    Generation::Provider p{testing::LoadedModule::open(so), nullptr};
    if (gen->host.instance_new(*p.module.desc, testing::MockCfg::table(), &p.inst) != GANTRY_OK) {
      out.error = gen->host.first_error();
      return out;
    }
    gen->providers.push_back(p);
  }
  if (!gen->bind(root, "listener", true, &gen->listeners, &out.error) ||
      !gen->bind(root, "backend", false, &gen->backends, &out.error))
    return out;
  out.gen = gen;
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

SessionPair::SessionPair(const TransportBinding& s, const TransportBinding& c,
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
