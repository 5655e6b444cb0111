#pragma once
// A strict reference model of HTTP/1.1 request framing, written from the ABNF
// of RFC 9112 (message syntax, request-line, field lines, Content-Length and
// chunked framing, trailer section) and the field syntax of RFC 9110 it
// imports. It is the oracle of the http_diff fuzz target: it shares no code
// with gantry's parser and knows nothing of llhttp.
//
// Where the RFCs leave a recipient the choice between rejecting and repairing
// (obs-fold, a repeated Content-Length, Content-Length next to
// Transfer-Encoding, a transfer coding other than chunked), the model takes
// the strict one and rejects. Where they say a server SHOULD ignore something
// (empty lines before a request-line) it ignores it. It has no size limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::fuzz::rfc9112 {

// The rule an input breaks. The first offending byte decides which.
enum class Rule : uint8_t {
  kNone,
  kBareCR,             // CR not followed by LF
  kBareLF,             // LF not preceded by CR
  kRequestLine,        // not method SP request-target SP HTTP-version
  kMethod,             // method is not a token
  kTarget,             // (a refusal) a control byte or tab in the request-target
  kTargetForm,         // (a refusal) request-target in none of the forms of RFC 9112 3.2
  kVersion,            // not HTTP/DIGIT.DIGIT, or (a refusal) a major version other than 1
  kFieldName,          // empty or not a token, or no colon
  kSpaceBeforeColon,   // whitespace between field name and colon (RFC 9112 5.1: MUST reject)
  kFieldValue,         // a byte that is not field-vchar, SP or HTAB (NUL, controls)
  kObsFold,            // a line that starts with whitespace (obs-fold, or before the first field)
  kContentLength,      // Content-Length not 1*DIGIT, or larger than 2^64-1
  kDuplicateLength,    // more than one Content-Length field
  kLengthWithChunked,  // Content-Length and Transfer-Encoding together
  kTransferCoding,     // Transfer-Encoding whose final coding is not chunked
  kOtherCoding,        // a coding besides the final chunked (or chunked twice)
  kTransferCoding10,   // Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)
  kHost,               // (a refusal) no Host in HTTP/1.1, two Hosts, or an invalid one
  kChunkSize,          // chunk-size not 1*HEXDIG or larger than 2^64-1
  kChunkExt,           // chunk-ext not *( BWS ";" BWS name [ BWS "=" BWS value ] )
  kChunkData,          // chunk-data not followed by CRLF
};

// Where in the message the rule broke, or the reading stopped.
enum class Part : uint8_t { kNone, kStartLine, kFields, kChunkLine, kChunkData, kTrailers, kBody };

const char* rule_name(Rule r);
const char* part_name(Part p);

struct Field {
  std::string_view name;   // as received
  std::string_view value;  // without leading and trailing OWS
};

enum class Framing : uint8_t { kNone, kLength, kChunked };

struct Message {
  std::string_view method;
  std::string_view target;
  int major = 1;  // HTTP/major.minor
  int minor = 1;
  std::vector<Field> fields;
  std::vector<Field> trailers;
  Framing framing = Framing::kNone;
  std::string body;  // the payload, chunked framing removed
  size_t end = 0;    // offset just past the message
  // Rules whose breach does not stop the reading because it cannot move a
  // message boundary (kTarget, kTargetForm, kHost, kVersion for a major
  // version other than 1): a strict server refuses such a message once its head is
  // read, but where it ends is still known. A target byte outside the URI
  // alphabet is a refusal as soon as it is read.
  std::vector<Rule> refusals;
};

enum class Outcome : uint8_t {
  kComplete,    // the input is whole messages (and empty lines between them)
  kIncomplete,  // ... followed by a valid beginning of one more message
  kRejected,    // ... followed by bytes no valid message can start with
};

struct Result {
  std::vector<Message> messages;
  Outcome outcome = Outcome::kComplete;
  Rule rule = Rule::kNone;  // kRejected: the rule broken
  Part part = Part::kNone;  // kRejected: where; kIncomplete: what it was reading
  size_t at = 0;  // kRejected: offset of the first offending byte
  // What was read of the message that is incomplete or rejected: method once
  // its token ended, target and version once the request-line did.
  Message partial;
  size_t partial_start = 0;  // offset where that message began
};

// Reads as many pipelined requests from `in` as it holds. Views in the
// result point into `in`.
Result parse_requests(std::string_view in);

}  // namespace gantry::fuzz::rfc9112
