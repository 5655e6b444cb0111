// The request path: scan the fields the rules ask about (each at most once),
// evaluate the rules in order, apply their actions. No allocation unless an
// action rewrites something.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "acl_instance.h"

namespace gantry::acl {
namespace {

// Host header value without its port: "example.com:8080" -> "example.com",
// "[::1]:443" -> "[::1]".
std::string_view strip_port(std::string_view h) {
  if (!h.empty() && h[0] == '[') {
    size_t close = h.find(']');
    return close != std::string_view::npos ? h.substr(0, close + 1) : h;
  }
  return h.substr(0, h.find(':'));
}

class RequestEval {
 public:
  RequestEval(const AclModule& acl, const gantry::Request& req, WorkerState* ws)
      : acl_(acl), cfg_(acl.cfg()), req_(req), ws_(ws) {}

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
      acl_.host().metric_add(rule.hits_metric);
      if (!rule.name.empty()) req_.log_note("acl_rule", rule.name);
      apply_header_actions(rule);
      apply_path_actions(rule);
      switch (rule.final) {
        case Rule::Final::kNone:
          continue;
        case Rule::Final::kUseBackend:
          return route(rule.backend, rule.backend_index);
        case Rule::Final::kDeny:
        case Rule::Final::kRespond:
          return respond(rule.response.status, rule.response.headers, rule.response.body);
        case Rule::Final::kRedirect:
          return redirect(rule.redirect);
      }
    }
    if (!cfg_.default_backend.empty()) {
      acl_.host().metric_add(cfg_.default_hits_metric);
      return route(cfg_.default_backend, cfg_.default_index);
    }
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
      case PredKind::kHeaderExists:
        return req_.header(pred.header).has_value();
      case PredKind::kConst:
        return pred.expect;
    }
    return false;
  }

  void scan(uint32_t f, std::string_view v) {
    acl_.matcher().scan(f, v.data(), v.size(), ws_->scratch.get(), ws_->bits.data());
  }

  // Absent values (no Host header, no SNI) are not scanned: no predicate on
  // them is true, as when an HAProxy fetch fails.
  void scan_field(uint32_t f) {
    ws_->scanned[f] = 1;
    const FieldSpec& spec = cfg_.fields[f];
    switch (spec.kind) {
      case FieldKind::kPath:
        return scan(f, req_.path());
      case FieldKind::kUrl:
        return scan(f, req_.target());
      case FieldKind::kQuery:
        return scan(f, req_.query());
      case FieldKind::kMethod:
        return scan(f, req_.method());
      case FieldKind::kHost:
        if (std::optional<std::string_view> v = req_.header("host")) scan(f, strip_port(*v));
        return;
      case FieldKind::kHeader:
        // Every occurrence of the header, each value whole (no comma split).
        for (size_t i = 0;; ++i) {
          std::optional<std::string_view> v = req_.header(spec.arg, i);
          if (!v) return;
          scan(f, *v);
        }
      case FieldKind::kSni:
        if (tls_info() && tls_.sni.len > 0) scan(f, gantry::to_sv(tls_.sni));
        return;
      case FieldKind::kParam:
        return scan_params(f, spec.arg);
    }
  }

  // Every value of parameter `name` in the query string, undecoded.
  void scan_params(uint32_t f, const std::string& name) {
    std::string_view q = req_.query();
    size_t i = 0;
    while (i < q.size()) {
      size_t end = i;
      while (end < q.size() && q[end] != '&') ++end;
      size_t eq = i;
      while (eq < end && q[eq] != '=') ++eq;
      if (q.substr(i, eq - i) == name) {
        size_t vstart = eq < end ? eq + 1 : end;
        scan(f, q.substr(vstart, end - vstart));
      }
      i = end + 1;
    }
  }

  bool tls_info() {
    if (!tls_fetched_) {
      tls_fetched_ = true;
      std::optional<gantry_tls_info_t> info = req_.connection().tls();
      is_tls_ = info.has_value();
      if (is_tls_) tls_ = *info;
    }
    return is_tls_;
  }

  bool source_in(const CidrSet& set) {
    if (!addr_fetched_) {
      addr_fetched_ = true;
      if (!req_.connection().address(GANTRY_ADDR_PEER, &addr_, &addr_len_)) addr_len_ = 0;
    }
    return addr_len_ > 0 && set.contains(reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  }

  void apply_header_actions(const Rule& rule) {
    for (const HeaderAction& a : rule.header_actions) {
      switch (a.op) {
        case HeaderAction::Op::kDel:
          req_.headers().remove(a.name);
          break;
        case HeaderAction::Op::kSet:
          req_.headers().set(a.name, a.value);
          break;
        case HeaderAction::Op::kAdd:
          req_.headers().add(a.name, a.value);
          break;
      }
    }
  }

  void apply_path_actions(const Rule& rule) {
    if (rule.path_actions.empty()) return;
    std::string path(req_.path());
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
    std::string_view q = req_.query();
    if (!q.empty()) {
      path += '?';
      path += q;
    }
    req_.set_target(path);
  }

  gantry_action_t route(const std::string& backend, int32_t index) {
    // The name was resolved at load; a host of ABI 1.0 could not, and is
    // asked by name (a typo then shows up here).
    gantry_status_t st = index >= 0 ? req_.route_to(index) : req_.route_to(backend);
    if (st == GANTRY_OK) return GANTRY_CONTINUE;
    // Answer 503 rather than fall through to another backend.
    acl_.host().error("use_backend \"" + backend + "\": no such backend");
    static const std::vector<std::pair<std::string, std::string>> kHeaders = {
        {"Content-Type", "text/plain"}};
    return respond(503, kHeaders, "Service Unavailable\n");
  }

  gantry_action_t respond(int32_t status,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) {
    // The config allows at most 30 headers (and a Location), within
    // Request::kMaxRespondHeaders.
    if (req_.respond_with(status, headers, body) != GANTRY_OK) return GANTRY_CLOSE;
    return GANTRY_DONE;
  }

  gantry_action_t redirect(const Redirect& r) {
    std::string tail(r.drop_query ? req_.path() : req_.target());
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
        std::optional<std::string_view> h = req_.header("host");
        if (!h || h->empty()) {
          static const std::vector<std::pair<std::string, std::string>> kNone;
          return respond(400, kNone, "Bad Request\n");
        }
        location = r.arg + "://" + std::string(*h) + tail;
        break;
      }
    }
    std::vector<std::pair<std::string, std::string>> headers = {{"Location", location}};
    return respond(r.code, headers, std::string());
  }

  const AclModule& acl_;
  const AclConfig& cfg_;
  const gantry::Request& req_;
  WorkerState* ws_;
  bool tls_fetched_ = false;
  bool is_tls_ = false;
  gantry_tls_info_t tls_{};
  bool addr_fetched_ = false;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
};

}  // namespace

gantry_action_t evaluate_request(const AclModule& acl, const gantry::Request& req, WorkerState* ws) {
  RequestEval eval(acl, req, ws);
  return eval.run();
}

}  // namespace gantry::acl
