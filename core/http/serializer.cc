#include "http/serializer.h"

#include <cstdio>

#include "http/semantics.h"
#include "util/strings.h"

namespace gantry::http {
namespace {

void append_field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

void append_status_line(std::string* out, int status, std::string_view reason) {
  char line[32];
  int len = std::snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
  out->append(line, static_cast<size_t>(len));
  out->append(reason.empty() ? reason_phrase(status) : reason).append("\r\n");
}

void append_framing(std::string* out, Framing f, uint64_t length) {
  if (f == Framing::kLength) {
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "Content-Length: %llu\r\n",
                          static_cast<unsigned long long>(length));
    out->append(buf, static_cast<size_t>(n));
  } else if (f == Framing::kChunked) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
}

}  // namespace

void write_request_head(const Head& req, const ForwardOptions& opts, const RequestWire& w,
                        std::string* out) {
  out->clear();
  out->reserve(512);
  out->append(req.method).append(" ").append(req.target).append(" HTTP/1.1\r\n");
  // A request that came without Host (HTTP/1.0) leaves as HTTP/1.1, which
  // needs one (RFC 9112 3.2); empty when the caller has no name for it.
  if (req.find("host") == nullptr) append_field(out, "Host", w.default_host);
  std::string xff_joined;
  const HopByHop hop(req);
  for (const HeaderField& h : req.headers) {
    if (h.name.empty() || hop(h.name) || iequals(h.name, "content-length")) continue;
    if (opts.x_forwarded_for && iequals(h.name, "x-forwarded-for")) {
      if (!xff_joined.empty()) xff_joined += ", ";
      xff_joined.append(h.value);
      continue;
    }
    if (opts.x_forwarded_proto && iequals(h.name, "x-forwarded-proto")) continue;
    append_field(out, h.name, h.value);
  }
  if (opts.x_forwarded_for) {
    out->append("X-Forwarded-For: ");
    if (!xff_joined.empty()) out->append(xff_joined).append(", ");
    out->append(w.client).append("\r\n");
  }
  if (opts.x_forwarded_proto)
    out->append(w.tls ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n");
  if (opts.via) out->append(req.version_minor == 0 ? "Via: 1.0 gantry\r\n" : "Via: 1.1 gantry\r\n");
  if (!w.upgrade.empty()) {
    out->append("Connection: upgrade\r\n");
    append_field(out, "Upgrade", w.upgrade);
  }
  append_framing(out, w.framing, w.length);
  out->append("\r\n");
}

void write_response_head(const Head& resp, const ResponseWire& w, std::string* out) {
  out->clear();
  out->reserve(512);
  append_status_line(out, resp.status, resp.reason);
  const HopByHop hop(resp);
  for (const HeaderField& f : resp.headers) {
    if (f.name.empty() || hop(f.name)) continue;
    // With a body the proxy writes the framing itself; without one (HEAD,
    // 304) the server's Content-Length still describes the resource.
    if (w.framing != Framing::kNone && iequals(f.name, "content-length")) continue;
    append_field(out, f.name, f.value);
  }
  append_framing(out, w.framing, w.length);
  if (w.close) {
    out->append("Connection: close\r\n");
  } else if (w.keep_alive) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
}

void write_interim_head(const Head& resp, std::string* out) {
  out->clear();
  append_status_line(out, resp.status, {});
  const HopByHop hop(resp);
  for (const HeaderField& h : resp.headers) {
    if (h.name.empty() || hop(h.name)) continue;
    append_field(out, h.name, h.value);
  }
  out->append("\r\n");
}

void write_switching_head(const Head& resp, std::string* out) {
  out->assign("HTTP/1.1 101 Switching Protocols\r\n");
  const HopByHop hop(resp);
  for (const HeaderField& h : resp.headers) {
    if (h.name.empty()) continue;
    if (iequals(h.name, "connection") || iequals(h.name, "upgrade") || !hop(h.name))
      append_field(out, h.name, h.value);
  }
  out->append("\r\n");
}

size_t write_chunk_line(size_t n, char* buf) {
  int len = std::snprintf(buf, kChunkLineMax, "%zx\r\n", n);
  return static_cast<size_t>(len);
}

}  // namespace gantry::http
