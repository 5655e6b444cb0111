#include "exchange/exchange_record.h"

#include "exchange/access_log.h"

namespace gantry::exchange {
namespace {

// TLS facts from the transport, as bytes, like any module sees them.
void add_tls_notes(const Downstream& down, std::string* notes) {
  gantry_tls_info_t ti{};
  ti.struct_size = sizeof ti;
  if (down.tls_info(&ti) != GANTRY_OK) return;
  auto add = [notes](const char* k, gantry_str_t v) {
    if (v.len == 0) return;
    if (!notes->empty()) *notes += ' ';
    notes->append(k).append(v.ptr, v.len);
  };
  add("tls=", ti.version);
  add("sni=", ti.sni);
  add("cipher=", ti.cipher);
  if (ti.peer_verified) add("client=", ti.peer_subject);
}

}  // namespace

void ExchangeRecord::note(std::string_view key, std::string_view value) {
  if (!notes.empty()) notes += ' ';
  notes.append(key);
  notes += '=';
  notes.append(value);
}

void emit_log(const ExchangeRecord& r, const LogContext& c) {
  if (c.metrics != nullptr) {
    metrics::ExchangeFacts f;
    f.status = r.status;
    f.backend_series = c.backend_series;
    f.listener_series = c.listener_series;
    f.server_series = r.server_series;
    f.bytes_in = static_cast<uint64_t>(r.bytes_in);
    f.bytes_out = c.down->bytes_sent() - r.bytes_out_start;
    // Only a new connection has a connect time; a pooled one has none.
    f.t_connect = !r.reused && r.t_connect >= 0 && r.t_attempt >= 0 ? r.t_connect - r.t_attempt : -1;
    f.t_first_byte = r.t_response;
    f.t_total = r.since_start();
    metrics::count_exchange(*c.metrics, f);
  }
  if (!c.access->on() && !c.hooks->any_log()) return;
  AccessRecord a;
  a.status = r.status;
  a.method = c.method;
  a.target = c.target;
  a.backend = c.backend;
  a.server = r.server;
  a.termination = r.termination;
  a.bytes_in = static_cast<uint64_t>(r.bytes_in);
  a.bytes_out = c.down->bytes_sent() - r.bytes_out_start;
  a.t_head = r.t_head;
  a.t_connect = r.t_connect;
  a.t_response = r.t_response;
  a.t_total = r.since_start();
  a.upgraded = r.upgraded;
  a.reused = r.reused;
  a.retries = r.retries;
  a.client = c.down->client().address;
  a.protocol = c.protocol;
  // Log hooks first: what they add with log_note belongs on this line.
  if (c.hooks->any_log()) c.hooks->log(c.stream, to_log_record(a));
  if (!c.access->on()) return;
  std::string notes;
  if (c.down->client().tls) add_tls_notes(*c.down, &notes);
  if (!notes.empty() && !r.notes.empty()) notes += ' ';
  notes += r.notes;
  a.notes = notes;
  write_access(*c.access, a);
}

}  // namespace gantry::exchange
