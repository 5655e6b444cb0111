#pragma once
// After a 101: bytes relayed both ways with back-pressure, half-close
// propagation, and one idle deadline for both sides on the worker's clock
// (any byte either way pushes it back, so a timeout means both were quiet).
// Modules may observe the bytes in place; nothing is copied or reassembled.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exchange/downstream.h"
#include "loop/deadline_clock.h"
#include "upstream/upstream_conn.h"

namespace gantry::exchange {

class TunnelOwner {
 public:
  virtual ~TunnelOwner() = default;
  // Bytes about to cross (GANTRY_DIR_*): false cuts the tunnel.
  virtual bool observe(uint32_t dir, const char* p, size_t n) = 0;
  // The tunnel ended with `cause` (the log's termination).
  virtual void tunnel_ended(const char* cause) = 0;
};

class Tunnel final : public upstream::UpstreamEvents, private loop::DeadlineClock::Entry {
 public:
  struct Timeouts {
    uint64_t idle_ms = 0;  // 0: none
    uint64_t fin_ms = 0;   // one side closed: how long the other may go on
  };

  Tunnel(TunnelOwner* owner, Downstream* down, upstream::UpstreamConn* up,
         loop::DeadlineClock* clock, Timeouts t);
  ~Tunnel() override;
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  // Bytes that came with the switch, each way.
  void start(const char* server_bytes, size_t n, const std::string& client_bytes);
  void from_client(const char* p, size_t n);
  void client_eof();
  void on_downstream_drained();
  void on_client_timeout() { timed_out(); }
  // Bytes a module sends into the tunnel (host->tunnel_send); false once the
  // tunnel is closing.
  bool inject(uint32_t dir, const char* p, size_t n);
  // The client connection failed.
  void close(const char* cause);

 private:
  // Which sides have finished sending; kClosing*: a module ended the tunnel
  // after writing into it, and both directions drain and shut down.
  enum class Ends : uint8_t { kOpen, kClientDone, kServerDone, kClosing, kClosingHalf, kClosed };
  // How a module's refusal ends the tunnel: at once, or (once it wrote into
  // the tunnel) after what it wrote is sent.
  enum class Refusal : uint8_t { kCut, kDrain };

  void on_upstream_ready() override {}
  void on_upstream_connect_failed(int) override {}
  void on_upstream_data(const char* p, size_t n) override;
  void on_upstream_eof() override;
  void on_upstream_error(int err) override;
  void on_upstream_timeout() override;
  void on_upstream_drained() override;
  static void on_deadline(loop::DeadlineClock::Entry* e);
  void timed_out();
  void touch();
  void refused();
  bool closing() const { return ends_ == Ends::kClosing || ends_ == Ends::kClosingHalf; }
  void closing_eof();

  TunnelOwner* owner_;
  Downstream* down_;
  upstream::UpstreamConn* up_;
  loop::DeadlineClock* clock_;
  Timeouts timeouts_;
  Ends ends_ = Ends::kOpen;
  Refusal refusal_ = Refusal::kCut;
};

}  // namespace gantry::exchange
