#!/usr/bin/env node
// A socket.io-client 4 scenario run against gantry; prints one JSON line.
//   node sio_client.js --url https://127.0.0.1:8443 [--transport websocket|polling|upgrade]
//        [--messages N] [--binary BYTES] [--close client|server|wait] [--timeout MS]
// transport: "websocket" only, "polling" only, or "upgrade" (polling first,
// then the upgrade to websocket, as browsers do by default).
// close: "client" disconnects, "server" asks the server to disconnect us,
// "wait" prints {"ready":true,...} and waits until the connection drops.
// Exit 0 when every check passed; the JSON says what happened either way.
"use strict";
const { io } = require("socket.io-client");
const crypto = require("crypto");

function arg(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const url = arg("url", "https://127.0.0.1:8443");
const mode = arg("transport", "websocket");
const messages = Number(arg("messages", "20"));
const binaryBytes = Number(arg("binary", "0"));
const closeMode = arg("close", "client");
const timeoutMs = Number(arg("timeout", "20000"));

const result = { ok: false, mode, servers: [], transport: null, echoed: 0, binary_ok: null };
const servers = new Set();

function finish(ok, error) {
  result.ok = ok;
  if (error) result.error = String(error && error.message ? error.message : error);
  result.servers = [...servers];
  console.log(JSON.stringify(result));
  process.exit(ok ? 0 : 1);
}
const timer = setTimeout(() => finish(false, "timeout"), timeoutMs);

const socket = io(url, {
  path: "/socket.io/",
  transports: mode === "websocket" ? ["websocket"] : ["polling", "websocket"],
  upgrade: mode === "upgrade",
  rejectUnauthorized: false, // the scenario's certificate is self-signed
  withCredentials: true, // keep the balancer's cookie, as a browser does
  reconnection: false,
  timeout: 10000,
});

function emitAck(payload) {
  return new Promise((resolve, reject) => {
    socket.timeout(10000).emit("echo", payload, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

// Text with multi-byte characters and the characters Socket.IO's own
// encoding uses, so any re-encoding on the way would show.
function message(i) {
  return `msg ${i} \u00e9\u6f22\ud83d\ude80 "quoted" {brace} ${"x".repeat(i * 13)}`;
}

function waitUpgraded() {
  return new Promise((resolve, reject) => {
    const engine = socket.io.engine;
    if (engine.transport.name === "websocket") return resolve();
    engine.once("upgrade", () => resolve());
    engine.once("upgradeError", (e) => reject(new Error("upgradeError: " + e.message)));
  });
}

socket.on("connect_error", (e) => finish(false, "connect_error: " + e.message));

socket.on("hello", async (hello) => {
  try {
    servers.add(hello.server);
    if (mode === "upgrade") await waitUpgraded();
    for (let i = 0; i < messages; i++) {
      const m = message(i);
      const reply = await emitAck(m);
      servers.add(reply.server);
      if (reply.payload !== m) throw new Error(`echo ${i} differs`);
      result.echoed++;
    }
    if (binaryBytes > 0) {
      const buf = crypto.randomBytes(binaryBytes);
      const reply = await emitAck(buf);
      servers.add(reply.server);
      result.binary_ok = Buffer.isBuffer(reply.payload) && buf.equals(reply.payload);
      if (!result.binary_ok) throw new Error("binary echo differs");
    }
    result.transport = socket.io.engine.transport.name;
    if (mode === "polling" && result.transport !== "polling") throw new Error("not polling");
    if (mode !== "polling" && result.transport !== "websocket") throw new Error("not websocket");
    if (closeMode === "client") {
      // Finish once the WebSocket close handshake is over, as a browser tab
      // that stays open would, so the proxy sees a clean close.
      const ws = mode !== "polling" ? socket.io.engine.transport.ws : null;
      socket.disconnect();
      clearTimeout(timer);
      if (ws && typeof ws.once === "function") {
        ws.once("close", (code) => {
          result.close_code = code;
          finish(true);
        });
        setTimeout(() => finish(true), 5000);
      } else {
        finish(true);
      }
    } else if (closeMode === "server") {
      socket.once("disconnect", (reason) => {
        result.disconnect = reason;
        clearTimeout(timer);
        finish(reason === "io server disconnect", reason === "io server disconnect" ? null : reason);
      });
      socket.emit("close-me");
    } else {
      clearTimeout(timer);
      socket.once("disconnect", (reason) => {
        result.disconnect = reason;
        finish(true);
      });
      console.log(JSON.stringify({ ready: true, servers: [...servers] }));
    }
  } catch (e) {
    finish(false, e);
  }
});
