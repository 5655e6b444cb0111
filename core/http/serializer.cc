#include "http/serializer.h"

#include <charconv>
#include <cstring>

#include "http/semantics.h"
#include "util/strings.h"

namespace gantry::http {
namespace {

// Heads are built on every request: one size check and memcpy per field
// instead of four appends, and no printf.
void append_field(std::string* out, std::string_view name, std::string_view value) {
  size_t at = out->size();
  out->resize(at + name.size() + value.size() + 4);
  char* p = out->data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  // An empty value may have a null data(): memcpy must not see it.
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void append_status_line(std::string* out, int status, std::string_view reason) {
  // Parsers and local answers only make statuses of three digits (100..599).
  char line[16] = "HTTP/1.1 ";
  line[9] = static_cast<char>('0' + status / 100 % 10);
  line[10] = static_cast<char>('0' + status / 10 % 10);
  line[11] = static_cast<char>('0' + status % 10);
  line[12] = ' ';
  out->append(line, 13);
  out->append(reason.empty() ? reason_phrase(status) : reason).append("\r\n");
}

void append_framing(std::string* out, Framing f, uint64_t length) {
  if (f == Framing::kLength) {
    char buf[24];
    char* end = std::to_chars(buf, buf + sizeof buf, length).ptr;
    append_field(out, "Content-Length", std::string_view(buf, static_cast<size_t>(end - buf)));
  } else if (f == Framing::kChunked) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
}

}  // namespace

void write_request_head(const Head& req, const ForwardOptions& opts, const RequestWire& w,
                        std::string* out) {
  out->clear();
  out->reserve(512);
  out->append(req.method).append(" ", 1).append(req.target).append(" HTTP/1.1\r\n", 11);
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
  char* end = std::to_chars(buf, buf + kChunkLineMax - 2, n, 16).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<size_t>(end + 2 - buf);
}

}  // namespace gantry::http
