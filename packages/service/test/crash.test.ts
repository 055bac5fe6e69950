// Faults on the real stack. The worker (a child engine process) is SIGKILLed mid-stream and restarted:
// nothing is lost, nothing is applied twice, and the restarted worker finishes the pushes the dead one
// left undone (outbox replay). Redis is restarted under load: the engine recovers without losing or
// doubling an order.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { JetStreamOrderPublisher, connectNats, provisionStreams } from "@synclag/nats-feed";
import { RedisStockStore } from "@synclag/redis-store";
import { checkConservation, checkSingleApplication } from "@synclag/sim";
import type { OrderEvent } from "@synclag/core";
import { freePort, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { serversMissing } from "./servers.js";

const CHILD = fileURLToPath(new URL("./fixtures/engine-child.ts", import.meta.url));
const SKUS = ["SKU-1", "SKU-2", "SKU-3", "SKU-4"];
const ORDERS = 400;

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startChild(config: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine child did not start: ${output}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`engine child exited with ${code}: ${output}`));
    });
  });
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

describe.skipIf(serversMissing())("faults on the real stack", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    cleanups.length = 0;
  }, 30_000);

  async function stack() {
    const [nats, redis]: [PrivateServer, PrivateServer] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "aof" })]);
    cleanups.push(() => nats.dispose(), () => redis.dispose());
    const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
    const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
    const server: RunningServer = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    cleanups.push(async () => {
      shopify.stop();
      woo.stop();
      await server.close();
    });
    const store = await RedisStockStore.connect({ url: redis.url });
    cleanups.push(() => store.close());
    for (const sku of SKUS) await store.setQuantity({ sku, quantity: 1_000, reason: "initial stock" });
    for (const m of [shopify, woo]) m.seed(SKUS.map((sku) => ({ sku, quantity: 1_000, version: 1 })));
    const connection = await connectNats({ servers: nats.url });
    cleanups.push(() => connection.close());
    await provisionStreams(connection, { ackWaitMs: 2_000, backoffMs: [2_000], maxDeliver: 20 });
    const publisher = new JetStreamOrderPublisher({ connection });
    const config = {
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port: await freePort() },
      channels: [
        { kind: "shopify", baseUrl: `${server.url}/shopify` },
        { kind: "woocommerce", baseUrl: `${server.url}/woocommerce` },
      ],
      feed: { ackWait: 2_000 },
      reconcileInterval: 0,
      logLevel: "warn",
    };
    const orders: OrderEvent[] = Array.from({ length: ORDERS }, (_, i) => ({ orderId: `shopify:${9_000 + i}`, sourceChannel: i % 2 === 0 ? "shopify" : "woocommerce", lines: [{ sku: SKUS[i % SKUS.length] as string, quantity: 1 }], confirmedAtMs: Date.now() }));
    const outcomes = async () => (await store.readAudit()).filter((r) => r.kind === "order" || r.kind === "insufficient");
    return { nats, redis, shopify, woo, store, publisher, config, orders, outcomes };
  }

  async function expectExactlyOnce(s: Awaited<ReturnType<typeof stack>>) {
    const audit = await s.store.readAudit();
    expect(checkSingleApplication(audit).ok).toBe(true);
    const final = await s.store.snapshot();
    expect(checkConservation(audit, final).ok).toBe(true);
    const applied = new Set(audit.filter((r) => r.kind === "order").map((r) => r.orderId));
    expect(applied.size).toBe(ORDERS);
    const total = [...final.values()].reduce((n, level) => n + level.quantity, 0);
    expect(total).toBe(SKUS.length * 1_000 - ORDERS);
    // Every channel ends at the truth: the restarted worker replayed what the dead one left unpushed.
    await until("channels converge", async () => {
      const truth = await s.store.snapshot();
      return SKUS.every((sku) => [s.shopify, s.woo].every((m) => m.model.listing(sku)?.acceptedQuantity === truth.get(sku)?.quantity));
    });
  }

  it("worker SIGKILLed mid-stream and restarted: nothing lost, no double decrement", async () => {
    const s = await stack();
    let child = await startChild(s.config);
    cleanups.push(() => killChild(child, "SIGKILL"));
    const publishing = (async () => {
      for (const order of s.orders) await s.publisher.publish(order);
    })();
    await until("some orders applied", async () => (await s.outcomes()).length >= ORDERS / 4);
    await killChild(child, "SIGKILL");
    await publishing;
    child = await startChild(s.config);
    await until("every order applied", async () => (await s.outcomes()).length >= ORDERS, 45_000);
    await expectExactlyOnce(s);
    expect(await killChild(child, "SIGTERM")).toBe(0);
  }, 90_000);

  it("Redis restarted under load: the engine recovers without losing or doubling an order", async () => {
    const s = await stack();
    const child = await startChild(s.config);
    cleanups.push(() => killChild(child, "SIGKILL"));
    const publishing = (async () => {
      for (const order of s.orders) await s.publisher.publish(order);
    })();
    await until("some orders applied", async () => (await s.outcomes()).length >= ORDERS / 4);
    await s.redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await s.redis.restart();
    await publishing;
    await until("every order applied", async () => (await s.outcomes().catch(() => [])).length >= ORDERS, 45_000);
    await expectExactlyOnce(s);
    expect(await killChild(child, "SIGTERM")).toBe(0);
  }, 90_000);
});
