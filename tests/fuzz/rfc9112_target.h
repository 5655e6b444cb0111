#pragma once
// The request-target and Host rules of the RFC 9112 model (RFC 9112 3.2,
// RFC 3986 3): which form a method may use, and uri-host [ ":" port ].
#include <string_view>

namespace gantry::fuzz::rfc9112 {

// A request-target of one of the forms RFC 9112 3.2 allows for `method`; an
// absolute form only of the http or https scheme.
bool valid_target(std::string_view method, std::string_view target);

// uri-host [ ":" port ]: a Host field value, or an authority.
bool valid_authority(std::string_view authority);

}  // namespace gantry::fuzz::rfc9112
