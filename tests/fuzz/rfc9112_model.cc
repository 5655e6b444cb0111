#include "rfc9112_model.h"

#include "rfc9112_syntax.h"
#include "rfc9112_target.h"

namespace gantry::fuzz::rfc9112 {
namespace {

enum class Step { kOk, kMore, kBad };

void refuse(Message* m, Rule r) {
  for (Rule have : m->refusals)
    if (have == r) return;
  m->refusals.push_back(r);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  Result run();

 private:
  Step fail(Rule rule, Part part, size_t at) {
    res_.rule = rule;
    res_.part = part;
    res_.at = at;
    return Step::kBad;
  }
  // Reads the line at pos_. `check(text, base, complete)` validates its
  // content; with complete false the text is only a beginning (no CRLF yet)
  // and must be a valid beginning of a line. The content's own errors come
  // first: they sit on earlier bytes than a bad line end.
  template <typename Check>
  Step line(Part part, Check check);
  Step begin_message();  // skips empty lines; kMore when nothing begins
  Step request_line(std::string_view t, size_t base, bool complete, Message* m);
  Step field_line(std::string_view t, size_t base, bool complete, Part part, Field* f);
  Step content_length(std::string_view value, size_t base, bool complete);
  Step field_section(Part part, std::vector<Field>* out);
  Step framing(Message* m);
  Step chunk_line(std::string_view t, size_t base, bool complete, uint64_t* size);
  Step chunk_ext(std::string_view t, size_t i, size_t base, bool complete);
  Step chunked_body(Message* m);
  size_t offset_of(std::string_view v) const { return static_cast<size_t>(v.data() - in_.data()); }

  std::string_view in_;
  size_t pos_ = 0;
  Result res_;
  bool seen_length_ = false;  // of the message being read
  uint64_t length_ = 0;
  Part reading_ = Part::kNone;  // what the reader is in
};

template <typename Check>
Step Reader::line(Part part, Check check) {
  reading_ = part;
  size_t i = pos_;
  while (i < in_.size() && in_[i] != '\r' && in_[i] != '\n') ++i;
  bool crlf = i + 1 < in_.size() && in_[i] == '\r' && in_[i + 1] == '\n';
  // A CR that ends the data can only be followed by LF: the content before
  // it is the whole line.
  bool cr_last = i + 1 == in_.size() && in_[i] == '\r';
  Step s = check(in_.substr(pos_, i - pos_), pos_, crlf || cr_last);
  if (s != Step::kOk) return s;
  if (crlf) {
    pos_ = i + 2;
    return Step::kOk;
  }
  if (i == in_.size() || cr_last) return Step::kMore;
  return fail(in_[i] == '\n' ? Rule::kBareLF : Rule::kBareCR, part, i);
}

Step Reader::begin_message() {
  // RFC 9112 2.2: a server SHOULD ignore empty lines before a request-line.
  while (pos_ < in_.size()) {
    if (in_[pos_] == '\n') return fail(Rule::kBareLF, Part::kStartLine, pos_);
    if (in_[pos_] != '\r') return Step::kOk;
    if (pos_ + 1 == in_.size()) return Step::kMore;
    if (in_[pos_ + 1] != '\n') return fail(Rule::kBareCR, Part::kStartLine, pos_);
    pos_ += 2;
  }
  return Step::kMore;
}

Step Reader::request_line(std::string_view t, size_t base, bool complete, Message* m) {
  const Part part = Part::kStartLine;
  size_t i = 0;
  while (i < t.size() && is_tchar(t[i])) ++i;
  if (i == t.size()) return complete ? fail(Rule::kRequestLine, part, base + i) : Step::kOk;
  if (t[i] != ' ') return fail(is_ws(t[i]) && i > 0 ? Rule::kRequestLine : Rule::kMethod, part, base + i);
  if (i == 0) return fail(Rule::kRequestLine, part, base);
  m->method = t.substr(0, i);
  size_t ts = ++i;
  // The request-target ends at the next SP. A byte outside the URI
  // alphabet is refused once the head is read, and noted at once so that a
  // partial target already carries the refusal.
  while (i < t.size() && t[i] != ' ') {
    Byte c = t[i];
    if (c < 0x20 || c == 0x7f) refuse(m, Rule::kTarget);
    if (!is_pchar(c) && !in_set(c, "/?%[]")) refuse(m, Rule::kTargetForm);
    ++i;
  }
  if (i == t.size()) return complete ? fail(Rule::kRequestLine, part, base + i) : Step::kOk;
  if (i == ts) return fail(Rule::kRequestLine, part, base + i);
  m->target = t.substr(ts, i - ts);
  if (!valid_target(m->method, m->target)) refuse(m, Rule::kTargetForm);
  ++i;
  static const char kPattern[] = "HTTP/d.d";
  for (size_t k = 0; k < sizeof kPattern - 1; ++k, ++i) {
    if (i == t.size()) return complete ? fail(Rule::kVersion, part, base + i) : Step::kOk;
    bool ok = kPattern[k] == 'd' ? is_digit(t[i]) : t[i] == kPattern[k];
    if (!ok) return fail(Rule::kVersion, part, base + i);
  }
  if (i < t.size()) return fail(Rule::kRequestLine, part, base + i);
  m->major = t[i - 3] - '0';
  m->minor = t[i - 1] - '0';
  // Another major version is well-formed but refused: a 1.1 server answers
  // it with 505 (RFC 9112 2.3). The model reads on as HTTP/1.
  if (m->major != 1) refuse(m, Rule::kVersion);
  return Step::kOk;
}

Step Reader::field_line(std::string_view t, size_t base, bool complete, Part part, Field* f) {
  if (t.empty()) return Step::kOk;  // the empty line ending the section, or nothing yet
  if (is_ws(t[0])) return fail(Rule::kObsFold, part, base);
  size_t i = 0;
  while (i < t.size() && is_tchar(t[i])) ++i;
  if (i == t.size()) return complete ? fail(Rule::kFieldName, part, base + i) : Step::kOk;
  if (t[i] != ':') return fail(is_ws(t[i]) ? Rule::kSpaceBeforeColon : Rule::kFieldName, part, base + i);
  if (i == 0) return fail(Rule::kFieldName, part, base);
  for (size_t j = i + 1; j < t.size(); ++j)
    if (!is_field_vchar(t[j]) && !is_ws(t[j])) return fail(Rule::kFieldValue, part, base + j);
  f->name = t.substr(0, i);
  f->value = trim_ows(t.substr(i + 1));
  if (part == Part::kFields && iequals(f->name, "content-length"))
    return content_length(t.substr(i + 1), base + i + 1, complete);
  return Step::kOk;
}

// Content-Length = 1*DIGIT, one field only (RFC 9112 6.3 and the strict
// reading of RFC 9110 8.6), checked byte by byte as a streaming parser can.
Step Reader::content_length(std::string_view v, size_t base, bool complete) {
  if (seen_length_) return fail(Rule::kDuplicateLength, Part::kFields, base);
  size_t i = 0;
  while (i < v.size() && is_ws(v[i])) ++i;
  size_t digits = i;
  uint64_t n = 0;
  for (; i < v.size() && is_digit(v[i]); ++i) {
    Byte d = static_cast<Byte>(v[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return fail(Rule::kContentLength, Part::kFields, base + i);
    n = n * 10 + d;
  }
  bool none = i == digits;
  while (i < v.size() && is_ws(v[i])) ++i;
  if (i < v.size()) return fail(Rule::kContentLength, Part::kFields, base + i);
  if (!complete) return Step::kOk;
  if (none) return fail(Rule::kContentLength, Part::kFields, base + i);
  seen_length_ = true;
  length_ = n;
  return Step::kOk;
}

Step Reader::field_section(Part part, std::vector<Field>* out) {
  for (;;) {
    Field f;
    bool empty = false;
    Step s = line(part, [&](std::string_view t, size_t base, bool complete) {
      empty = complete && t.empty();
      return field_line(t, base, complete, part, &f);
    });
    if (s != Step::kOk || empty) return s;
    out->push_back(f);
  }
}

// RFC 9112 6.1-6.3 at the end of the head, with the strict choice wherever
// a recipient may reject; Content-Length was checked line by line.
Step Reader::framing(Message* m) {
  const Field* coding_field = nullptr;
  std::vector<std::string_view> codings;
  size_t hosts = 0;
  for (const Field& f : m->fields) {
    if (iequals(f.name, "transfer-encoding")) {
      if (coding_field == nullptr) coding_field = &f;
      // A list (RFC 9110 5.6.1): empty elements are ignored.
      std::string_view rest = f.value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view el = trim_ows(rest.substr(0, comma));
        if (!el.empty()) codings.push_back(el);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (iequals(f.name, "host")) {
      ++hosts;
      if (!valid_authority(f.value)) refuse(m, Rule::kHost);
    }
  }
  if (hosts > 1 || (m->minor >= 1 && hosts == 0)) refuse(m, Rule::kHost);
  if (coding_field != nullptr) {
    size_t at = offset_of(coding_field->name);
    if (m->minor == 0) return fail(Rule::kTransferCoding10, Part::kFields, at);
    if (seen_length_) return fail(Rule::kLengthWithChunked, Part::kFields, at);
    // Chunked must be the final coding (RFC 9112 6.3: MUST 400). The model
    // implements no other coding, so any other is refused too (RFC 9112
    // 6.1: 501), as is chunked twice (RFC 9112 7.1).
    if (codings.empty() || !iequals(codings.back(), "chunked"))
      return fail(Rule::kTransferCoding, Part::kFields, at);
    if (codings.size() != 1) return fail(Rule::kOtherCoding, Part::kFields, at);
    m->framing = Framing::kChunked;
  } else if (seen_length_) {
    m->framing = Framing::kLength;
  }
  return Step::kOk;
}

Step Reader::chunk_line(std::string_view t, size_t base, bool complete, uint64_t* size) {
  size_t i = 0;
  *size = 0;
  while (i < t.size() && is_hex(t[i])) {
    if (*size > (UINT64_MAX >> 4)) return fail(Rule::kChunkSize, Part::kChunkLine, base + i);
    *size = (*size << 4) | static_cast<uint64_t>(hex_value(t[i]));
    ++i;
  }
  if (i == 0) {
    if (t.empty()) return complete ? fail(Rule::kChunkSize, Part::kChunkLine, base) : Step::kOk;
    return fail(Rule::kChunkSize, Part::kChunkLine, base);
  }
  if (i < t.size() && !is_ws(t[i]) && t[i] != ';') return fail(Rule::kChunkSize, Part::kChunkLine, base + i);
  return chunk_ext(t, i, base, complete);
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// chunk-ext-val = token / quoted-string
Step Reader::chunk_ext(std::string_view t, size_t i, size_t base, bool complete) {
  const Part part = Part::kChunkLine;
  auto end_or_fail = [&](size_t at) { return complete ? fail(Rule::kChunkExt, part, base + at) : Step::kOk; };
  auto skip_ws = [&](size_t k) {
    while (k < t.size() && is_ws(t[k])) ++k;
    return k;
  };
  for (;;) {
    size_t k = skip_ws(i);
    if (k == t.size()) return k == i ? Step::kOk : end_or_fail(k);  // BWS must precede ';'
    if (t[k] != ';') return fail(Rule::kChunkExt, part, base + k);
    k = skip_ws(k + 1);
    size_t name = k;
    while (k < t.size() && is_tchar(t[k])) ++k;
    if (k == t.size()) return k == name ? end_or_fail(k) : Step::kOk;
    if (k == name) return fail(Rule::kChunkExt, part, base + k);
    i = k;
    k = skip_ws(k);
    if (k == t.size()) return k == i ? Step::kOk : end_or_fail(k);
    if (t[k] != '=') continue;  // the next extension, or a bad byte found there
    k = skip_ws(k + 1);
    if (k == t.size()) return end_or_fail(k);
    if (t[k] == '"') {
      // quoted-string: qdtext / quoted-pair, up to the closing DQUOTE.
      for (++k;; ++k) {
        if (k == t.size()) return end_or_fail(k);
        Byte c = t[k];
        if (c == '"') break;
        if (c == '\\') {
          if (++k == t.size()) return end_or_fail(k);
          c = t[k];
          if (!is_field_vchar(c) && !is_ws(c)) return fail(Rule::kChunkExt, part, base + k);
        } else if (!is_ws(c) && !(c >= 0x21 && c != 0x7f && c != '"' && c != '\\')) {
          return fail(Rule::kChunkExt, part, base + k);
        }
      }
      i = k + 1;
    } else {
      size_t value = k;
      while (k < t.size() && is_tchar(t[k])) ++k;
      if (k == value) return fail(Rule::kChunkExt, part, base + k);
      i = k;
    }
  }
}

Step Reader::chunked_body(Message* m) {
  for (;;) {
    uint64_t size = 0;
    Step s = line(Part::kChunkLine, [&](std::string_view t, size_t base, bool complete) {
      return chunk_line(t, base, complete, &size);
    });
    if (s != Step::kOk) return s;
    if (size == 0) return field_section(Part::kTrailers, &m->trailers);
    reading_ = Part::kChunkData;
    if (size > in_.size() - pos_) return Step::kMore;
    m->body.append(in_.data() + pos_, static_cast<size_t>(size));
    pos_ += static_cast<size_t>(size);
    if (pos_ == in_.size()) return Step::kMore;
    if (in_[pos_] == '\n') return fail(Rule::kBareLF, Part::kChunkData, pos_);
    if (in_[pos_] != '\r') return fail(Rule::kChunkData, Part::kChunkData, pos_);
    if (pos_ + 1 == in_.size()) return Step::kMore;
    if (in_[pos_ + 1] != '\n') return fail(Rule::kBareCR, Part::kChunkData, pos_);
    pos_ += 2;
  }
}

Result Reader::run() {
  for (;;) {
    Step s = begin_message();
    if (s == Step::kBad) break;
    if (s == Step::kMore) return res_;  // between messages: complete
    res_.partial_start = pos_;
    Message& m = res_.partial;
    m = Message();
    seen_length_ = false;
    length_ = 0;
    s = line(Part::kStartLine, [&](std::string_view t, size_t base, bool complete) {
      return request_line(t, base, complete, &m);
    });
    if (s == Step::kOk) s = field_section(Part::kFields, &m.fields);
    if (s == Step::kOk) s = framing(&m);
    if (s == Step::kOk && m.framing == Framing::kChunked) s = chunked_body(&m);
    if (s == Step::kOk && m.framing == Framing::kLength) {
      reading_ = Part::kBody;
      if (length_ > in_.size() - pos_) {
        s = Step::kMore;
      } else {
        m.body.assign(in_.data() + pos_, static_cast<size_t>(length_));
        pos_ += static_cast<size_t>(length_);
      }
    }
    if (s == Step::kMore) {
      res_.outcome = Outcome::kIncomplete;
      res_.part = reading_;
      return res_;
    }
    if (s == Step::kBad) break;
    m.end = pos_;
    res_.messages.push_back(std::move(m));
  }
  res_.outcome = Outcome::kRejected;
  return res_;
}

}  // namespace

const char* rule_name(Rule r) {
  static const char* const kNames[] = {
      "none",         "bare_cr",          "bare_lf",          "request_line",
      "method",       "target",           "target_form",      "version",
      "field_name",   "space_before_colon", "field_value",    "obs_fold",
      "content_length", "duplicate_length", "length_with_chunked", "transfer_coding",
      "other_coding", "transfer_coding_10", "host",           "chunk_size",
      "chunk_ext",    "chunk_data"};
  static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(Rule::kChunkData) + 1,
                "a name for every rule");
  return kNames[static_cast<size_t>(r)];
}

const char* part_name(Part p) {
  static const char* const kNames[] = {"none",       "start_line", "fields",   "chunk_line",
                                       "chunk_data", "trailers",   "body"};
  return kNames[static_cast<size_t>(p)];
}

Result parse_requests(std::string_view in) { return Reader(in).run(); }

}  // namespace gantry::fuzz::rfc9112
