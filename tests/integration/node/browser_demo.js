#!/usr/bin/env node
// Opens a page in headless Chromium and drives the demo page of
// conf/scenario/www: waits until both Socket.IO panes are connected, presses
// "Send to both", waits for both echoes, and prints one JSON line:
//   {"userAgent": "...", "polling": {"state": "...", "log": [...]},
//    "websocket": {...}}
// or {"error": "..."} (exit 1). Talks to Chromium over the DevTools protocol
// with `ws`.
//
//   browser_demo.js --url https://127.0.0.1:PORT/ [--timeout-ms 30000] [--profile DIR]
'use strict';

const { spawn } = require('child_process');
const http = require('http');
const os = require('os');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const url = args.url;
const timeoutMs = Number(args['timeout-ms'] || 30000);
const ownProfile = !args.profile;
const profile = args.profile || fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-chromium-'));
let browser = null;

function finish(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  if (browser) browser.kill('SIGKILL');
  if (ownProfile) {
    try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* still in use */ }
  }
  process.exit(code);
}
if (!url) finish({ error: 'usage: browser_demo.js --url URL' }, 1);

// Root in a container: Chromium's sandbox needs user namespaces it may not
// have, and /dev/shm may be tiny.
browser = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--ignore-certificate-errors', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
  'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
browser.on('error', (e) => finish({ error: `cannot start chromium: ${e.message}` }, 1));
let stderr = '';
browser.stderr.on('data', (d) => {
  stderr += d.toString();
  const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
  if (m && !started) {
    started = true;
    drive(Number(m[1])).catch((e) => finish({ error: String(e && e.stack || e) }, 1));
  }
});
let started = false;
let lastPanes = null;  // what the page showed last, for a timeout report
setTimeout(() => finish({ error: `timed out after ${timeoutMs} ms`, panes: lastPanes,
  chromium: stderr.slice(-2000) }, 1), timeoutMs);

function request(port, p, method) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: p, method }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => { try { resolve(JSON.parse(b)); } catch (e) { reject(e); } });
    });
    r.on('error', reject);
    r.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function drive(port) {
  const target = await request(port, '/json/new?' + encodeURIComponent(url), 'PUT');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let next = 0;
  const pending = new Map();
  ws.on('message', (m) => {
    const msg = JSON.parse(m);
    if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
  });
  const call = (method, params) => new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  const evaluate = async (expression) => {
    const r = await call('Runtime.evaluate', { expression, returnByValue: true });
    return r.result && r.result.result ? r.result.result.value : undefined;
  };
  const panes = () => evaluate(`(() => {
    const out = {};
    for (const k of ["polling", "websocket"]) {
      const state = document.getElementById(k + "-state");
      out[k] = { state: state ? state.textContent : "",
                 log: [...document.querySelectorAll("#" + k + "-log li")].map((l) => l.textContent) };
    }
    return out;
  })()`);
  const until = async (ok) => {
    for (;;) {
      const p = await panes();
      if (p) lastPanes = p;
      if (p && ok(p)) return p;
      await sleep(100);
    }
  };
  await until((p) => p.polling.state.startsWith('connected') && p.websocket.state.startsWith('connected'));
  await evaluate('document.querySelector("#send button").click()');
  const done = await until((p) => ['polling', 'websocket'].every(
    (k) => p[k].log.some((l) => l.startsWith('echo from') || l.startsWith('no echo'))));
  done.userAgent = await evaluate('navigator.userAgent');
  finish(done, 0);
}
