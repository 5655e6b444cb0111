#include "harness/message_reader.h"

#include <cctype>
#include <cstring>

namespace gantry::itest {
namespace {

bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

bool is_version(std::string_view s) {
  return s.size() == 8 && s.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(s[5])) &&
         s[6] == '.' && std::isdigit(static_cast<unsigned char>(s[7]));
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (unsigned char c : s)
    if (!std::isdigit(c)) return false;
  return true;
}

// The last transfer coding of a (possibly comma-separated) Transfer-Encoding.
std::string last_coding(const std::string& te) {
  auto comma = te.rfind(',');
  std::string_view last = comma == std::string::npos ? std::string_view(te)
                                                     : std::string_view(te).substr(comma + 1);
  return to_lower(std::string(trim_ows(last)));
}

}  // namespace

MessageReader::Step MessageReader::fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return Step::kError;
}

HttpMessage MessageReader::take() {
  HttpMessage out = std::move(msg_);
  msg_ = HttpMessage();
  if (kind_ == Kind::kResponse && (out.status < 100 || out.status >= 200 || out.status == 101))
    head_response_ = false;
  if (state_ == State::kDone) state_ = State::kHead;
  compact();
  return out;
}

void MessageReader::compact() {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > (1u << 20))) {
    buf_.erase(0, pos_);
    head_scan_ = head_scan_ > pos_ ? head_scan_ - pos_ : 0;
    pos_ = 0;
  }
}

MessageReader::Step MessageReader::step(bool eof) {
  if (state_ == State::kError) return Step::kError;
  if (state_ == State::kDone) return Step::kComplete;
  if (state_ == State::kHead) {
    Step s = parse_head();
    if (s == Step::kNeedMore && eof && pending() > 0) return fail("connection closed inside a message head");
    if (s != Step::kHead) return s;
    if (state_ == State::kDone) return Step::kComplete;
    return Step::kHead;
  }
  return parse_body(eof);
}

MessageReader::Step MessageReader::parse_head() {
  size_t from = head_scan_ > pos_ ? head_scan_ : pos_;
  size_t end = buf_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    head_scan_ = buf_.size() >= 3 ? buf_.size() - 3 : 0;
    if (pending() > max_head_) return fail("message head larger than the reader accepts");
    return Step::kNeedMore;
  }
  std::string_view head(buf_.data() + pos_, end + 4 - pos_);
  msg_.raw_head.assign(head.data(), head.size());
  pos_ = end + 4;
  head_scan_ = pos_;

  // Only CRLF line ends; no other control bytes but HTAB.
  for (size_t i = 0; i < head.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(head[i]);
    if (c == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) return fail("bare CR in head");
    if (c == '\n' && (i == 0 || head[i - 1] != '\r')) return fail("bare LF in head");
    if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
      return fail("control byte in head");
  }
  head.remove_suffix(4);
  size_t line_end = head.find("\r\n");
  if (!parse_start_line(head.substr(0, line_end))) return Step::kError;
  HeaderList headers;
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    if (!parse_header_line(head.substr(0, line_end), &msg_.headers)) return Step::kError;
  }
  if (!choose_body()) return Step::kError;
  return Step::kHead;
}

bool MessageReader::parse_start_line(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail("start line without SP") , false;
  if (kind_ == Kind::kRequest) {
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
      return fail("request line is not 'method SP target SP version'"), false;
    msg_.method = std::string(line.substr(0, sp1));
    msg_.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    msg_.version = std::string(line.substr(sp2 + 1));
    if (!is_token(msg_.method)) return fail("invalid method token"), false;
    if (msg_.target.empty()) return fail("empty request target"), false;
    if (!is_version(msg_.version)) return fail("invalid request version"), false;
    return true;
  }
  msg_.version = std::string(line.substr(0, sp1));
  if (!is_version(msg_.version)) return fail("invalid response version"), false;
  std::string_view rest = line.substr(sp1 + 1);
  std::string_view code = rest.substr(0, 3);
  if (code.size() != 3 || !all_digits(code) || (rest.size() > 3 && rest[3] != ' '))
    return fail("invalid status code"), false;
  msg_.status = std::stoi(std::string(code));
  msg_.reason = rest.size() > 4 ? std::string(rest.substr(4)) : "";
  return true;
}

bool MessageReader::parse_header_line(std::string_view line, HeaderList* out) {
  if (line.empty()) return fail("empty header line"), false;
  if (line[0] == ' ' || line[0] == '\t') return fail("obs-fold header line"), false;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail("header line without colon"), false;
  std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail("invalid header name '" + std::string(name) + "'"), false;
  out->emplace_back(std::string(name), std::string(trim_ows(line.substr(colon + 1))));
  return true;
}

bool MessageReader::choose_body() {
  bool response = kind_ == Kind::kResponse;
  if (response && ((msg_.status >= 100 && msg_.status < 200) || msg_.status == 204 ||
                   msg_.status == 304 || head_response_)) {
    state_ = State::kDone;
    msg_.complete = true;
    return true;
  }
  size_t te_count = msg_.header_count("Transfer-Encoding");
  size_t cl_count = msg_.header_count("Content-Length");
  if (te_count > 0 && cl_count > 0) return fail("both Transfer-Encoding and Content-Length"), false;
  if (cl_count > 1) return fail("more than one Content-Length"), false;
  if (te_count > 0) {
    if (last_coding(msg_.header_list("Transfer-Encoding")) == "chunked") {
      msg_.chunked = true;
      state_ = State::kChunkSize;
      return true;
    }
    if (!response) return fail("request Transfer-Encoding not ending in chunked"), false;
    state_ = State::kUntilClose;
    return true;
  }
  if (cl_count == 1) {
    std::string cl = msg_.header("Content-Length");
    if (!all_digits(cl)) return fail("invalid Content-Length '" + cl + "'"), false;
    remaining_ = std::stoull(cl);
    state_ = remaining_ == 0 ? State::kDone : State::kLength;
    if (remaining_ == 0) msg_.complete = true;
    return true;
  }
  if (response) {
    state_ = State::kUntilClose;
  } else {
    state_ = State::kDone;
    msg_.complete = true;
  }
  return true;
}

MessageReader::Step MessageReader::parse_body(bool eof) {
  while (true) {
    switch (state_) {
      case State::kLength:
      case State::kChunkData: {
        size_t n = pending() < remaining_ ? pending() : static_cast<size_t>(remaining_);
        msg_.body.append(buf_, pos_, n);
        pos_ += n;
        remaining_ -= n;
        if (remaining_ > 0) {
          compact();
          return eof ? fail("connection closed inside a body") : Step::kNeedMore;
        }
        state_ = state_ == State::kLength ? State::kDone : State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd:
        if (pending() < 2) return eof ? fail("connection closed inside a chunk") : Step::kNeedMore;
        if (buf_.compare(pos_, 2, "\r\n") != 0) return fail("chunk data not followed by CRLF");
        pos_ += 2;
        state_ = State::kChunkSize;
        break;
      case State::kChunkSize: {
        size_t eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos) {
          if (pending() > 4096) return fail("chunk size line too long");
          return eof ? fail("connection closed inside a chunk size") : Step::kNeedMore;
        }
        std::string_view line(buf_.data() + pos_, eol - pos_);
        size_t semi = line.find(';');
        std::string_view hex = line.substr(0, semi);
        if (hex.empty() || hex.size() > 15) return fail("invalid chunk size '" + std::string(line) + "'");
        uint64_t size = 0;
        for (unsigned char c : hex) {
          if (!std::isxdigit(c)) return fail("invalid chunk size '" + std::string(line) + "'");
          size = size * 16 + static_cast<uint64_t>(std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10);
        }
        if (line.find_first_of("\r\n") != std::string_view::npos) return fail("CR/LF in chunk size line");
        pos_ = eol + 2;
        remaining_ = size;
        state_ = size == 0 ? State::kTrailers : State::kChunkData;
        break;
      }
      case State::kTrailers: {
        size_t eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos)
          return eof ? fail("connection closed inside trailers") : Step::kNeedMore;
        std::string_view line(buf_.data() + pos_, eol - pos_);
        pos_ = eol + 2;
        if (line.empty()) {
          state_ = State::kDone;
          break;
        }
        if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
          return fail("bare CR/LF in trailers");
        if (!parse_header_line(line, &msg_.trailers)) return Step::kError;
        break;
      }
      case State::kUntilClose:
        msg_.body.append(buf_, pos_, pending());
        pos_ = buf_.size();
        compact();
        if (!eof) return Step::kNeedMore;
        state_ = State::kDone;
        break;
      case State::kDone:
        msg_.complete = true;
        return Step::kComplete;
      case State::kHead:
      case State::kError:
        return state_ == State::kError ? Step::kError : Step::kNeedMore;
    }
  }
}

}  // namespace gantry::itest
