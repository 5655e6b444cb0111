#!/usr/bin/env node
// Drives gantry's admin status page in headless Chromium: waits for the
// server table, reads it from the DOM, types the token, presses the "drain"
// button of one server, waits for the page's own refresh to show the new
// state, saves a screenshot, and prints one JSON line:
//   {"before": [{"backend","server","state","weight"}...], "after": [...],
//    "title": "..."}  or {"error": "..."} (exit 1).
//
//   admin_page.js --url http://127.0.0.1:PORT/ --token T --backend B --server S
//                 --screenshot FILE [--profile DIR] [--timeout-ms 30000]
'use strict';

const { spawn } = require('child_process');
const http = require('http');
const os = require('os');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const timeoutMs = Number(args['timeout-ms'] || 30000);
const ownProfile = !args.profile;
const profile = args.profile || fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-chromium-'));
let browser = null;
let lastRows = null;

function finish(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  if (browser) browser.kill('SIGKILL');
  if (ownProfile) {
    try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* still in use */ }
  }
  process.exit(code);
}
for (const k of ['url', 'token', 'backend', 'server', 'screenshot'])
  if (!args[k]) finish({ error: `missing --${k}` }, 1);

browser = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1280,800',
  'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
browser.on('error', (e) => finish({ error: `cannot start chromium: ${e.message}` }, 1));
let stderr = '';
let started = false;
browser.stderr.on('data', (d) => {
  stderr += d.toString();
  const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
  if (m && !started) {
    started = true;
    drive(Number(m[1])).catch((e) => finish({ error: String(e && e.stack || e) }, 1));
  }
});
setTimeout(() => finish({ error: `timed out after ${timeoutMs} ms`, rows: lastRows,
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
  const target = await request(port, '/json/new?' + encodeURIComponent(args.url), 'PUT');
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
  // The server table as the page shows it.
  const rows = () => evaluate(`[...document.querySelectorAll("table.servers tbody tr")].map((tr) => ({
      backend: tr.closest("table").dataset.backend, server: tr.dataset.server,
      state: tr.querySelector("td.state").textContent,
      weight: tr.querySelector("td.weight").textContent }))`);
  const until = async (ok) => {
    for (;;) {
      const r = await rows();
      if (r) lastRows = r;
      if (r && ok(r)) return r;
      await sleep(100);
    }
  };
  const mine = (r) => r.find((x) => x.backend === args.backend && x.server === args.server);
  const before = await until((r) => mine(r) !== undefined);
  const sel = JSON.stringify(`table.servers[data-backend="${args.backend}"] tr[data-server="${args.server}"] button.set-drain`);
  await evaluate(`document.getElementById("token").value = ${JSON.stringify(args.token)}`);
  const clicked = await evaluate(`(() => { const b = document.querySelector(${sel}); if (!b) return false; b.click(); return true; })()`);
  if (!clicked) finish({ error: 'no drain button for the server', rows: before }, 1);
  const after = await until((r) => mine(r) && mine(r).state === 'drain');
  const shot = await call('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(args.screenshot, Buffer.from(shot.result.data, 'base64'));
  const title = await evaluate('document.title');
  finish({ before, after, title }, 0);
}
