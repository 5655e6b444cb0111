#!/usr/bin/env node
// Drives gantry's admin status page in headless Chromium: waits for the
// server table, reads it from the DOM, types the token, presses the "drain"
// button of one server, waits for the page's own refresh to show the new
// state, saves a screenshot, and prints one JSON line:
//   {"before": [{"backend","server","state","weight"}...], "after": [...],
//    "certificates": [[module, file, expires, days left]...], "title": "..."}
// or {"error": "..."} (exit 1).
//
//   admin_page.js --url http://127.0.0.1:PORT/ --token T --backend B --server S
//                 --screenshot FILE [--profile DIR] [--timeout-ms 30000]
'use strict';

const fs = require('fs');
const { parseArgs, run, sleep } = require('./devtools');

const args = parseArgs(process.argv);
let lastRows = null;
for (const k of ['url', 'token', 'backend', 'server', 'screenshot']) {
  if (!args[k]) {
    process.stdout.write(JSON.stringify({ error: `missing --${k}` }) + '\n');
    process.exit(1);
  }
}

run({ args, url: args.url, flags: ['--window-size=1280,800'], timeoutReport: () => ({ rows: lastRows }) },
  async ({ call, evaluate }, finish) => {
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
  const certificates = await evaluate(`[...document.querySelectorAll("#certificates tbody tr")].map(
      (tr) => [...tr.cells].map((td) => td.textContent))`);
  finish({ before, after, certificates, title }, 0);
});
