#include "exchange/access_log.h"

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

}  // namespace

void write_access_line(int fd, const AccessRecord& r) {
  std::string line;
  line.reserve(256);
  char ts[40];
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm tmv;
  gmtime_r(&now.tv_sec, &tmv);
  int n = std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", tmv.tm_year + 1900,
                        tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                        now.tv_nsec / 1000000);
  line.append(ts, n);
  line.append(r.client);
  line.append(" \"");
  append_sanitized(line, r.method);
  line += ' ';
  append_sanitized(line, r.target);
  line.append("\" ");
  char nums[96];
  n = std::snprintf(nums, sizeof nums, "%d %llu %llu ", r.status,
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
  line += '\n';
  ssize_t w = ::write(fd, line.data(), line.size());
  (void)w;
}

void write_access_json(int fd, const AccessRecord& r) {
  char ts[40];
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm tmv;
  gmtime_r(&now.tv_sec, &tmv);
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tmv.tm_year + 1900,
                tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                now.tv_nsec / 1000000);
  auto ms = [](int64_t us) -> nlohmann::json {
    if (us < 0) return nullptr;
    return static_cast<double>(us) / 1000.0;
  };
  auto str = [](std::string_view v) { return std::string(v); };
  nlohmann::json j = {{"time", ts},
                      {"client", str(r.client)},
                      {"method", str(r.method)},
                      {"target", str(r.target)},
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
                      {"upgraded", r.upgraded},
                      {"reused", r.reused},
                      {"notes", str(r.notes)}};
  // Targets come from the network: replace invalid UTF-8 rather than throw.
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  ssize_t w = ::write(fd, line.data(), line.size());
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
