// The exchange as modules see it through the host API: the request line,
// routing, local answers and balancing keys.
#include "exchange/exchange.h"

namespace gantry::exchange {

std::string_view Exchange::method() const {
  if (http_ != nullptr) return http_->req.method;
  return std::string_view(request_line_).substr(0, method_len_);
}

std::string_view Exchange::target() const {
  if (http_ != nullptr) return http_->req.target;
  std::string_view line(request_line_);
  return line.size() > method_len_ ? line.substr(method_len_ + 1) : std::string_view();
}

std::string_view Exchange::path() const {
  std::string_view t = target();
  return t.substr(0, t.find('?'));
}

std::string_view Exchange::query() const {
  std::string_view t = target();
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

gantry_status_t Exchange::route_to(std::string_view backend) {
  int idx = snap_.cfg->backend_index(backend);
  if (idx < 0) return GANTRY_ERR_NOENT;
  backend_ = idx;
  return GANTRY_OK;
}

gantry_status_t Exchange::route_to_index(int32_t backend) {
  if (backend < 0 || static_cast<size_t>(backend) >= snap_.cfg->backends.size())
    return GANTRY_ERR_RANGE;
  backend_ = backend;
  return GANTRY_OK;
}

gantry_status_t Exchange::tunnel_send(uint32_t direction, const char* p, size_t n) {
  if (tunnel_ == nullptr) return GANTRY_ERR_BUSY;
  if (direction != GANTRY_DIR_CLIENT_TO_SERVER && direction != GANTRY_DIR_SERVER_TO_CLIENT)
    return GANTRY_ERR_INVAL;
  return tunnel_->inject(direction, p, n) ? GANTRY_OK : GANTRY_ERR_BUSY;
}

std::string_view Exchange::route_backend() const {
  if (backend_ < 0) return {};
  return snap_.cfg->backends[backend_].name;
}

// While request hooks run (or wait): the answer is sent when the chain
// ends, so the module that answered never sees its stream disappear.
gantry_status_t Exchange::respond(int status, const gantry_header_t* headers, size_t n,
                                  std::string_view body) {
  if (phase_ != Phase::kHooks && phase_ != Phase::kPaused) return GANTRY_ERR_BUSY;
  if (status < 100 || status > 599) return GANTRY_ERR_INVAL;
  auto a = std::make_unique<ModuleAnswer>();
  a->status = status;
  a->headers.reserve(n);
  for (size_t i = 0; i < n; ++i)
    a->headers.emplace_back(std::string(headers[i].name.ptr, headers[i].name.len),
                            std::string(headers[i].value.ptr, headers[i].value.len));
  a->body.assign(body);
  http_->module_answer = std::move(a);
  return GANTRY_OK;
}

void Exchange::set_balance_key(std::string_view key) {
  if (http_ != nullptr) http_->balance_key.assign(key);
}

}  // namespace gantry::exchange
