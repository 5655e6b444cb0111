#!/usr/bin/python3
"""Crafted HTTP/2 frames against an h2c listener, one case per run.

usage: h2_probe.py PORT CASE

Frames are built by hand (HPACK from python3-hpack) so that malformed
requests and floods reach the server exactly as written, which a client
library would refuse to send. Prints one JSON line:
  {"case", "status": first response :status or null,
   "reset": RST_STREAM error code on stream 1 or null,
   "goaway": GOAWAY error code or null, "closed": the server closed,
   "frames": frames read, "statuses": {stream id: its response's :status}}
"""
import json
import socket
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream & 0x7FFFFFFF) + payload


def encode(fields):
    # Literal fields, no indexing: every name and value goes on the wire
    # byte for byte (upper case, CR, LF and NUL included).
    enc = hpack.Encoder()
    out = b""
    for name, value in fields:
        out += enc.encode([(name, value)], huffman=False)
    return out


def request(path="/", method="GET", extra=(), authority="localhost"):
    return [(":method", method), (":scheme", "http"), (":path", path),
            (":authority", authority)] + list(extra)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.dec = hpack.Decoder()
        self.result = {"status": None, "reset": None, "goaway": None, "closed": False,
                       "frames": 0, "statuses": {}}
        self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            self.result["closed"] = True
            return False

    def read(self, seconds=3.0, until=None):
        """Reads frames for up to `seconds`, or until until(result) holds."""
        end = time.time() + seconds
        while time.time() < end and not self.result["closed"]:
            if until is not None and until(self.result):
                return
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                self.result["closed"] = True
                return
            if not chunk:
                self.result["closed"] = True
                return
            self.buf += chunk
            self._frames()

    def _frames(self):
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + length:
                return
            ftype, flags = self.buf[3], self.buf[4]
            stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            self.result["frames"] += 1
            if ftype == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))
            elif ftype == HEADERS:
                # Every block is decoded, in order: the server's HPACK table
                # is the connection's.
                block = payload
                if flags & 0x8:  # PADDED
                    block = block[1:len(block) - block[0]]
                if flags & 0x20:  # PRIORITY
                    block = block[5:]
                try:
                    for name, value in self.dec.decode(block):
                        if name in (":status", b":status"):
                            self.result["statuses"].setdefault(str(stream), int(value))
                            if stream == 1 and self.result["status"] is None:
                                self.result["status"] = int(value)
                except Exception:  # noqa: BLE001 - a later block may depend on this one
                    pass
            elif ftype == RST_STREAM and stream == 1 and self.result["reset"] is None:
                self.result["reset"] = int.from_bytes(payload[:4], "big")
            elif ftype == GOAWAY:
                self.result["goaway"] = int.from_bytes(payload[4:8], "big")


def answered(r):
    return r["status"] is not None or r["reset"] is not None or r["goaway"] is not None


def headers_case(port, fields, body=None, end_stream=None):
    c = Conn(port)
    if end_stream is None:
        end_stream = body is None
    c.send(frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), 1, encode(fields)))
    if body is not None:
        c.send(frame(DATA, END_STREAM, 1, body))
    c.read(3.0, until=answered)
    return c.result


def flood(port, make, count, batch=100):
    """Sends count frames from make(i) in batches; reads what comes back."""
    c = Conn(port)
    sent = 0
    while sent < count and not c.result["closed"] and c.result["goaway"] is None:
        chunk = b"".join(make(sent + i) for i in range(min(batch, count - sent)))
        if not c.send(chunk):
            break
        sent += batch
        c.read(0.01)
    c.read(3.0, until=lambda r: r["goaway"] is not None)
    c.result["sent"] = sent
    return c.result


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    r = None
    if case == "get":
        r = headers_case(port, request("/probe"))
    elif case == "post_no_length":
        r = headers_case(port, request("/upload", "POST"), body=b"hello h2")
    elif case == "cl_mismatch":
        r = headers_case(port, request("/x", "POST", [("content-length", "10")]), body=b"short")
    elif case == "te_header":
        r = headers_case(port, request("/x", "POST", [("transfer-encoding", "chunked")]),
                         body=b"5\r\nhello\r\n0\r\n\r\n")
    elif case == "connection_header":
        r = headers_case(port, request("/x", extra=[("connection", "keep-alive")]))
    elif case == "crlf_value":
        r = headers_case(port, request("/x", extra=[("x-a", "1\r\nx-injected: 1")]))
    elif case == "lf_value":
        r = headers_case(port, request("/x", extra=[("x-a", "1\nx-injected: 1")]))
    elif case == "nul_value":
        r = headers_case(port, request("/x", extra=[("x-a", "1\x002")]))
    elif case == "uppercase_name":
        r = headers_case(port, request("/x", extra=[("X-Upper", "1")]))
    elif case == "path_no_slash":
        r = headers_case(port, request("x/y"))
    elif case == "pseudo_after_regular":
        fields = request("/x")
        r = headers_case(port, [fields[0], ("x-a", "1")] + fields[1:])
    elif case == "duplicate_path":
        r = headers_case(port, request("/x") + [(":path", "/y")])
    elif case == "unknown_pseudo":
        r = headers_case(port, request("/x") + [(":foo", "bar")])
    elif case == "missing_method":
        r = headers_case(port, request("/x")[1:])
    elif case == "stalled_body":
        # Ten bytes of a hundred, then nothing: the server answers 408 after
        # client_body and resets the stream with NO_ERROR, keeping the
        # connection; a request on the same connection still works.
        c = Conn(port)
        start = time.time()
        c.send(frame(HEADERS, END_HEADERS, 1,
                     encode(request("/stall", "POST", [("content-length", "100")]))))
        c.send(frame(DATA, 0, 1, b"0123456789"))
        c.read(10.0, until=lambda x: x["status"] is not None and x["reset"] is not None)
        r = c.result
        r["elapsed"] = round(time.time() - start, 2)
        c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, encode(request("/after"))))
        c.read(5.0, until=lambda x: "3" in x["statuses"])
    elif case == "rapid_reset":
        # HEADERS then RST_STREAM(CANCEL) at once, stream after stream.
        def make(i):
            sid = 1 + 2 * i
            return frame(HEADERS, END_HEADERS | END_STREAM, sid, encode(request("/rr"))) + \
                frame(RST_STREAM, 0, sid, struct.pack(">I", 8))
        r = flood(port, make, 5000)
    elif case == "made_you_reset":
        # A complete request, then a frame that makes the server reset the
        # stream itself (DATA after END_STREAM: STREAM_CLOSED), while the
        # backend still works on the request.
        def make(i):
            sid = 1 + 2 * i
            return frame(HEADERS, END_HEADERS | END_STREAM, sid, encode(request("/myr"))) + \
                frame(DATA, 0, sid, b"x")
        r = flood(port, make, 5000)
    elif case == "continuation_flood":
        # One header block that never ends: HEADERS without END_HEADERS,
        # then CONTINUATION frames of fresh fields.
        c = Conn(port)
        c.send(frame(HEADERS, 0, 1, encode(request("/cf"))))
        field = encode([("x-flood", "v" * 100)])
        sent = 0
        while sent < 20000 and not c.result["closed"] and c.result["goaway"] is None:
            if not c.send(b"".join(frame(CONTINUATION, 0, 1, field) for _ in range(200))):
                break
            sent += 200
            c.read(0.01)
        c.read(3.0, until=lambda x: x["goaway"] is not None or x["closed"])
        r = c.result
        r["sent"] = sent
    elif case == "ping_flood":
        r = flood(port, lambda i: frame(PING, 0, 0, struct.pack(">Q", i)), 20000)
    elif case == "settings_flood":
        r = flood(port, lambda i: frame(SETTINGS, 0, 0, struct.pack(">HI", 0x3, 100)), 20000)
    elif case == "empty_data_flood":
        c = Conn(port)
        c.send(frame(HEADERS, END_HEADERS, 1, encode(request("/ed", "POST"))))
        sent = 0
        while sent < 20000 and not c.result["closed"] and c.result["goaway"] is None:
            if not c.send(frame(DATA, 0, 1) * 200):
                break
            sent += 200
            c.read(0.01)
        c.read(3.0, until=lambda x: x["goaway"] is not None)
        r = c.result
        r["sent"] = sent
    else:
        print("unknown case " + case, file=sys.stderr)
        return 2
    r["case"] = case
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
