// RedisStockStore.connect() owns its client: whatever goes wrong, no connection may stay open — an open
// socket keeps the process alive (found by review: `synclag engine` with a bad keyPrefix hung instead of
// exiting). Options are checked before a client exists, so a bad one is a RangeError/TypeError (not a
// retryable "cannot connect"), and a failure after connecting destroys the client.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { RedisStockStore, RedisStockStoreError } from "../src/index.js";
import type { RedisStockStoreOptions } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";
import type { TestClient } from "./redis-fixture.js";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

/** Connections the server has open (the asking client's own included, so compare counts). */
async function connectionCount(client: TestClient): Promise<number> {
  return String(await client.sendCommand(["CLIENT", "LIST"])).trim().split("\n").length;
}

/** Options the store refuses, each with the error class it throws. */
const badOptions: readonly { readonly name: string; readonly options: Partial<RedisStockStoreOptions>; readonly error: typeof TypeError | typeof RangeError }[] = [
  { name: "a keyPrefix with a brace", options: { keyPrefix: "{bad}" }, error: TypeError },
  { name: "a keyPrefix with a control character", options: { keyPrefix: "bad\n" }, error: TypeError },
  { name: "a keyPrefix that is not a string", options: { keyPrefix: 42 as unknown as string }, error: TypeError },
  { name: "an empty partition", options: { partition: "" }, error: TypeError },
  { name: "batchSize 0", options: { batchSize: 0 }, error: RangeError },
  { name: "idempotencyTtlMs 0", options: { idempotencyTtlMs: 0 }, error: RangeError },
  { name: "callTimeoutMs 0", options: { callTimeoutMs: 0 }, error: RangeError },
  { name: "callTimeoutMs NaN", options: { callTimeoutMs: Number.NaN }, error: RangeError },
  { name: "callTimeoutMs beyond what a timer can wait (2^31 ms)", options: { callTimeoutMs: 2 ** 31 }, error: RangeError },
  { name: "a clock without now()", options: { clock: {} as unknown as RedisStockStoreOptions["clock"] & object }, error: TypeError },
  { name: "a skuPartition that is not a function", options: { skuPartition: "eu" as unknown as (sku: string) => string }, error: TypeError },
];

/**
 * A loopback proxy to Redis that passes the connection handshake, then swallows every request from the
 * first one naming `stallOn` on: the server "hangs" after the client connected.
 */
async function stallingProxy(port: number, stallOn: string): Promise<{ url: string; openConnections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let downstreams = 0;
  const server: Server = createServer((downstream) => {
    downstreams += 1;
    downstream.on("close", () => (downstreams -= 1));
    const upstream = createConnection({ host: "127.0.0.1", port });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    let stalled = false;
    downstream.on("data", (chunk: Buffer) => {
      if (chunk.includes(stallOn)) stalled = true;
      if (!stalled) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => downstream.write(chunk));
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    openConnections: () => downstreams,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

if (skipReason) {
  it.skip(`RedisStockStore.connect against Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();

  describe("RedisStockStore.connect with an option the store refuses", () => {
    for (const bad of badOptions) {
      it(`throws a ${bad.error.name} for ${bad.name} before connecting, and leaves no connection open`, async () => {
        const { server, client } = redis();
        const before = await connectionCount(client);
        const error = await RedisStockStore.connect({ url: server.url, ...bad.options }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(bad.error);
        expect(error).not.toBeInstanceOf(RedisStockStoreError); // not "cannot connect" (retryable): a configuration error
        // Checked before a client existed: there never was a connection, so none can be left behind.
        expect(await connectionCount(client)).toBe(before);
      });
    }

    it("throws the same error from the constructor (one check for both)", () => {
      const { client } = redis();
      for (const bad of badOptions) expect(() => new RedisStockStore({ client, ...bad.options }), bad.name).toThrow(bad.error);
    });

    it("accepts a callTimeoutMs up to the longest timer wait", async () => {
      const { server } = redis();
      const store = await RedisStockStore.connect({ url: server.url, keyPrefix: uniquePrefix("max-timeout"), callTimeoutMs: 2 ** 31 - 1 });
      try {
        expect((await store.restock({ sku: "A", quantity: 1 })).kind).toBe("changed");
      } finally {
        await store.close();
      }
    });

    it("lets the process exit (the CLI hung on a bad keyPrefix instead of exiting)", async () => {
      const { server } = redis();
      const script = join(mkdtempSync(join(tmpdir(), "synclag-connect-")), "bad-prefix.mts");
      writeFileSync(
        script,
        `import { RedisStockStore } from ${JSON.stringify(join(src, "index.ts"))};
const error = await RedisStockStore.connect({ url: ${JSON.stringify(server.url)}, keyPrefix: "{bad}" }).catch((caught) => caught);
console.log(JSON.stringify({ name: error?.name, message: error?.message }));
`,
      );
      const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: resolve(src, "../../.."), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      // A guard, not a measurement: a process that does not exit on its own is killed and the test fails.
      const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on("exit", (...args) => done(args)));
      clearTimeout(guard);
      expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
      expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toMatchObject({ name: "TypeError", message: expect.stringMatching(/keyPrefix "\{bad\}" must not contain/u) });
    }, 30_000);
  });

  describe("RedisStockStore.connect failing after it connected", () => {
    it("destroys its client when loading the scripts times out (a graceful close would wait for the replies forever)", async () => {
      const { server } = redis();
      const proxy = await stallingProxy(server.port, "maxmemory-policy");
      try {
        const error = await RedisStockStore.connect({ url: proxy.url, keyPrefix: uniquePrefix("stall"), callTimeoutMs: 300 }).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: "RedisStockStoreError", reason: "unavailable", retryable: true });
        await vi.waitFor(() => expect(proxy.openConnections()).toBe(0), { timeout: 5_000 });
      } finally {
        await proxy.close();
      }
    }, 20_000);
  });
}

if (!skipReason) {
  describe("RedisStockStore.connect to a server that may evict keys", () => {
    const evicting = useRedisServer({ extraArgs: ["--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"] });
    it("is refused after connecting, and its connection is closed", async () => {
      const { server, client } = evicting();
      const before = await connectionCount(client);
      await expect(RedisStockStore.connect({ url: server.url, keyPrefix: uniquePrefix("evict") })).rejects.toMatchObject({ reason: "rejected" });
      await vi.waitFor(async () => expect(await connectionCount(client)).toBe(before), { timeout: 5_000 });
    });
  });
}
