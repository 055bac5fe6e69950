// Connections to the public ingest are not held for free. Found by review: a connection that never sent
// a byte was never timed out (headersTimeout/requestTimeout start at the first byte; server.timeout was
// 0), so 250 idle sockets under `ulimit -n 200` left genuine webhooks unanswered with nothing logged; and
// after a 413 the oversized body was read to its end for up to requestTimeout (198 MB in the review).
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { captureLog } from "../test/log-capture.js";
import { defaultMaxConnections, startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";
import { countingMetrics } from "./ingest-test-support.js";

let server: RunningIngestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function start(options: Partial<Pick<IngestServerOptions, "requestTimeoutMs" | "idleTimeoutMs" | "maxConnections" | "readiness">> = {}) {
  const { counted, metrics } = countingMetrics();
  const log = captureLog("info");
  server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1024,
    channels: [{ id: "shopify", kind: "shopify", secret: "s" }],
    publish: () => Promise.reject(new Error("not expected")),
    metrics,
    logger: log.logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
    ...options,
  });
  return { port: server.port, counted, lines: log.lines };
}

function open(port: number): Socket {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  sockets.push(socket);
  return socket;
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Everything the server sends on `socket` until it closes it (or `ms` pass). */
function received(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    const timer = setTimeout(() => resolve(text), ms);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

describe("ingest connections: idle ones are closed", () => {
  it("closes a connection that sends nothing within a few request timeouts (1 s here)", async () => {
    const { port } = await start({ requestTimeoutMs: 1_000 });
    const idle = open(port);
    expect(await closedWithin(idle, 4_000), "an idle connection is still open 4 s after connecting with requestTimeoutMs 1 s").toBe(true);
  }, 10_000);

  it("closes a connection idle before its first request after idleTimeoutMs, and one idle after a kept-alive answer", async () => {
    const { port } = await start({ idleTimeoutMs: 300 });
    const silent = open(port);
    const startedAt = Date.now();
    expect(await closedWithin(silent, 3_000)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    const kept = open(port);
    const answer = received(kept, 3_000);
    kept.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(kept.destroyed || (await closedWithin(kept, 100))).toBe(true);
  }, 10_000);

  it("does not cut a request whose answer takes longer than the idle timeout (a slow publish or readiness check)", async () => {
    const { port } = await start({ idleTimeoutMs: 200, readiness: () => new Promise((resolve) => setTimeout(() => resolve({}), 1_000)) });
    const socket = open(port);
    const answer = received(socket, 5_000);
    socket.write("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
  }, 10_000);
});

describe("ingest connections: a body over the limit", () => {
  it("after answering 413 it stops reading the oversized body (closes the connection) instead of draining it", async () => {
    const { port } = await start({ requestTimeoutMs: 1_000 });
    const socket = open(port);
    let status = "";
    socket.on("data", (d: Buffer) => (status ||= d.toString("latin1").split("\r\n")[0] ?? ""));
    socket.write("POST /ingest/shopify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    // 64 KB of a chunked body that never ends (64× the limit), all sent before the server can answer: a
    // server that drains it keeps reading, then waits for the rest until requestTimeout (1 s), so it has
    // not closed within 700 ms. Written at once rather than on a timer: a write after the server closed
    // fails with EPIPE/ECONNRESET, and Node then destroys the socket without reading the 413 already in
    // its receive queue — on a busy machine (timers run before the poll phase) the status was lost.
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    for (let i = 0; i < 4; i++) socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
    const closed = await closedWithin(socket, 700);
    expect(status).toBe("HTTP/1.1 413 Payload Too Large");
    expect(closed).toBe(true);
  }, 10_000);

  it("answers 413 with Connection: close at once to a declared Content-Length over the limit, before any body byte", async () => {
    const { port } = await start();
    const socket = open(port);
    const answer = received(socket, 3_000);
    socket.write("POST /ingest/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(socket.destroyed || (await closedWithin(socket, 500))).toBe(true);
  }, 10_000);

  it("closes the connection after refusing a path that is no channel instead of reading its body", async () => {
    const { port } = await start({ requestTimeoutMs: 5_000 });
    const socket = open(port);
    const answer = received(socket, 3_000);
    socket.write("POST /ingest/nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(socket.destroyed || (await closedWithin(socket, 500))).toBe(true);
  }, 10_000);

  it("closes the connection after a 404 for an unknown route or a 405, instead of reading their bodies", async () => {
    const { port } = await start({ requestTimeoutMs: 5_000 });
    for (const head of ["POST /upload HTTP/1.1", "PUT /ingest/shopify HTTP/1.1"]) {
      const socket = open(port);
      const answer = received(socket, 3_000);
      socket.write(`${head}\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{`);
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 40[45] /);
      expect({ head, close: text.toLowerCase().includes("connection: close") }).toEqual({ head, close: true });
      expect(socket.destroyed || (await closedWithin(socket, 500))).toBe(true);
    }
  }, 10_000);
});

describe("ingest connections: the cap", () => {
  it("closes connections over maxConnections at once, counts each and logs at most once per interval", async () => {
    const { port, counted, lines } = await start({ maxConnections: 2, idleTimeoutMs: 5_000 });
    const held = [open(port), open(port)];
    await Promise.all(held.map((socket) => new Promise((resolve) => socket.once("connect", resolve))));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const over = [open(port), open(port), open(port)];
    expect(await Promise.all(over.map((socket) => closedWithin(socket, 2_000)))).toEqual([true, true, true]);
    expect(counted.filter(([name]) => name === "ingest_connections_dropped_total")).toHaveLength(3);
    const logged = lines.filter((line) => line.msg === "ingest connection refused: maxConnections reached");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, maxConnections: 2, notLoggedSinceLast: 0 });
    // Once the held ones go, a genuine request gets through.
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 10_000);

  it("defaults to 1,000, or half the process's open-file limit when that is lower (16 at least)", () => {
    expect(defaultMaxConnections(undefined)).toBe(1_000);
    expect(defaultMaxConnections(1_048_576)).toBe(1_000);
    expect(defaultMaxConnections(1_024)).toBe(512);
    expect(defaultMaxConnections(200)).toBe(100);
    expect(defaultMaxConnections(10)).toBe(16);
  });
});
