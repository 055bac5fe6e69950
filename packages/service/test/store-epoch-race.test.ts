// The epoch marker when an engine restarts together with Redis (both lost) while another engine still
// runs: the restarted one creates a fresh marker on the empty store, and must not trust it — its
// unknown-SKU refusals are held until the running engine's watch has looked and marked the store lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "redis";
import { pino } from "pino";
import { InMemoryStockStore, type OrderInput } from "@synclag/core";
import { startPrivateRedis, type PrivateServer } from "../src/index.js";
import { EpochGuardedStockStore, StoreEpoch } from "../src/store-epoch.js";
import { serversMissing } from "./servers.js";

const ORDER: OrderInput = { orderId: "shopify:1", sourceChannel: "shopify", lines: [{ sku: "SKU-1", quantity: 1 }] } as OrderInput;

describe.skipIf(serversMissing())("store epoch marker: an engine restarted together with Redis", () => {
  let redis: PrivateServer;
  const clients: Array<{ destroy(): void }> = [];
  beforeAll(async () => {
    redis = await startPrivateRedis({ persistence: "none" });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await redis?.dispose();
  });

  async function epoch(now: () => number): Promise<StoreEpoch> {
    const client = createClient({ url: redis.url });
    client.on("error", () => undefined);
    await client.connect();
    clients.push(client);
    return new StoreEpoch({ client: client as never, key: "synclag:{stock}:epoch", skusKey: "synclag:{stock}:skus", logger: pino({ level: "silent" }), watchIntervalMs: 1_000, now });
  }

  it("holds unknown-SKU orders on a marker it just created, and goes lost once the running engine has looked", async () => {
    const clock = 0;
    const a = await epoch(() => clock);
    await a.establish(); // engine A runs on a store with its data
    await redis.kill();
    await redis.restart(); // Redis restarted without persistence: data and marker gone
    const b = await epoch(() => clock);
    await b.establish(); // engine B (a restarted pod) creates a fresh marker on the empty store
    const guarded = new EpochGuardedStockStore(new InMemoryStockStore({ clock: { now: () => 0 } }), b);
    // Before A's watch tick B cannot tell a new deployment from a lost store: held, never dead-lettered.
    await expect(guarded.applyOrder(ORDER)).rejects.toThrow(/held/);
    await a.verify(); // A's watch tick: its marker is gone → the store is marked lost
    expect(a.lost).toBe(true);
    await expect(guarded.applyOrder(ORDER)).rejects.toThrow(/lost its data/);
    expect(b.lost).toBe(true);
  });

  it("on a new deployment the grace ends after a few watch intervals: an unknown SKU is then refused as usual", async () => {
    await redis.kill();
    await redis.restart();
    let clock = 0;
    const only = await epoch(() => clock);
    await only.establish();
    const guarded = new EpochGuardedStockStore(new InMemoryStockStore({ clock: { now: () => 0 } }), only);
    await expect(guarded.applyOrder(ORDER)).rejects.toThrow(/held/);
    clock = 3_000;
    await expect(guarded.applyOrder(ORDER)).resolves.toMatchObject({ kind: "invalid" });
    expect(only.lost).toBe(false);
  });
});
