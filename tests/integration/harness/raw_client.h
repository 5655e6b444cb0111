#pragma once
// A blocking TCP client that speaks bytes, not HTTP: it sends exactly what a
// test gives it (in one write or in pieces) and parses what comes back as a
// sequence of HTTP/1.1 responses, telling "answered", "closed" and "timed out"
// apart.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/http_message.h"
#include "harness/message_reader.h"

namespace gantry::itest {

using std::chrono::milliseconds;

enum class ReadStatus {
  kResponse,  // a complete response was read
  kClosed,    // the peer closed (or reset) before a complete response
  kTimeout,   // nothing complete within the timeout; connection still open
  kError,     // bytes arrived that are not a valid HTTP/1.1 response
};
const char* to_string(ReadStatus s);

struct ReadResult {
  ReadStatus status = ReadStatus::kTimeout;
  HttpMessage response;  // valid when status == kResponse
  std::string error;     // parse error or errno text
  bool partial = false;  // kClosed/kTimeout after some bytes of a response
  bool ok() const { return status == ReadStatus::kResponse; }
};

class RawClient {
 public:
  RawClient() : reader_(MessageReader::Kind::kResponse) {}
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connect(uint16_t port, milliseconds timeout = milliseconds(5000));
  // From a chosen loopback address (127.0.0.5...), as a distinct client.
  bool connect_from(const std::string& source_ip, uint16_t port,
                    milliseconds timeout = milliseconds(5000));
  bool connected() const { return fd_ >= 0; }
  // Sends all bytes in one write call where the kernel allows.
  bool send(const std::string& bytes);
  // Sends each piece with its own write, pausing between them so the pieces
  // arrive as separate segments. The pause is not a timing assertion.
  bool send_pieces(const std::vector<std::string>& pieces, milliseconds pause = milliseconds(20));
  void shutdown_write();
  void close();

  // Reads the next response (interim 1xx included, see read_final_response).
  // `head_request`: the response answers a HEAD request and has no body.
  ReadResult read_response(milliseconds timeout = milliseconds(10000), bool head_request = false);
  // Like read_response, but skips 100 Continue-style interim responses (not 101).
  ReadResult read_final_response(milliseconds timeout = milliseconds(10000),
                                 bool head_request = false);
  // True when the peer closes (EOF or reset) within the timeout. Any bytes
  // arriving meanwhile are kept in received().
  bool wait_closed(milliseconds timeout = milliseconds(10000));
  // True once the peer has closed (as seen by a read so far).
  bool peer_closed() const { return eof_; }
  // Every byte received on this connection.
  const std::string& received() const { return received_; }
  int fd() const { return fd_; }

 private:
  // Reads once (waiting at most `timeout`); false on timeout.
  bool fill(milliseconds timeout);

  int fd_ = -1;
  bool eof_ = false;
  std::string error_;
  std::string received_;
  MessageReader reader_;
};

// One request on a fresh connection: send `request`, read one response.
// With an lvalue port variable, call it as itest::exchange: argument-dependent
// lookup also finds std::exchange, which wins overload resolution there.
ReadResult exchange(uint16_t port, const std::string& request,
                    milliseconds timeout = milliseconds(10000));

// A minimal "GET path" request with Host and optional extra header lines
// ("Name: value\r\n" each).
std::string get_request(const std::string& path, const std::string& host = "localhost",
                        const std::string& extra_headers = "");

}  // namespace gantry::itest
