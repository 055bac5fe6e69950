// The epoch marker tells its `onRestored` listener when an instance adopts a new restore marker: the
// restored SKUs' versions restarted at 1, and the engine must forget the ones it pushed before the loss.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "redis";
import { pino } from "pino";
import { serversMissing } from "../test/servers.js";
import { startPrivateRedis, type PrivateServer } from "./index.js";
import { StoreEpoch, type StoreRestore } from "./store-epoch.js";

const KEY = "synclag:{stock}:epoch";
const SKUS = "synclag:{stock}:skus";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe.skipIf(serversMissing())("store epoch marker: telling the engine about a restore", () => {
  let redis: PrivateServer;
  const clients: Array<{ destroy(): void }> = [];
  const epochs: StoreEpoch[] = [];
  beforeAll(async () => {
    redis = await startPrivateRedis({ persistence: "none" });
  });
  afterAll(async () => {
    for (const epoch of epochs) epoch.stopWatching();
    for (const client of clients) client.destroy();
    await redis?.dispose();
  });

  async function connect() {
    const client = createClient({ url: redis.url });
    client.on("error", () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  async function epoch(restoredRetryMs = 2_000): Promise<{ epoch: StoreEpoch; restores: StoreRestore[] }> {
    const made = new StoreEpoch({ client: (await connect()) as never, key: KEY, skusKey: SKUS, logger: pino({ level: "silent" }), restoredRetryMs });
    epochs.push(made);
    const restores: StoreRestore[] = [];
    made.onRestored((restore) => {
      restores.push(restore);
      return Promise.resolve();
    });
    return { epoch: made, restores };
  }

  /** Redis restarted without persistence, then the stock (one SKU) is back. */
  async function loseAndRestock(): Promise<void> {
    await redis.kill();
    await redis.restart();
    await (await connect()).sAdd(SKUS, "SKU-1");
  }

  it("tells each instance once: the one the restore was confirmed through, one that found the store lost, and one that missed the loss", async () => {
    const a = await epoch();
    const b = await epoch();
    const c = await epoch();
    for (const { epoch: e } of [a, b, c]) await e.establish();
    await loseAndRestock();
    expect(await a.epoch.verify()).toBe(false); // a and b look while the store is lost; c does not
    expect(await b.epoch.verify()).toBe(false);
    expect(await a.epoch.confirmRestored()).toMatchObject({ restored: true, wasLost: true });
    expect(a.restores).toEqual([expect.objectContaining({ how: "confirmed", wasLost: true })]);
    expect(await b.epoch.verify()).toBe(true);
    expect(b.restores).toEqual([expect.objectContaining({ how: "found", wasLost: true, marker: a.restores[0]?.marker })]);
    expect(await c.epoch.verify()).toBe(true); // its start marker is gone: the store lost its data under it too
    expect(c.restores).toEqual([expect.objectContaining({ how: "found", wasLost: false, marker: a.restores[0]?.marker })]);
    // Once: further checks of the same marker tell nobody again.
    for (const { epoch: e } of [a, b, c]) expect(await e.verify()).toBe(true);
    expect([a, b, c].map(({ restores }) => restores.length)).toEqual([1, 1, 1]);
    // An instance that starts on the restored store has nothing to forget.
    const d = await epoch();
    await d.epoch.establish();
    expect(await d.epoch.verify()).toBe(true);
    expect(d.restores).toEqual([]);
  });

  it("calls a listener that failed again until it succeeds, and not after stopWatching", async () => {
    const a = await epoch(20);
    await a.epoch.establish();
    let calls = 0;
    a.epoch.onRestored(() => {
      calls += 1;
      return calls < 3 ? Promise.reject(new Error("Redis not answering yet")) : Promise.resolve();
    });
    await loseAndRestock();
    expect(await a.epoch.verify()).toBe(false);
    await a.epoch.confirmRestored();
    await until("the third call", () => calls === 3);
    await sleep(200); // ten retry intervals: no fourth call
    expect(calls).toBe(3);
    // Failing for good: stopped at shutdown.
    const b = await epoch(20);
    await b.epoch.establish();
    let failures = 0;
    b.epoch.onRestored(() => {
      failures += 1;
      throw new Error("always");
    });
    await loseAndRestock();
    expect(await b.epoch.verify()).toBe(false);
    await b.epoch.confirmRestored();
    await until("a retry", () => failures > 1);
    b.epoch.stopWatching();
    const stoppedAt = failures;
    await sleep(200);
    expect(failures).toBe(stoppedAt);
  });
});
