#include "exchange/access_log.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace gantry::exchange {
namespace {

gantry_str_t to_str(std::string_view s) { return {s.data(), s.size()}; }

void append_ms(std::string& out, int64_t us) {
  if (us < 0) {
    out += '-';
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / 1000.0);
  out.append(buf, n);
}

// Request targets come from the network: keep the log one line per request.
void append_sanitized(std::string& out, std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
}

void append_time(std::string& out) {
  char ts[40];
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm tmv;
  gmtime_r(&now.tv_sec, &tmv);
  int n = std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tmv.tm_year + 1900,
                        tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                        now.tv_nsec / 1000000);
  out.append(ts, n);
}

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out.append(buf, n);
}

void append_or_dash(std::string& out, std::string_view v) {
  if (v.empty()) out += '-';
  else append_sanitized(out, v);
}

void append_field(std::string& out, config::LogField f, const AccessRecord& r) {
  using F = config::LogField;
  switch (f) {
    case F::kTime: append_time(out); return;
    case F::kClient: append_sanitized(out, r.client); return;
    case F::kMethod: append_sanitized(out, r.method); return;
    case F::kTarget: append_sanitized(out, r.target); return;
    case F::kProtocol: out.append(r.protocol); return;
    case F::kStatus: append_u64(out, static_cast<uint64_t>(r.status < 0 ? 0 : r.status)); return;
    case F::kBytesIn: append_u64(out, r.bytes_in); return;
    case F::kBytesOut: append_u64(out, r.bytes_out); return;
    case F::kBackend: append_or_dash(out, r.backend); return;
    case F::kServer: append_or_dash(out, r.server); return;
    case F::kTHead: append_ms(out, r.t_head); return;
    case F::kTConnect: append_ms(out, r.t_connect); return;
    case F::kTResponse: append_ms(out, r.t_response); return;
    case F::kTTotal: append_ms(out, r.t_total); return;
    case F::kTermination: out.append(r.termination); return;
    case F::kRetries: append_u64(out, r.retries); return;
    case F::kUpgraded: out += r.upgraded ? '1' : '0'; return;
    case F::kReused: out += r.reused ? '1' : '0'; return;
    case F::kNotes: append_or_dash(out, r.notes); return;
  }
}

// The built-in line; syslog has a time of its own in the header.
void format_text(std::string& line, const AccessRecord& r, bool with_time) {
  if (with_time) {
    append_time(line);
    line += ' ';
  }
  line.append(r.client);
  line.append(" \"");
  append_sanitized(line, r.method);
  line += ' ';
  append_sanitized(line, r.target);
  line.append("\" ");
  char nums[96];
  int n = std::snprintf(nums, sizeof nums, "%d %llu %llu ", r.status,
                        static_cast<unsigned long long>(r.bytes_in),
                        static_cast<unsigned long long>(r.bytes_out));
  line.append(nums, n);
  line.append(r.backend.empty() ? std::string_view("-") : r.backend);
  line += '/';
  line.append(r.server.empty() ? std::string_view("-") : r.server);
  line += ' ';
  append_ms(line, r.t_head);
  line += '/';
  append_ms(line, r.t_connect);
  line += '/';
  append_ms(line, r.t_response);
  line += '/';
  append_ms(line, r.t_total);
  line += ' ';
  line.append(r.termination);
  if (r.upgraded) line.append(" upgraded");
  if (r.reused) line.append(" reused");
  if (r.retries > 0) line.append(" retries=").append(std::to_string(r.retries));
  if (!r.notes.empty()) {
    line += ' ';
    append_sanitized(line, r.notes);
  }
}

void format_json(std::string& line, const AccessRecord& r) {
  std::string ts;
  append_time(ts);
  auto ms = [](int64_t us) -> nlohmann::json {
    if (us < 0) return nullptr;
    return static_cast<double>(us) / 1000.0;
  };
  auto str = [](std::string_view v) { return std::string(v); };
  nlohmann::json j = {{"time", ts},
                      {"client", str(r.client)},
                      {"method", str(r.method)},
                      {"target", str(r.target)},
                      {"protocol", str(r.protocol)},
                      {"status", r.status},
                      {"bytes_in", r.bytes_in},
                      {"bytes_out", r.bytes_out},
                      {"backend", str(r.backend)},
                      {"server", str(r.server)},
                      {"t_head_ms", ms(r.t_head)},
                      {"t_connect_ms", ms(r.t_connect)},
                      {"t_response_ms", ms(r.t_response)},
                      {"t_total_ms", ms(r.t_total)},
                      {"termination", str(r.termination)},
                      {"retries", r.retries},
                      {"upgraded", r.upgraded},
                      {"reused", r.reused},
                      {"notes", str(r.notes)}};
  // Targets come from the network: replace invalid UTF-8 rather than throw.
  line += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void write_access(const runtime::AccessSink& sink, const AccessRecord& r) {
  using runtime::AccessSink;
  if (!sink.on()) return;
  bool syslog = sink.kind == AccessSink::Kind::kSyslog;
  std::string line;
  line.reserve(320);
  if (syslog) {
    line.append(sink.syslog_pri);
    append_time(line);
    line.append(sink.syslog_rest);
  }
  switch (sink.format) {
    case AccessSink::Format::kText:
      format_text(line, r, !syslog);
      break;
    case AccessSink::Format::kTemplate:
      for (const config::LogPiece& p : *sink.tmpl) {
        if (p.literal) line.append(p.text);
        else append_field(line, p.field, r);
      }
      break;
    case AccessSink::Format::kJson:
      format_json(line, r);
      break;
  }
  if (syslog) {
    // One datagram per record; a full socket buffer (a stalled syslog
    // daemon) drops the record rather than stall the worker.
    ssize_t w = ::send(sink.fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)w;
    return;
  }
  line += '\n';
  ssize_t w = ::write(sink.fd, line.data(), line.size());
  (void)w;
}

gantry_log_record_t to_log_record(const AccessRecord& r) {
  gantry_log_record_t rec{};
  rec.struct_size = sizeof rec;
  rec.status = r.status;
  rec.method = to_str(r.method);
  rec.target = to_str(r.target);
  rec.backend = to_str(r.backend);
  rec.server = to_str(r.server);
  rec.termination = to_str(r.termination);
  rec.bytes_in = r.bytes_in;
  rec.bytes_out = r.bytes_out;
  rec.t_head_us = r.t_head;
  rec.t_connect_us = r.t_connect;
  rec.t_response_us = r.t_response;
  rec.t_total_us = r.t_total;
  rec.upgraded = r.upgraded;
  rec.conn_reused = r.reused;
  return rec;
}

}  // namespace gantry::exchange
