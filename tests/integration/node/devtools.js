// Headless Chromium driven over the DevTools protocol (with `ws`), shared by
// the test scripts: command-line arguments, the browser's start, one page
// target, and one JSON line on stdout at the end.
'use strict';

const { spawn } = require('child_process');
const http = require('http');
const os = require('os');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

// "--key value" pairs.
function parseArgs(argv) {
  const args = {};
  for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

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

// Starts Chromium (args.profile or a temporary profile), opens `url` in a
// new target and calls drive(page, finish), where page has call(method,
// params), evaluate(expression) and onEvent(handler). finish(result, code)
// prints the result as one JSON line, stops the browser and exits; on
// timeout, finish({error, ...timeoutReport(), chromium}).
function run({ args, url = 'about:blank', flags = [], timeoutReport = () => ({}) }, drive) {
  const timeoutMs = Number(args['timeout-ms'] || 30000);
  const ownProfile = !args.profile;
  const profile = args.profile || fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-chromium-'));
  let browser = null;
  const finish = (result, code) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    if (browser) browser.kill('SIGKILL');
    if (ownProfile) {
      try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* still in use */ }
    }
    process.exit(code);
  };
  // Root in a container: Chromium's sandbox needs user namespaces it may not
  // have, and /dev/shm may be tiny.
  browser = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    ...flags, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  browser.on('error', (e) => finish({ error: `cannot start chromium: ${e.message}` }, 1));
  let stderr = '';
  let started = false;
  browser.stderr.on('data', (d) => {
    stderr += d.toString();
    const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
    if (m && !started) {
      started = true;
      open(Number(m[1])).catch((e) => finish({ error: String(e && e.stack || e) }, 1));
    }
  });
  setTimeout(() => finish({ error: `timed out after ${timeoutMs} ms`, ...timeoutReport(),
    chromium: stderr.slice(-2000) }, 1), timeoutMs);

  async function open(port) {
    const target = await request(port, '/json/new?' + encodeURIComponent(url), 'PUT');
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    let next = 0;
    const pending = new Map();
    const handlers = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(m);
      if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
      if (msg.method) for (const h of handlers) h(msg);
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
    await drive({ call, evaluate, onEvent: (h) => handlers.push(h) }, finish);
  }
}

module.exports = { parseArgs, run, sleep };
