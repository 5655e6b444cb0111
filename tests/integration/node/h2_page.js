#!/usr/bin/env node
// Loads a page in headless Chromium and reports, through the DevTools
// protocol, which protocol carried the document (Network.responseReceived's
// response.protocol, e.g. "h2") and the page's own view of it
// (performance navigation entry's nextHopProtocol). Prints one JSON line:
//   {"protocol", "nextHop", "status", "title"}  or {"error": "..."} (exit 1).
//
//   h2_page.js --url https://127.0.0.1:PORT/page.html [--profile DIR] [--timeout-ms 30000]
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

function finish(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  if (browser) browser.kill('SIGKILL');
  if (ownProfile) {
    try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* still in use */ }
  }
  process.exit(code);
}
if (!args.url) finish({ error: 'missing --url' }, 1);

// The test's certificate authority is not the system's: the test checks the
// protocol, not the chain (TLS tests do that).
browser = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--ignore-certificate-errors', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
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
setTimeout(() => finish({ error: `timed out after ${timeoutMs} ms`, chromium: stderr.slice(-2000) }, 1),
  timeoutMs);

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
  const target = await request(port, '/json/new?about:blank', 'PUT');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let next = 0;
  const pending = new Map();
  let documentResponse = null;
  let loaded = false;
  ws.on('message', (m) => {
    const msg = JSON.parse(m);
    if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
    if (msg.method === 'Network.responseReceived' && msg.params.type === 'Document')
      documentResponse = msg.params.response;
    if (msg.method === 'Page.loadEventFired') loaded = true;
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
  await call('Network.enable', {});
  await call('Page.enable', {});
  await call('Page.navigate', { url: args.url });
  while (!loaded || !documentResponse) await sleep(50);
  const nextHop = await evaluate('performance.getEntriesByType("navigation")[0].nextHopProtocol');
  const title = await evaluate('document.title');
  finish({ protocol: documentResponse.protocol, status: documentResponse.status, nextHop, title }, 0);
}
