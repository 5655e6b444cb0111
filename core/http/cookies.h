#pragma once
// Request cookies the proxy itself consumes (stickiness): found and removed
// so the server never sees them.
#include <string_view>

#include "http/message.h"
#include "util/arena.h"

namespace gantry::http {

// Removes the cookie `name` from every Cookie field of `req` (a field left
// empty is removed) and returns its value, or an empty view. The value lives
// in the head's bytes (the arena), as long as the head.
std::string_view take_cookie(Head& req, Arena& arena, std::string_view name);

// Tells the client which server it is stuck to ("insert" persistence), and
// keeps shared caches from handing that cookie to anyone else.
void add_sticky_cookie(Head* resp, Arena& arena, std::string_view name, std::string_view value);

}  // namespace gantry::http
