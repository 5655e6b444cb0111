#pragma once
// What an exchange needs while it speaks HTTP, and a tunnel does not: the
// heads and their arena, the response relay and parser, the request as it
// goes out. It is the bulk of an exchange's memory, so each worker keeps the
// blocks of finished exchanges and hands them to new ones: a request then
// costs no allocation for its heads, vectors and buffers, and an idle
// connection still holds none of it.
#include <memory>
#include <string>

#include "config/config.h"
#include "exchange/downstream.h"
#include "exchange/local_answer.h"
#include "exchange/request_forwarder.h"
#include "exchange/response_relay.h"
#include "http/serializer.h"
#include "util/arena.h"

namespace gantry::exchange {

struct HttpState {
  HttpState() : relay(nullptr, nullptr, &resp, &arena) {}
  HttpState(const HttpState&) = delete;
  HttpState& operator=(const HttpState&) = delete;

  Arena arena;
  http::Head req;
  http::Head resp;
  ResponseRelay relay;
  RequestForwarder fwd;
  http::RequestWire wire;   // what the proxy adds to the request head
  std::string balance_key;  // set by modules, for the backend's balancer
  // A module's respond(), sent once its hook chain has returned.
  std::unique_ptr<ModuleAnswer> module_answer;
};

// Gives a block back to this thread's cache (or frees it when the cache is full).
struct HttpStateReturn {
  void operator()(HttpState* s) const;
};
using HttpStatePtr = std::unique_ptr<HttpState, HttpStateReturn>;

// A block from this thread's cache (a new one when it is empty), cleared and
// bound to an exchange's downstream and relay events.
HttpStatePtr take_http_state(Downstream* down, RelayEvents* events, const config::Limits& lim);

}  // namespace gantry::exchange
