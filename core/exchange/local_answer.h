#pragma once
// A response the proxy makes itself (an error, a [route.respond] rule, a
// module's respond()): a head with Content-Length and a short body.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exchange/downstream.h"
#include "http/message.h"
#include "util/arena.h"

namespace gantry::exchange {

struct LocalAnswer {
  int status = 0;
  std::string_view body;  // empty for an error: "<status> <reason>\n"
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  bool close = false;        // the client connection must close after it
  bool head_method = false;  // a HEAD request: the head only
};

// An answer a module gave with respond(): kept (copied) until the module's
// hook returns, so the exchange never ends under a module's feet.
struct ModuleAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Fills `resp` (its bytes in `arena`) and sends it, body and all.
void send_local_answer(Downstream* down, Arena& arena, http::Head* resp, const LocalAnswer& a);

}  // namespace gantry::exchange
