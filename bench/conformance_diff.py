#!/usr/bin/env python3
"""Sends raw requests through several proxies to one recording backend and
prints, per request, what each proxy answered and what the backend received.

Started by bench/conformance_diff.sh, which runs the proxies and the
backend (bench/conformance/recording_backend.py). Each request goes to each
proxy on a fresh connection; then a sentinel request on another connection
marks its end, so that the backend records between the previous sentinel
and this one belong to that request and that proxy.

A row is marked DIVERGE when gantry's outcome (accepted or refused, and how
many requests reached the backend) differs from both anchors'.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import sys
import time


def load_requests(directory, probes_file, only):
    out = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".http"):
            with open(os.path.join(directory, name), "rb") as f:
                out.append((name[:-5], f.read()))
    if probes_file:
        with open(probes_file, encoding="utf-8") as f:
            for probe in json.load(f):
                out.append(("probe:" + probe["id"], probe["raw"].encode("latin-1")))
    return [(i, raw) for i, raw in out if not only or re.search(only, i)]


def exchange(port, raw, wait):
    """Sends raw and reads until the proxy closes or stays silent for `wait`
    seconds. Returns (statuses, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    data = b""
    closed = False
    try:
        try:
            s.sendall(raw)
        except OSError:
            pass  # the proxy may close while a bad request is still arriving
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
            # The answers we expect are complete: a short grace for any more
            # (a request the proxy read where we saw none) instead of the
            # full wait.
            if responses_complete(data) and len(statuses_of(data)) >= expected_responses(raw):
                deadline = min(deadline, time.monotonic() + 0.3)
    finally:
        s.close()
    return statuses_of(data), closed


def statuses_of(data):
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.[01] (\d{3})", data)]


def responses_complete(data):
    # Our proxies all send Content-Length or chunked bodies we can check
    # loosely: the data ends with an empty line, a body of the announced
    # length, or the last chunk.
    heads = [m for m in re.finditer(rb"HTTP/1\.[01] \d{3}[^\r\n]*\r\n", data)]
    if not heads:
        return False
    last = data[heads[-1].start():]
    end = last.find(b"\r\n\r\n")
    if end < 0:
        return False
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", last[:end])
    if m:
        return len(last) - end - 4 >= int(m.group(1))
    if re.search(rb"(?i)\r\ntransfer-encoding: *chunked", last[:end]):
        return last.endswith(b"0\r\n\r\n")
    return True


def expected_responses(raw):
    # One per request line that starts a message; a rough count that only
    # decides how long to wait.
    return max(1, len(re.findall(rb"(?:^|\r\n\r\n)[A-Z]+ \S+ HTTP/1\.[01]\r\n", raw)))


def records(backend):
    s = socket.create_connection(("127.0.0.1", backend), timeout=5)
    s.sendall(b"GET /__records HTTP/1.1\r\nHost: backend\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"Content-Length: (\d+)", head)
        if m and len(body) >= int(m.group(1)):
            break
    s.close()
    return json.loads(data.partition(b"\r\n\r\n")[2])


def run_one(peer_port, backend, raw, sentinel, wait):
    before = len(records(backend))
    statuses, closed = exchange(peer_port, raw, wait)
    sentinel_req = ("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % sentinel).encode()
    sent_statuses, _ = exchange(peer_port, sentinel_req, 5)
    seen = []
    for _ in range(50):  # the sentinel may reach the backend after its answer
        recs = records(backend)[before:]
        cut = [i for i, r in enumerate(recs) if r.get("target") == sentinel]
        if cut:
            seen = recs[:cut[0]]
            break
        time.sleep(0.02)
    else:
        seen = recs
    return {"statuses": statuses, "closed": closed, "seen": seen,
            "sentinel_ok": bool(sent_statuses) and sent_statuses[0] == 200}


def outcome(r):
    if r["statuses"]:
        first = r["statuses"][0]
        return ("accepted" if first < 400 else "refused"), "+".join(map(str, r["statuses"]))
    return "refused", "close" if r["closed"] else "timeout"


def backend_summary(seen):
    if not seen:
        return "-"
    parts = []
    for rec in seen:
        if "error" in rec:
            parts.append("INVALID(%s)" % rec["error"])
        else:
            body = " body=%d" % len(rec["body"]) if rec["body"] else ""
            parts.append("%s %s%s" % (rec["method"], rec["target"][:40], body))
    digest = hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:8]
    return "%d req %s: %s" % (len(seen), digest, "; ".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", type=int, required=True)
    ap.add_argument("--peer", action="append", required=True, help="NAME=PORT, gantry first")
    ap.add_argument("--requests", required=True)
    ap.add_argument("--probes", help="Http11Probe data set (JSON)")
    ap.add_argument("--only", help="regex on request ids")
    ap.add_argument("--wait", type=float, default=2.0, help="seconds of silence that end an answer")
    args = ap.parse_args()
    peers = [(p.split("=")[0], int(p.split("=")[1])) for p in args.peer]
    reqs = load_requests(args.requests, args.probes, args.only)

    width = max(len(i) for i, _ in reqs) + 2
    names = [n for n, _ in peers]
    print("%-*s %s %s" % (width, "request", " ".join("%-16s" % n for n in names),
                          "backend received (%s)" % " | ".join(names)))
    diverged = 0
    for index, (rid, raw) in enumerate(reqs):
        results = {}
        for name, port in peers:
            results[name] = run_one(port, args.backend, raw, "/__sentinel/%s/%d" % (name, index), args.wait)
        keys = {n: (outcome(r)[0], len(r["seen"])) for n, r in results.items()}
        cells = ["%s %s (%d)" % (outcome(results[n])[0][:3], outcome(results[n])[1], len(results[n]["seen"]))
                 for n, _ in peers]
        gantry = keys[peers[0][0]]
        mark = ""
        if len(peers) == 3 and gantry != keys[peers[1][0]] and gantry != keys[peers[2][0]]:
            mark = "  DIVERGE"
            diverged += 1
        broken = [n for n, r in results.items() if not r["sentinel_ok"]]
        if broken:
            mark += "  (sentinel failed: %s)" % ",".join(broken)
        summaries = " | ".join(backend_summary(results[n]["seen"]) for n, _ in peers)
        print("%-*s %s %s%s" % (width, rid, " ".join("%-16s" % c for c in cells), summaries, mark), flush=True)
    print()
    print("requests=%d" % len(reqs))
    print("diverge=%d" % diverged)


if __name__ == "__main__":
    sys.exit(main())
