#!/usr/bin/env node
// Loads a page in headless Chromium and reports, through the DevTools
// protocol, which protocol carried the document (Network.responseReceived's
// response.protocol, e.g. "h2") and the page's own view of it
// (performance navigation entry's nextHopProtocol). Prints one JSON line:
//   {"protocol", "nextHop", "status", "title"}  or {"error": "..."} (exit 1).
//
//   h2_page.js --url https://127.0.0.1:PORT/page.html [--profile DIR] [--timeout-ms 30000]
'use strict';

const { parseArgs, run, sleep } = require('./devtools');

const args = parseArgs(process.argv);
if (!args.url) {
  process.stdout.write(JSON.stringify({ error: 'missing --url' }) + '\n');
  process.exit(1);
}

// The test's certificate authority is not the system's: the test checks the
// protocol, not the chain (TLS tests do that).
run({ args, flags: ['--ignore-certificate-errors'] }, async ({ call, evaluate, onEvent }, finish) => {
  let documentResponse = null;
  let loaded = false;
  onEvent((msg) => {
    if (msg.method === 'Network.responseReceived' && msg.params.type === 'Document')
      documentResponse = msg.params.response;
    if (msg.method === 'Page.loadEventFired') loaded = true;
  });
  await call('Network.enable', {});
  await call('Page.enable', {});
  await call('Page.navigate', { url: args.url });
  while (!loaded || !documentResponse) await sleep(50);
  const nextHop = await evaluate('performance.getEntriesByType("navigation")[0].nextHopProtocol');
  const title = await evaluate('document.title');
  finish({ protocol: documentResponse.protocol, status: documentResponse.status, nextHop, title }, 0);
});
