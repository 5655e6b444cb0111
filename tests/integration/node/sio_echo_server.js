#!/usr/bin/env node
// A Socket.IO 4 echo server, the backend of the socket.io scenario.
//   node sio_echo_server.js --name A [--port 0] [--host 127.0.0.1]
// Prints "listening <port>" once bound. Every reply names the server, so a
// client can tell which backend served it. Events:
//   echo(payload, ack)   -> ack({ server, payload })   (strings, objects, binary)
//   close-me             -> the server disconnects this socket
// Engine.IO errors (e.g. "Session ID unknown" when a polling request reaches
// the wrong server) are printed as "engine_error <code> <message>".
"use strict";
const http = require("http");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const name = arg("name", "A");
const port = Number(arg("port", "0"));
const host = arg("host", "127.0.0.1");

const server = http.createServer((req, res) => {
  // Socket.IO answers /socket.io/ itself; this is for health checks.
  res.writeHead(req.url === "/health" ? 200 : 404, { "Content-Type": "text/plain" });
  res.end(req.url === "/health" ? "ok\n" : "not found\n");
});
const io = new Server(server, {
  path: "/socket.io/",
  maxHttpBufferSize: 8 * 1024 * 1024,
  cors: { origin: true, credentials: true },
});

io.engine.on("connection_error", (err) => {
  console.log(`engine_error ${err.code} ${err.message}`);
});

io.on("connection", (socket) => {
  console.log(`connect ${socket.id} ${socket.conn.transport.name}`);
  socket.conn.on("upgrade", (t) => console.log(`upgrade ${socket.id} ${t.name}`));
  socket.emit("hello", { server: name });
  socket.on("echo", (payload, ack) => {
    if (typeof ack === "function") ack({ server: name, payload });
    else socket.emit("echo", { server: name, payload });
  });
  socket.on("close-me", () => socket.disconnect(true));
  socket.on("disconnect", (reason) => console.log(`disconnect ${socket.id} ${reason}`));
});

server.listen(port, host, () => {
  console.log(`listening ${server.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
