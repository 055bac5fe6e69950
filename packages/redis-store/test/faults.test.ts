// Faults against a real server: the script cache flushed (SCRIPT FLUSH); the redis-server process ended
// abruptly and restarted (AOF with fsync always, so acknowledged writes survive); a connection cut after
// the script ran but before its reply arrived. Calls recover through NOSCRIPT → EVAL; calls in flight
// when the connection dies are reported as outcome unknown, and retrying them with the same order ids
// applies each order exactly once.
import { createConnection, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { ApplyResult, OrderInput } from "@synclag/core";
import { freePort } from "@synclag/testkit";
import { RedisStockStore, RedisStockStoreError } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries a retryable failure with the same order id until it settles (bounded). */
async function settle(store: RedisStockStore, order: OrderInput): Promise<ApplyResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.applyOrder(order);
    } catch (error) {
      if (!(error instanceof RedisStockStoreError) || !error.retryable || attempt >= 200) throw error;
      await pause(50);
    }
  }
}

/** A loopback TCP proxy to Redis that can cut the connection instead of delivering the next reply. */
async function replyCuttingProxy(port: number): Promise<{ url: string; cutNextReply(): void; close(): Promise<void> }> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    const upstream = createConnection({ host: "127.0.0.1", port });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    downstream.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (!cut) {
        downstream.write(chunk);
        return;
      }
      cut = false; // the reply is dropped with the connection: the client cannot know what ran
      downstream.destroy();
      upstream.destroy();
    });
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    cutNextReply: () => {
      cut = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function order(orderId: string, quantity = 1): OrderInput {
  return { orderId, sourceChannel: "amazon", lines: [{ sku: "A", quantity }, { sku: "B", quantity: 1 }] };
}

if (skipReason) {
  it.skip(`faults against Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer({ persistence: "aof" });

  describe("no server", () => {
    it("fails to connect as unavailable (retryable) instead of waiting forever", async () => {
      const port = await freePort(); // nothing listens there
      await expect(RedisStockStore.connect({ url: `redis://127.0.0.1:${port}`, callTimeoutMs: 1_000 })).rejects.toMatchObject({
        name: "RedisStockStoreError",
        reason: "unavailable",
        retryable: true,
      });
    });
  });

  describe("script cache flushed (SCRIPT FLUSH)", () => {
    it("re-sends the next call as EVAL after NOSCRIPT, applies it once, and goes back to EVALSHA", async () => {
      const { client, server } = redis();
      const store = new RedisStockStore({ client, keyPrefix: uniquePrefix("flush") });
      await store.loadScripts();
      await store.setQuantity({ sku: "A", quantity: 100 });
      await store.setQuantity({ sku: "B", quantity: 100 });
      expect(store.scriptReloads).toBe(0);
      await server.command("SCRIPT", "FLUSH");
      expect((await store.applyOrder(order("f1"))).kind).toBe("applied");
      expect(store.scriptReloads).toBe(1);
      expect((await store.applyOrder(order("f2"))).kind).toBe("applied");
      expect(store.scriptReloads).toBe(1);
      expect((await store.snapshot(["A"])).get("A")).toEqual({ quantity: 98, version: 3 });
      expect(store.scriptReloads).toBe(2); // the read script was flushed too

      // Many calls in flight when the cache is flushed: each either ran by SHA before the flush or is
      // re-sent; none runs twice.
      await server.command("SCRIPT", "FLUSH");
      const batch = Array.from({ length: 40 }, (_, i) => order(`g${i}`));
      const results = await Promise.all([...batch.map((input) => store.applyOrder(input)), store.applyOrders(batch.slice(0, 10))]);
      const singles = results.slice(0, 40) as ApplyResult[];
      expect(singles.every((result) => result.kind === "applied")).toBe(true);
      expect((results[40] as ApplyResult[]).every((result) => result.kind === "duplicate")).toBe(true);
      expect((await store.snapshot(["A", "B"])).get("A")?.quantity).toBe(100 - 2 - 40);
      expect((await store.readAudit()).filter((record) => record.kind === "order")).toHaveLength(42);
    });
  });

  describe("connection cut after the script ran, before its reply arrived", () => {
    it("reports the call as outcome_unknown, and the retry with the same order id returns the stored result: it ran once", async () => {
      const { server } = redis();
      const proxy = await replyCuttingProxy(server.port);
      const store = await RedisStockStore.connect({ url: proxy.url, keyPrefix: uniquePrefix("cut"), callTimeoutMs: 5_000 });
      try {
        await store.setQuantity({ sku: "A", quantity: 10 });
        await store.setQuantity({ sku: "B", quantity: 10 });
        proxy.cutNextReply();
        const error = await store.applyOrder(order("c1", 3)).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: "RedisStockStoreError", reason: "outcome_unknown", retryable: true });
        expect((error as Error).message).toMatch(/safe to retry with the same order id/u);
        const retried = await settle(store, order("c1", 3));
        expect(retried).toEqual({
          kind: "duplicate",
          orderId: "c1",
          original: { kind: "applied", orderId: "c1", changes: [{ sku: "A", delta: -3, quantity: 7, version: 2 }, { sku: "B", delta: -1, quantity: 9, version: 2 }], auditSeq: 3 },
        });
        expect((await store.snapshot(["A"])).get("A")).toEqual({ quantity: 7, version: 2 });

        // A restock whose outcome is unknown is not blindly retryable: it has no id to deduplicate on.
        proxy.cutNextReply();
        await expect(store.restock({ sku: "A", quantity: 1 })).rejects.toMatchObject({ reason: "outcome_unknown", retryable: false });
      } finally {
        await store.close();
        await proxy.close();
      }
    }, 20_000);
  });

  describe("redis-server ended abruptly and restarted", () => {
    it("reports calls in flight at the crash as outcome_unknown (retryable), and a retry with the same order id applies them once", async () => {
      const { server } = redis();
      const store = await RedisStockStore.connect({ url: server.url, keyPrefix: uniquePrefix("crash"), callTimeoutMs: 5_000 });
      try {
        await store.setQuantity({ sku: "A", quantity: 50 });
        await store.setQuantity({ sku: "B", quantity: 50 });
        // Hold writes on the server so these calls are certainly sent and waiting when the process dies.
        await server.command("CLIENT", "PAUSE", "10000", "WRITE");
        const inFlight = ["p1", "p2", "p3"].map((id) => store.applyOrder(order(id)).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ));
        await pause(200);
        await server.crash();
        const outcomes = await Promise.all(inFlight);
        for (const outcome of outcomes) {
          expect(outcome).toMatchObject({ error: { name: "RedisStockStoreError", reason: "outcome_unknown", retryable: true } });
        }
        // While the server is down, calls fail at once as unavailable (nothing was sent).
        await expect(store.applyOrder(order("p4"))).rejects.toMatchObject({ reason: "unavailable", retryable: true });
        await server.restart();
        const retried = await Promise.all(["p1", "p2", "p3", "p4"].map((id) => settle(store, order(id))));
        expect(retried.map((result) => result.kind)).toEqual(["applied", "applied", "applied", "applied"]);
        expect(store.scriptReloads).toBeGreaterThan(0); // the restarted server had an empty script cache
        expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(46);
      } finally {
        await store.close();
      }
    }, 30_000);

    it("keeps every order applied exactly once when the server dies under load and every failed call is retried", async () => {
      const { server } = redis();
      const store = await RedisStockStore.connect({ url: server.url, keyPrefix: uniquePrefix("load"), callTimeoutMs: 5_000 });
      try {
        await store.setQuantity({ sku: "A", quantity: 1_000 });
        await store.setQuantity({ sku: "B", quantity: 100_000 });
        const orders = Array.from({ length: 1_200 }, (_, i) => order(`l${i}`, 1 + (i % 2)));
        const failures: RedisStockStoreError[] = [];
        const firstTry = new Map<string, ApplyResult>();
        let next = 0;
        let crashed: Promise<void> | undefined;
        const worker = async () => {
          while (next < orders.length) {
            const input = orders[next++] as OrderInput;
            if (next === 400) crashed = server.crash().then(() => pause(300)).then(() => server.restart());
            try {
              firstTry.set(input.orderId, await store.applyOrder(input));
            } catch (error) {
              if (!(error instanceof RedisStockStoreError)) throw error;
              failures.push(error);
              await pause(5);
            }
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));
        await crashed;
        expect(failures.length).toBeGreaterThan(0);
        expect(failures.every((error) => error.retryable && (error.reason === "outcome_unknown" || error.reason === "unavailable"))).toBe(true);
        // Retry everything with the same ids: what ran before the crash comes back as a duplicate.
        const final = new Map<string, ApplyResult>();
        for (const input of orders) final.set(input.orderId, await settle(store, input));
        for (const input of orders) {
          const result = final.get(input.orderId) as ApplyResult;
          const first = firstTry.get(input.orderId);
          if (first) expect(result).toEqual({ kind: "duplicate", orderId: input.orderId, original: first });
          else expect(["applied", "duplicate", "insufficient"]).toContain(result.kind);
        }
        const audit = await store.readAudit();
        const orderRecords = audit.filter((record) => record.kind === "order" || record.kind === "insufficient");
        expect(orderRecords.map((record) => record.orderId).sort()).toEqual(orders.map((input) => input.orderId).sort());
        const appliedA = audit.filter((record) => record.kind === "order").flatMap((record) => record.changes).filter((change) => change.sku === "A").reduce((sum, change) => sum - change.delta, 0);
        const snapshot = await store.snapshot(["A"]);
        expect(snapshot.get("A")?.quantity).toBe(1_000 - appliedA);
        expect(snapshot.get("A")?.quantity).toBeGreaterThanOrEqual(0);
      } finally {
        await store.close();
      }
    }, 40_000);
  });
}
