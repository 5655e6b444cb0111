#!/usr/bin/env python3
"""The one backend behind every proxy of bench/conformance_diff.sh.

It reads what a proxy forwards as strictly as RFC 9112 allows: CRLF line
ends only, token field names, no obs-fold, no control bytes in values, one
Content-Length or exactly "Transfer-Encoding: chunked", well-formed chunk
lines. Every request is recorded (method, target, body, or why it could not
be read) and answered "200 OK" on a kept-alive connection; bytes it cannot
read are recorded as an error, answered 400, and the connection is closed.

GET /__records returns every record so far as JSON (and is not recorded
itself). Standard library only; binds to 127.0.0.1.

Usage: recording_backend.py PORT
"""
import json
import re
import socket
import socketserver
import sys
import threading

TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
REQUEST_LINE = re.compile(rb"(" + TOKEN + rb") ([\x21-\x7e]+) HTTP/1\.([01])")
FIELD_LINE = re.compile(rb"(" + TOKEN + rb"):[ \t]*(.*?)[ \t]*")
BAD_VALUE_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})((?:;" + TOKEN + rb"(?:=(?:" + TOKEN + rb'|"[^"\\\r\n]*"))?)*)')

records = []
records_lock = threading.Lock()


class Incomplete(Exception):
    """More bytes are needed."""


class Malformed(Exception):
    """The bytes cannot be a request."""


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def line(self):
        end = self.data.find(b"\r\n", self.pos)
        if end < 0:
            if b"\n" in self.data[self.pos:] or re.search(rb"\r[^\n]", self.data[self.pos:]):
                raise Malformed("bare CR or LF")
            raise Incomplete()
        text = self.data[self.pos:end]
        if b"\r" in text or b"\n" in text:
            raise Malformed("bare CR or LF")
        self.pos = end + 2
        return text

    def take(self, n):
        if len(self.data) - self.pos < n:
            raise Incomplete()
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def fields(self):
        out = []
        while True:
            text = self.line()
            if text == b"":
                return out
            if text[:1] in (b" ", b"\t"):
                raise Malformed("obs-fold")
            m = FIELD_LINE.fullmatch(text)
            if not m:
                raise Malformed("bad field line %r" % text[:60])
            if BAD_VALUE_BYTE.search(m.group(2)):
                raise Malformed("control byte in field value")
            out.append((m.group(1).decode().lower(), m.group(2)))


def read_request(data):
    """(request dict, bytes used) for the first request of data."""
    r = Reader(data)
    m = REQUEST_LINE.fullmatch(r.line())
    if not m:
        raise Malformed("bad request-line")
    method, target = m.group(1).decode(), m.group(2).decode("latin-1")
    fields = r.fields()
    names = [n for n, _ in fields]
    lengths = [v for n, v in fields if n == "content-length"]
    codings = [v for n, v in fields if n == "transfer-encoding"]
    if names.count("host") != 1 and m.group(3) == b"1":
        raise Malformed("not exactly one Host")
    body = b""
    if codings:
        if lengths or len(codings) != 1 or codings[0].lower() != b"chunked":
            raise Malformed("Transfer-Encoding other than one chunked, or with Content-Length")
        while True:
            cm = CHUNK_LINE.fullmatch(r.line())
            if not cm:
                raise Malformed("bad chunk line")
            size = int(cm.group(1), 16)
            if size == 0:
                r.fields()  # trailer section
                break
            body += r.take(size)
            if r.take(2) != b"\r\n":
                raise Malformed("chunk data not followed by CRLF")
    elif lengths:
        if len(lengths) != 1 or not re.fullmatch(rb"[0-9]{1,18}", lengths[0]):
            raise Malformed("bad Content-Length")
        body = r.take(int(lengths[0]))
    return {"method": method, "target": target, "body": body.decode("latin-1")}, r.pos


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(120)
        buf = b""
        while True:
            try:
                req, used = read_request(buf)
            except Incomplete:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    if buf:
                        self.record({"error": "connection closed inside a request (%d bytes)" % len(buf)})
                    return
                buf += chunk
                continue
            except Malformed as e:
                self.record({"error": str(e), "bytes": buf[:200].decode("latin-1")})
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            buf = buf[used:]
            if req["method"] == "GET" and req["target"] == "/__records":
                with records_lock:
                    body = json.dumps(records).encode()
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                continue
            self.record(req)
            reply = b"ok\n"
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(reply), b"" if req["method"] == "HEAD" else reply))

    def record(self, rec):
        with records_lock:
            records.append(rec)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET


def main():
    port = int(sys.argv[1])
    with Server(("127.0.0.1", port), Handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
