// The request path: scan the fields the rules ask about (each at most once),
// evaluate the rules in order, apply their actions. No allocation unless an
// action rewrites something.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "acl_instance.h"

namespace gantry::acl {
namespace {

gantry_str_t as_str(const std::string& s) { return gantry_str_t{s.data(), s.size()}; }
gantry_str_t as_str(const char* s) { return gantry_str_t{s, std::strlen(s)}; }
std::string to_string(gantry_str_t s) { return std::string(s.ptr != nullptr ? s.ptr : "", s.len); }

// Host header value without its port: "example.com:8080" -> "example.com",
// "[::1]:443" -> "[::1]".
gantry_str_t strip_port(gantry_str_t h) {
  if (h.len > 0 && h.ptr[0] == '[') {
    const void* close = std::memchr(h.ptr, ']', h.len);
    if (close != nullptr) h.len = static_cast<size_t>(static_cast<const char*>(close) - h.ptr) + 1;
    return h;
  }
  const void* colon = std::memchr(h.ptr, ':', h.len);
  if (colon != nullptr) h.len = static_cast<size_t>(static_cast<const char*>(colon) - h.ptr);
  return h;
}

class RequestEval {
 public:
  RequestEval(const AclInstance& inst, gantry_stream_t* s, WorkerState* ws)
      : inst_(inst), cfg_(inst.cfg), host_(inst.host), s_(s), ws_(ws) {}

  gantry_action_t run() {
    std::fill(ws_->bits.begin(), ws_->bits.end(), 0);
    std::fill(ws_->scanned.begin(), ws_->scanned.end(), 0);
    const uint32_t n = static_cast<uint32_t>(cfg_.rules.size());
    for (uint32_t i = 0; i < n; ++i) {
      int32_t run = cfg_.run_of_rule[i];
      if (run >= 0) {
        // Jump to the first rule of the run, from i on, that a set bit names.
        i = first_hit(cfg_.runs[static_cast<uint32_t>(run)], i);
        if (i >= cfg_.runs[static_cast<uint32_t>(run)].end) {
          i = cfg_.runs[static_cast<uint32_t>(run)].end - 1;  // the loop's ++i leaves the run
          continue;
        }
      } else if (!rule_matches(cfg_.rules[i])) {
        continue;
      }
      const Rule& rule = cfg_.rules[i];
      if (!rule.name.empty() && host_->log_note != nullptr)
        host_->log_note(s_, as_str("acl_rule"), as_str(rule.name));
      apply_header_actions(rule);
      apply_path_actions(rule);
      switch (rule.final) {
        case Rule::Final::kNone:
          continue;
        case Rule::Final::kUseBackend:
          return route(rule.backend);
        case Rule::Final::kDeny:
        case Rule::Final::kRespond:
          return respond(rule.response.status, rule.response.headers, rule.response.body);
        case Rule::Final::kRedirect:
          return redirect(rule.redirect);
      }
    }
    if (!cfg_.default_backend.empty()) return route(cfg_.default_backend);
    return GANTRY_CONTINUE;
  }

 private:
  bool rule_matches(const Rule& rule) {
    if (rule.cond < 0) return true;
    bool v = cfg_.conditions.eval(static_cast<uint32_t>(rule.cond),
                                  [this](uint32_t acl) { return acl_true(acl); });
    return v != rule.negate;
  }

  // The first rule in [from, run.end) whose single ACL is true, or run.end.
  uint32_t first_hit(const RuleRun& run, uint32_t from) {
    for (uint32_t f : run.fields)
      if (!ws_->scanned[f]) scan_field(f);
    uint32_t best = run.end;
    const std::vector<uint64_t>& bits = ws_->bits;
    for (size_t w = 0; w < bits.size(); ++w) {
      uint64_t word = bits[w];
      while (word != 0) {
        uint32_t p = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(word)));
        word &= word - 1;
        const std::vector<uint32_t>& rules = cfg_.rules_of_pred[p];
        auto it = std::lower_bound(rules.begin(), rules.end(), from);
        if (it != rules.end() && *it < best) best = *it;
      }
    }
    return best;
  }

  bool acl_true(uint32_t acl) {
    for (uint32_t p : cfg_.acls[acl].preds)
      if (pred_true(p)) return true;
    return false;
  }

  bool pred_true(uint32_t p) {
    const Predicate& pred = cfg_.preds[p];
    switch (pred.kind) {
      case PredKind::kString:
        if (!ws_->scanned[pred.field]) scan_field(pred.field);
        return (ws_->bits[p >> 6] >> (p & 63)) & 1;
      case PredKind::kSource:
        return source_in(*pred.cidrs);
      case PredKind::kTls:
        return tls_info() == pred.expect;
      case PredKind::kHeaderExists: {
        gantry_str_t v{};
        return host_->req_header_get(s_, as_str(pred.header), 0, &v) == GANTRY_OK;
      }
      case PredKind::kConst:
        return pred.expect;
    }
    return false;
  }

  void scan(uint32_t f, gantry_str_t v) {
    inst_.matcher.scan(f, v.ptr, v.len, ws_->scratch.get(), ws_->bits.data());
  }

  // Absent values (no Host header, no SNI) are not scanned: no predicate on
  // them is true, as when an HAProxy fetch fails.
  void scan_field(uint32_t f) {
    ws_->scanned[f] = 1;
    const FieldSpec& spec = cfg_.fields[f];
    gantry_str_t v{};
    switch (spec.kind) {
      case FieldKind::kPath:
        return scan(f, host_->req_path(s_));
      case FieldKind::kUrl:
        return scan(f, host_->req_target(s_));
      case FieldKind::kQuery:
        return scan(f, host_->req_query(s_));
      case FieldKind::kMethod:
        return scan(f, host_->req_method(s_));
      case FieldKind::kHost:
        if (host_->req_header_get(s_, as_str("host"), 0, &v) == GANTRY_OK) scan(f, strip_port(v));
        return;
      case FieldKind::kHeader:
        // Every occurrence of the header, each value whole (no comma split).
        for (size_t i = 0; host_->req_header_get(s_, as_str(spec.arg), i, &v) == GANTRY_OK; ++i)
          scan(f, v);
        return;
      case FieldKind::kSni:
        if (tls_info() && tls_.sni.len > 0) scan(f, tls_.sni);
        return;
      case FieldKind::kParam:
        return scan_params(f, spec.arg);
    }
  }

  // Every value of parameter `name` in the query string, undecoded.
  void scan_params(uint32_t f, const std::string& name) {
    gantry_str_t q = host_->req_query(s_);
    size_t i = 0;
    while (i < q.len) {
      size_t end = i;
      while (end < q.len && q.ptr[end] != '&') ++end;
      size_t eq = i;
      while (eq < end && q.ptr[eq] != '=') ++eq;
      if (eq - i == name.size() && std::memcmp(q.ptr + i, name.data(), name.size()) == 0) {
        size_t vstart = eq < end ? eq + 1 : end;
        scan(f, gantry_str_t{q.ptr + vstart, end - vstart});
      }
      i = end + 1;
    }
  }

  bool tls_info() {
    if (!tls_fetched_) {
      tls_fetched_ = true;
      std::memset(&tls_, 0, sizeof(tls_));
      tls_.struct_size = sizeof(tls_);
      gantry_conn_t* c = host_->stream_conn(s_);
      is_tls_ = c != nullptr && host_->conn_tls(c, &tls_) == GANTRY_OK;
    }
    return is_tls_;
  }

  bool source_in(const CidrSet& set) {
    if (!addr_fetched_) {
      addr_fetched_ = true;
      addr_len_ = sizeof(addr_);
      gantry_conn_t* c = host_->stream_conn(s_);
      uint32_t len = static_cast<uint32_t>(sizeof(addr_));
      if (c == nullptr || host_->conn_addr(c, GANTRY_ADDR_PEER, &addr_, &len) != GANTRY_OK) len = 0;
      addr_len_ = static_cast<socklen_t>(len);
    }
    return addr_len_ > 0 && set.contains(reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  }

  void apply_header_actions(const Rule& rule) {
    for (const HeaderAction& a : rule.header_actions) {
      switch (a.op) {
        case HeaderAction::Op::kDel:
          host_->req_header_remove(s_, as_str(a.name));
          break;
        case HeaderAction::Op::kSet:
          host_->req_header_set(s_, as_str(a.name), as_str(a.value));
          break;
        case HeaderAction::Op::kAdd:
          host_->req_header_add(s_, as_str(a.name), as_str(a.value));
          break;
      }
    }
  }

  void apply_path_actions(const Rule& rule) {
    if (rule.path_actions.empty()) return;
    std::string path = to_string(host_->req_path(s_));
    for (const PathAction& a : rule.path_actions) {
      switch (a.op) {
        case PathAction::Op::kSet:
          path = a.arg;
          break;
        case PathAction::Op::kAddPrefix:
          // "/v2" + "/x" -> "/v2/x"; a trailing '/' on the prefix is not doubled.
          if (!a.arg.empty() && a.arg.back() == '/' && !path.empty() && path[0] == '/')
            path = a.arg + path.substr(1);
          else
            path = a.arg + path;
          break;
        case PathAction::Op::kStripPrefix:
          if (path.compare(0, a.arg.size(), a.arg) == 0) {
            path.erase(0, a.arg.size());
            if (path.empty() || path[0] != '/') path.insert(0, "/");
          }
          break;
      }
    }
    gantry_str_t q = host_->req_query(s_);
    if (q.len > 0) path += "?" + to_string(q);
    host_->req_set_target(s_, as_str(path));
  }

  gantry_action_t route(const std::string& backend) {
    if (host_->route_to(s_, as_str(backend)) == GANTRY_OK) return GANTRY_CONTINUE;
    // The host cannot tell us at load time which backends exist, so a typo
    // shows up here: answer 503 rather than fall through to another backend.
    std::string msg = "use_backend \"" + backend + "\": no such backend";
    host_->log(inst_.self, GANTRY_LOG_ERROR, msg.c_str());
    static const std::vector<std::pair<std::string, std::string>> kHeaders = {
        {"Content-Type", "text/plain"}};
    return respond(503, kHeaders, "Service Unavailable\n");
  }

  gantry_action_t respond(int32_t status,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) {
    gantry_header_t hs[32];
    size_t n = 0;
    for (const auto& h : headers) {
      if (n == sizeof(hs) / sizeof(hs[0])) break;
      hs[n++] = gantry_header_t{as_str(h.first), as_str(h.second)};
    }
    if (host_->respond(s_, status, hs, n, as_str(body)) != GANTRY_OK) return GANTRY_CLOSE;
    return GANTRY_DONE;
  }

  gantry_action_t redirect(const Redirect& r) {
    std::string tail = to_string(r.drop_query ? host_->req_path(s_) : host_->req_target(s_));
    std::string location;
    switch (r.kind) {
      case Redirect::Kind::kLocation:
        location = r.arg;
        break;
      case Redirect::Kind::kPrefix: {
        std::string prefix = r.arg;
        if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
        location = prefix + tail;
        break;
      }
      case Redirect::Kind::kScheme: {
        gantry_str_t h{};
        if (host_->req_header_get(s_, as_str("host"), 0, &h) != GANTRY_OK || h.len == 0) {
          static const std::vector<std::pair<std::string, std::string>> kNone;
          return respond(400, kNone, "Bad Request\n");
        }
        location = r.arg + "://" + to_string(h) + tail;
        break;
      }
    }
    std::vector<std::pair<std::string, std::string>> headers = {{"Location", location}};
    return respond(r.code, headers, std::string());
  }

  const AclInstance& inst_;
  const AclConfig& cfg_;
  const gantry_host_api_t* host_;
  gantry_stream_t* s_;
  WorkerState* ws_;
  bool tls_fetched_ = false;
  bool is_tls_ = false;
  gantry_tls_info_t tls_{};
  bool addr_fetched_ = false;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
};

}  // namespace

gantry_action_t evaluate_request(const AclInstance& inst, gantry_stream_t* s, WorkerState* ws) {
  RequestEval eval(inst, s, ws);
  return eval.run();
}

}  // namespace gantry::acl
