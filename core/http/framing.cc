#include "http/framing.h"

#include "http/chars.h"
#include "http/semantics.h"
#include "util/strings.h"

namespace gantry::http {
namespace {

constexpr uint64_t kMaxLength = static_cast<uint64_t>(INT64_MAX);

// Reads the Content-Length fields into f; false (with f->error) when the
// message must be refused.
bool read_content_length(const Head& head, Framing* f) {
  const HeaderField* cl = head.find("content-length");
  if (cl == nullptr) return true;
  if (head.find("content-length", 1) != nullptr) {
    f->error = "more than one Content-Length";
    return false;
  }
  std::string_view v = cl->value;  // OWS already trimmed by the parser
  if (v.empty()) {
    f->error = "empty Content-Length";
    return false;
  }
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') {
      f->error = "invalid Content-Length";
      return false;
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (kMaxLength - d) / 10) {
      f->error = "Content-Length too large";
      return false;
    }
    n = n * 10 + d;
  }
  f->has_content_length = true;
  f->length = n;
  return true;
}

// True when the Transfer-Encoding fields, read as one list, name exactly one
// coding and that coding is "chunked". Empty list elements are allowed (RFC
// 9110 5.6.1); parameters on chunked are not (it defines none).
bool only_chunked(const Head& head, bool* chunked_last) {
  size_t codings = 0;
  bool chunked = false;
  *chunked_last = false;
  for (const HeaderField& h : head.headers) {
    if (h.name.empty() || !iequals(h.name, "transfer-encoding")) continue;
    std::string_view list = h.value;
    while (true) {
      size_t comma = list.find(',');
      std::string_view item = trim_ows(list.substr(0, comma));
      if (!item.empty()) {
        ++codings;
        *chunked_last = iequals(item, "chunked");
        chunked = chunked || *chunked_last;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return codings == 1 && chunked;
}

// Connection tokens, version defaults, and the framing fields shared by
// requests and responses.
Framing common(const Head& head) {
  Framing f;
  bool close = false, keep = false, upgrade = false;
  for (const HeaderField& h : head.headers) {
    if (h.name.empty() || !iequals(h.name, "connection")) continue;
    close = close || list_has_token(h.value, "close");
    keep = keep || list_has_token(h.value, "keep-alive");
    upgrade = upgrade || list_has_token(h.value, "upgrade");
  }
  bool http11 = head.version_major == 1 && head.version_minor >= 1;
  f.keep_alive = !close && (http11 || keep);
  f.upgrade = upgrade && head.find("upgrade") != nullptr;

  bool has_te = head.find("transfer-encoding") != nullptr;
  if (!read_content_length(head, &f)) return f;
  if (has_te && f.has_content_length) {
    f.error = "both Content-Length and Transfer-Encoding";
    return f;
  }
  if (has_te && !http11) {
    f.error = "Transfer-Encoding in an HTTP/1.0 message";
    return f;
  }
  if (has_te) {
    bool chunked_last = false;
    if (!only_chunked(head, &chunked_last)) {
      f.error = chunked_last ? "transfer codings other than one chunked"
                             : "chunked is not the final transfer coding";
      return f;
    }
    f.kind = BodyKind::kChunked;
  } else if (f.has_content_length) {
    f.kind = BodyKind::kLength;
  }
  return f;
}

}  // namespace

Framing frame_request(const Head& head) {
  Framing f = common(head);
  if (head.method == "CONNECT") f.upgrade = true;
  return f;
}

Framing frame_response(const Head& head) {
  Framing f = common(head);
  if (f.error != nullptr) return f;
  f.upgrade = head.status == 101;
  if (status_has_no_body(head.status)) {
    f.kind = BodyKind::kNone;
  } else if (f.kind == BodyKind::kNone && !f.has_content_length) {
    // Neither field: the body runs until the server closes.
    f.kind = BodyKind::kUntilClose;
  }
  return f;
}

}  // namespace gantry::http
