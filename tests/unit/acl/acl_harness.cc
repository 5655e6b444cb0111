#include "acl_harness.h"

namespace gantry::acl_test {

MockStream request(const std::string& target, Headers headers) {
  MockStream r("GET", target, std::move(headers));
  r.own_conn.set_peer("192.0.2.10", 40000);
  return r;
}

std::string responded(const MockStream& r, const std::string& name) {
  const std::string* v = r.responded_header(name);
  return v != nullptr ? *v : std::string();
}

std::string header(const MockStream& r, const std::string& name) {
  const std::string* v = r.header(name);
  return v != nullptr ? *v : std::string();
}

std::string peer_of(const MockStream& r) {
  char buf[INET6_ADDRSTRLEN] = {0};
  const sockaddr_storage& sa = r.own_conn.peer;
  const void* a = sa.ss_family == AF_INET6
                      ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_addr)
                      : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&sa)->sin_addr);
  return inet_ntop(sa.ss_family, a, buf, sizeof buf) != nullptr ? buf : "?";
}

void use_tls(MockStream* r, const std::string& sni) {
  r->own_conn.tls = testing::MockTls{};
  r->own_conn.tls->sni = sni;
}

AclHarness::AclHarness() : module_(ACL_SO) {
  module_.host().workers = 2;
  module_.host().has_backend = [](std::string_view name) { return name.rfind("missing", 0) != 0; };
}

bool AclHarness::load(const std::string& module_config, const std::string& cache_dir) {
  std::string toml = "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                     "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
                     "[[module]]\nname = \"acl\"\npath = \"acl_hyperscan\"\n"
                     "[module.config]\ncache_dir = \"" + cache_dir + "\"\n" + module_config;
  write_file("gantry.toml", toml);
  module_.host().worker = -1;  // instance_new runs on the main thread
  return module_.load(config_path());
}

std::vector<std::string> AclHarness::logs() const {
  std::vector<std::string> out;
  for (const auto& l : module_.host().logs)
    out.push_back(std::to_string(l.level) + " " + l.msg);
  return out;
}

bool AclHarness::logged(const std::string& needle) const {
  for (const std::string& l : logs())
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

std::string AclHarness::write_file(const std::string& name, const std::string& content) {
  return dir_.write(name, content);
}

gantry_action_t AclHarness::run(MockStream* r, int32_t worker) {
  module_.host().make_current();
  module_.host().worker = worker;
  void* stream_ctx = nullptr;
  return module_.hooks().on_request_headers(module_.inst(), r->raw(), nullptr, &stream_ctx);
}

std::string AclHarness::route(const std::string& target, const Headers& headers) {
  MockStream r = request(target, headers);
  run(&r);
  if (r.responded_status != 0) return "status:" + std::to_string(r.responded_status);
  return r.backend;
}

}  // namespace gantry::acl_test
