#pragma once
// The core's own routing rules ([[route]]): the first rule whose matchers all
// match decides, by naming a backend or by answering locally.
#include <string_view>

#include "config/config.h"
#include "http/message.h"

namespace gantry::exchange {

struct RouteResult {
  int backend = -1;                         // index into the config's backends
  const config::Respond* respond = nullptr;  // a local answer instead
};

// No rules: the first backend, if any.
RouteResult route(const config::Config& cfg, const http::Head& req, std::string_view path);

}  // namespace gantry::exchange
