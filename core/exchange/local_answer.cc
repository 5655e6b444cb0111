#include "exchange/local_answer.h"

#include "http/semantics.h"
#include "util/strings.h"

namespace gantry::exchange {

void send_local_answer(Downstream* down, Arena& arena, http::Head* resp, const LocalAnswer& a) {
  std::string generated;
  std::string_view body = a.body;
  if (body.empty() && a.status >= 400) {
    generated = std::to_string(a.status) + " " + std::string(http::reason_phrase(a.status)) + "\n";
    body = generated;
  }
  resp->clear();
  resp->status = a.status;
  bool has_type = false;
  if (a.headers != nullptr) {
    for (const auto& [name, value] : *a.headers) {
      if (iequals(name, "content-type")) has_type = true;
      resp->add(arena, name, value);
    }
  }
  if (!has_type && !body.empty()) resp->add(arena, "Content-Type", "text/plain");
  OutgoingResponse out;
  out.head = resp;
  out.body = BodySize::kKnown;
  out.length = body.size();
  out.close = a.close;
  down->send_head(out);
  if (!a.head_method && !body.empty()) down->send_body(body.data(), body.size());
  down->end_body();
  down->flush();
}

}  // namespace gantry::exchange
