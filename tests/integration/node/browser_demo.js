#!/usr/bin/env node
// Opens a page in headless Chromium and drives the demo page of
// conf/scenario/www: waits until both Socket.IO panes are connected, presses
// "Send to both", waits for both echoes, and prints one JSON line:
//   {"userAgent": "...", "nextHop": "h2" | "http/1.1", "polling": {"state": "...",
//    "log": [...]}, "websocket": {...}}
// nextHop is the protocol that carried the page (its navigation entry).
// or {"error": "..."} (exit 1). Talks to Chromium over the DevTools protocol
// with `ws`.
//
//   browser_demo.js --url https://127.0.0.1:PORT/ [--timeout-ms 30000] [--profile DIR]
'use strict';

const { parseArgs, run, sleep } = require('./devtools');

const args = parseArgs(process.argv);
if (!args.url) {
  process.stdout.write(JSON.stringify({ error: 'usage: browser_demo.js --url URL' }) + '\n');
  process.exit(1);
}
let lastPanes = null;  // what the page showed last, for a timeout report

run({ args, url: args.url, flags: ['--ignore-certificate-errors'],
  timeoutReport: () => ({ panes: lastPanes }) }, async ({ evaluate }, finish) => {
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
  done.nextHop = await evaluate('performance.getEntriesByType("navigation")[0].nextHopProtocol');
  finish(done, 0);
});
