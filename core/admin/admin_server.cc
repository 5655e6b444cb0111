#include "admin/admin_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "admin/api.h"
#include "admin/metrics_text.h"
#include "admin/status_page.h"
#include "util/log.h"

namespace gantry::admin {
namespace {

std::string read_token(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

// Compares without stopping at the first difference.
bool same(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

// "/api/backends/web/servers/a/state" -> {"api","backends","web","servers","a","state"}
std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, Controller* ctl) : loop_(loop), ctl_(ctl) {
  handler_ = [this](const Request& r, std::function<void(Response)> reply) {
    handle(r, std::move(reply));
  };
}

AdminServer::~AdminServer() = default;

bool AdminServer::start(const config::Admin& cfg, std::string* why) {
  cfg_ = cfg;
  bind_ = cfg.bind;
  token_file_ = cfg.token_file;
  unix_ = cfg.unix_socket;
  int r;
  if (unix_) {
    uv_pipe_init(loop_, &h_.pipe, 0);
    struct stat st{};
    // A socket left by a previous run is replaced; any other file is not.
    if (::lstat(cfg.bind.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(cfg.bind.c_str());
    r = uv_pipe_bind(&h_.pipe, cfg.bind.c_str());
    if (r == 0) ::chmod(cfg.bind.c_str(), 0660);
  } else {
    uv_tcp_init(loop_, &h_.tcp);
    r = uv_tcp_bind(&h_.tcp, reinterpret_cast<const sockaddr*>(&cfg.address.sa), 0);
  }
  h_.tcp.data = this;
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&h_), 64, on_connection);
  listening_ = true;  // the handle is initialized: stop() closes it either way
  if (r != 0) {
    *why = std::string("admin: cannot listen on ") + cfg.bind + ": " + uv_strerror(r);
    close_listener();
    return false;
  }
  GLOG_INFO("admin listener on %s%s", cfg.bind.c_str(),
            token_file_.empty() ? " (no token_file: changes are refused)" : "");
  return true;
}

void AdminServer::stop() {
  if (relisten_ != nullptr) {
    uv_timer_stop(relisten_);
    uv_close(reinterpret_cast<uv_handle_t*>(relisten_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    relisten_ = nullptr;
  }
  close_listener();
  for (HttpConn* c : std::vector<HttpConn*>(conns_.begin(), conns_.end())) c->close();
}

void AdminServer::close_listener() {
  if (!listening_) return;
  listening_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&h_), nullptr);
  if (unix_) ::unlink(bind_.c_str());
}

void AdminServer::on_connection(uv_stream_t* s, int status) {
  auto* self = static_cast<AdminServer*>(s->data);
  if (status == UV_EMFILE || status == UV_ENFILE) {
    self->pause_for_descriptors(status);
    return;
  }
  if (status != 0) {
    GLOG_WARN("admin: accept failed: %s", uv_strerror(status));
    return;
  }
  auto* c = new HttpConn(self->loop_, self->unix_, &self->handler_, &self->conns_);
  if (!c->start(s)) return;
  if (self->conns_.size() > kMaxConns) c->close();
}

void AdminServer::pause_for_descriptors(int status) {
  if (!listening_) return;
  GLOG_WARN("admin: accept failed: %s; the admin listener closes and listens again in 1 s",
            uv_strerror(status));
  // Closing sets the handle's descriptor to -1, which ends libuv's accept
  // loop; the handle is made anew once the close has completed.
  close_listener();
  if (relisten_ == nullptr) {
    relisten_ = new uv_timer_t;
    uv_timer_init(loop_, relisten_);
    relisten_->data = this;
  }
  uv_timer_start(relisten_, on_relisten, 1000, 0);
}

void AdminServer::on_relisten(uv_timer_t* t) {
  auto* self = static_cast<AdminServer*>(t->data);
  std::string why;
  if (self->start(self->cfg_, &why)) return;
  GLOG_WARN("%s; trying again in 1 s", why.c_str());
  uv_timer_start(t, on_relisten, 1000, 0);
}

bool AdminServer::authorized(const Request& req, Response* refusal) const {
  std::string token = read_token(token_file_);
  const std::string prefix = "Bearer ";
  bool ok = !token.empty() && req.authorization.compare(0, prefix.size(), prefix) == 0 &&
            same(req.authorization.substr(prefix.size()), token);
  if (ok) return true;
  GLOG_WARN("admin: refused %s %s from %s: %s", req.method.c_str(), req.path.c_str(),
            req.peer.c_str(),
            token.empty() ? "no token configured (token_file)"
            : req.authorization.empty() ? "no bearer token" : "wrong bearer token");
  *refusal = json_error(401, "a valid bearer token is required");
  return false;
}

void AdminServer::handle(const Request& req, std::function<void(Response)> reply) {
  if (req.path == "/metrics") {
    if (req.method != "GET" && req.method != "HEAD") return reply(json_error(405, "GET only"));
    Controller* ctl = ctl_;
    ctl_->collect([ctl, reply](metrics::WorkerMetrics sum) {
      reply({200, "text/plain; version=0.0.4; charset=utf-8",
             render_metrics(sum, *ctl->current(), ctl->reloads())});
    });
    return;
  }
  if (req.path == "/" || req.path == "/index.html") {
    if (req.method != "GET" && req.method != "HEAD") return reply(json_error(405, "GET only"));
    return reply({200, "text/html; charset=utf-8", status_page_html()});
  }
  if (req.path.compare(0, 5, "/api/") == 0) return api(req, std::move(reply));
  reply(json_error(404, "not found"));
}

void AdminServer::api(const Request& req, std::function<void(Response)> reply) {
  std::vector<std::string> p = split_path(req.path);
  bool get = req.method == "GET";
  if (p.size() == 2 && p[1] == "backends" && get) {
    Controller* ctl = ctl_;
    ctl_->collect([ctl, reply](metrics::WorkerMetrics sum) {
      reply(json_response(200, backends_json(*ctl->current(), sum)));
    });
    return;
  }
  if (p.size() == 2 && p[1] == "generation" && get)
    return reply(json_response(200, generation_json(*ctl_->current())));
  if (get) return reply(json_error(404, "not found"));
  // Everything else changes something.
  Response refusal;
  if (!authorized(req, &refusal)) return reply(std::move(refusal));
  if (p.size() == 2 && p[1] == "reload" && req.method == "POST") {
    ReloadResult r = ctl_->reload_now();
    nlohmann::json j = {{"ok", r.ok}, {"generation", r.generation}, {"message", r.message}};
    return reply(json_response(r.ok ? 200 : 409, j.dump()));
  }
  if (p.size() == 6 && p[1] == "backends" && p[3] == "servers" && req.method == "POST" &&
      (p[5] == "state" || p[5] == "weight"))
    return reply(change_server(ctl_, p[2], p[4], p[5], req.body));
  if (p.size() == 4 && p[1] == "backends" && p[3] == "servers" && req.method == "POST")
    return reply(add_server(ctl_, p[2], req.body));
  if (p.size() == 5 && p[1] == "backends" && p[3] == "servers" && req.method == "DELETE")
    return reply(remove_server(ctl_, p[2], p[4]));
  reply(json_error(404, "not found"));
}

}  // namespace gantry::admin
