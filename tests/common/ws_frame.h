#pragma once
// One RFC 6455 frame as a client (masked, fixed key) or a server sends it;
// shared by the WebSocket unit and integration tests.
#include <cstdint>
#include <string>

namespace gantry::test {

inline std::string ws_frame(uint8_t opcode, const std::string& payload, bool fin = true,
                            bool masked = false) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  uint8_t m = masked ? 0x80 : 0;
  uint64_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(m | n);
  } else if (n < 65536) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};
  if (masked) f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return f;
}

}  // namespace gantry::test
