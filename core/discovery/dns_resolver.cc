#include "discovery/dns_resolver.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "config/address.h"

namespace gantry::discovery {

struct DnsResolver::Poll {
  uv_poll_t handle;
  DnsResolver* owner;
  ares_socket_t fd;
};

struct DnsResolver::Query {
  DnsResolver* owner;
  uint16_t port;
  std::string host;
  Done done;
};

namespace {

// c-ares library state is process wide; initialise it once.
bool library_ready() {
  static const int rc = ares_library_init(ARES_LIB_INIT_ALL);
  return rc == ARES_SUCCESS;
}

std::string address_text(const sockaddr* sa, uint16_t port) {
  char ip[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(port);
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace

DnsResolver::DnsResolver(uv_loop_t* loop) : loop_(loop) {}

DnsResolver::~DnsResolver() { stop(); }

bool DnsResolver::start(const ResolverOptions& opts, std::string* why) {
  if (!library_ready()) {
    *why = "c-ares failed to initialise";
    return false;
  }
  ares_options o{};
  o.sock_state_cb = &DnsResolver::on_sock_state;
  o.sock_state_cb_data = this;
  o.timeout = static_cast<int>(opts.timeout_ms);
  o.tries = static_cast<int>(opts.attempts);
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int rc = ares_init_options(&channel_, &o, mask);
  if (rc != ARES_SUCCESS) {
    *why = std::string("c-ares: ") + ares_strerror(rc);
    channel_ = nullptr;
    return false;
  }
  if (!opts.nameservers.empty()) {
    std::string csv;
    for (const std::string& ns : opts.nameservers) csv += (csv.empty() ? "" : ",") + ns;
    rc = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (rc != ARES_SUCCESS) {
      *why = "resolver.nameservers \"" + csv + "\": " + ares_strerror(rc);
      ares_destroy(channel_);
      channel_ = nullptr;
      return false;
    }
  }
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  return true;
}

void DnsResolver::resolve(const std::string& host, uint16_t port, Done done) {
  if (channel_ == nullptr) {
    ResolveResult r;
    r.why = "the resolver is not running";
    done(std::move(r));
    return;
  }
  auto* q = new Query{this, port, host, std::move(done)};
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;  // A and AAAA
  hints.ai_socktype = SOCK_STREAM;
  // ARES_AI_NOSORT: the order is ours (sorted below), not a connect probe's.
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &DnsResolver::on_addrinfo, q);
  arm_timer();
}

void DnsResolver::on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
  std::unique_ptr<Query> q(static_cast<Query*>(arg));
  ResolveResult r;
  if (status == ARES_SUCCESS && res != nullptr) {
    for (ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
      if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
      config::Address a;
      std::string why;
      if (!config::parse_address(address_text(n->ai_addr, q->port), false, &a, &why)) continue;
      bool dup = std::any_of(r.addresses.begin(), r.addresses.end(),
                             [&](const config::Address& b) { return b.text == a.text; });
      if (!dup) r.addresses.push_back(a);
    }
    std::sort(r.addresses.begin(), r.addresses.end(),
              [](const config::Address& x, const config::Address& y) { return x.text < y.text; });
    if (r.addresses.empty()) {
      r.status = ResolveStatus::kNoRecords;
      r.why = q->host + ": no A or AAAA records";
    } else {
      r.status = ResolveStatus::kOk;
    }
  } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    r.status = ResolveStatus::kNoRecords;
    r.why = q->host + ": " + ares_strerror(status);
  } else {
    r.status = ResolveStatus::kFailed;
    r.why = q->host + ": " + ares_strerror(status);
  }
  if (res != nullptr) ares_freeaddrinfo(res);
  Done done = std::move(q->done);
  DnsResolver* owner = q->owner;
  done(std::move(r));
  if (owner->channel_ != nullptr) owner->arm_timer();
}

void DnsResolver::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<DnsResolver*>(data);
  auto it = self->polls_.find(fd);
  if (!readable && !writable) {
    if (it == self->polls_.end()) return;
    Poll* p = it->second;
    self->polls_.erase(it);
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
             [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
    return;
  }
  Poll* p;
  if (it == self->polls_.end()) {
    p = new Poll{};
    p->owner = self;
    p->fd = fd;
    uv_poll_init_socket(self->loop_, &p->handle, fd);
    p->handle.data = p;
    self->polls_[fd] = p;
  } else {
    p = it->second;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&p->handle, events, [](uv_poll_t* h, int status, int ev) {
    auto* poll = static_cast<Poll*>(h->data);
    DnsResolver* owner = poll->owner;
    ares_socket_t fd = poll->fd;
    if (owner->channel_ == nullptr) return;  // stopped; the handle is closing
    // An error on the socket: let c-ares read it and notice.
    bool r = status < 0 || (ev & UV_READABLE);
    bool w = status >= 0 && (ev & UV_WRITABLE);
    ares_process_fd(owner->channel_, r ? fd : ARES_SOCKET_BAD, w ? fd : ARES_SOCKET_BAD);
    if (owner->channel_ != nullptr) owner->arm_timer();
  });
}

// c-ares says when its next retransmission or timeout is due; the timer
// wakes it then even if no socket becomes readable.
void DnsResolver::arm_timer() {
  if (timer_ == nullptr || channel_ == nullptr) return;
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
    uv_timer_stop(timer_);
    return;
  }
  uint64_t ms = static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
  uv_timer_start(timer_, [](uv_timer_t* t) {
    auto* self = static_cast<DnsResolver*>(t->data);
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->arm_timer();
  }, ms, 0);
}

void DnsResolver::stop() {
  if (channel_ != nullptr) {
    ares_channel ch = channel_;
    // Pending queries complete with ARES_EDESTRUCTION; callbacks see no channel.
    channel_ = nullptr;
    ares_destroy(ch);
  }
  for (auto& [fd, p] : polls_) {
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
             [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
  }
  polls_.clear();
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

}  // namespace gantry::discovery
