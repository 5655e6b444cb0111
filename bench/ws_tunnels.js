#!/usr/bin/env node
// WebSocket peers for bench/run_websocket.sh (figure 4).
//
//   ws_tunnels.js server PORT...        echo server on each loopback port
//   ws_tunnels.js hold URL N [INFLIGHT] open N tunnels, echo one message on
//                                       each, print "ready N failed M", keep
//                                       them open until SIGTERM/SIGINT, then
//                                       print "open_at_end K" and close them
//   ws_tunnels.js rtt URL COUNT [CONNS] COUNT sequential echoes spread over
//                                       CONNS connections (each connection one
//                                       message in flight); prints
//                                       "rtt n=.. p50_us=.. p99_us=.. max_us=.."
//
// `ws` comes from the integration tests' node_modules (NODE_PATH, or the
// path below relative to this file).
'use strict';

const path = require('path');
let WebSocket;
try {
  WebSocket = require('ws');
} catch (e) {
  WebSocket = require(path.join(__dirname, '..', 'tests', 'integration', 'node', 'node_modules', 'ws'));
}
const http = require('http');

function die(msg) {
  process.stderr.write(`ws_tunnels: ${msg}\n`);
  process.exit(1);
}

function serve(ports) {
  if (ports.length === 0) die('server: no port');
  for (const port of ports) {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ws echo backend\n');
    });
    // No per-message compression: every proxy relays the same bytes.
    const wss = new WebSocket.Server({ server, perMessageDeflate: false, clientTracking: false });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => {});
    });
    server.listen(Number(port), '127.0.0.1', () => {
      process.stdout.write(`listening ${server.address().port}\n`);
    });
  }
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function echo(ws, payload) {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('closed before the echo'));
    ws.once('close', onClose);
    ws.once('message', (data) => {
      ws.removeListener('close', onClose);
      if (data.length !== payload.length) reject(new Error('echo of a different length'));
      else resolve();
    });
    ws.send(payload);
  });
}

async function hold(url, n, inflight) {
  const sockets = [];
  let next = 0;
  let failed = 0;
  let firstError = '';
  const payload = Buffer.from('hello through the tunnel');
  async function lane() {
    while (next < n) {
      next++;
      try {
        const ws = await open(url);
        ws.on('error', () => {});
        await echo(ws, payload);
        sockets.push(ws);
      } catch (e) {
        failed++;
        if (!firstError) firstError = String(e.message || e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, lane));
  let lost = 0;
  for (const ws of sockets) lost += ws.readyState === WebSocket.OPEN ? 0 : 1;
  process.stdout.write(`ready ${sockets.length - lost} failed ${failed + lost}${firstError ? ' first_error ' + firstError : ''}\n`);
  let closing = false;
  const finish = () => {
    if (closing) return;
    closing = true;
    let open = 0;
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) open++;
    process.stdout.write(`open_at_end ${open}\n`);
    for (const ws of sockets) ws.terminate();
    setTimeout(() => process.exit(0), 200);
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  // Started in the background by a script, stdin is /dev/null: only a
  // signal ends the hold. The timer keeps the event loop alive regardless.
  setInterval(() => {}, 1 << 30);
}

async function rtt(url, count, conns) {
  const payload = Buffer.alloc(32, 'x');
  const sockets = [];
  for (let i = 0; i < conns; i++) sockets.push(await open(url));
  // Warm-up: a few echoes on each connection, not measured.
  for (const ws of sockets) for (let i = 0; i < 20; i++) await echo(ws, payload);
  const samples = new Float64Array(count);
  let next = 0;
  async function lane(ws) {
    while (next < count) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      await echo(ws, payload);
      samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
  }
  const start = process.hrtime.bigint();
  await Promise.all(sockets.map(lane));
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort();
  const pct = (p) => samples[Math.min(count - 1, Math.floor((count * p) / 100))];
  process.stdout.write(
    `rtt n=${count} conns=${conns} p50_us=${pct(50).toFixed(1)} p99_us=${pct(99).toFixed(1)} ` +
      `max_us=${samples[count - 1].toFixed(1)} msgs_per_s=${(count / wall).toFixed(0)}\n`,
  );
  for (const ws of sockets) ws.close();
  setTimeout(() => process.exit(0), 100);
}

const [mode, ...args] = process.argv.slice(2);
const fail = (e) => die(String((e && e.message) || e));
if (mode === 'server') serve(args);
else if (mode === 'hold') hold(args[0], Number(args[1]), Number(args[2] || 100)).catch(fail);
else if (mode === 'rtt') rtt(args[0], Number(args[1]), Number(args[2] || 1)).catch(fail);
else die('usage: ws_tunnels.js server PORT... | hold URL N [INFLIGHT] | rtt URL COUNT [CONNS]');
