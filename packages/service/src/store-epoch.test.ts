// The epoch marker tells its `onRestored` listener when an instance adopts a new restore marker: the
// restored SKUs' versions restarted at 1, and the engine must forget the ones it pushed before the loss.
// A confirmation when the store lost nothing must write no marker: every instance would otherwise forget
// its versions, drop its queued updates and push the whole catalogue again, for nothing.
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

  it("a loss confirmed through an engine restarted together with Redis, still in its grace, is a restore — not 'did not lose its data' (review)", async () => {
    const running = await epoch();
    await running.epoch.establish();
    expect(await running.epoch.verify()).toBe(true);
    // Redis restarts empty; one engine restarts with it and creates its own marker (in its grace).
    await redis.kill();
    await redis.restart();
    const restarted = await epoch();
    await restarted.epoch.establish();
    expect(restarted.epoch.inGrace).toBe(true);
    await (await connect()).sAdd(SKUS, "SKU-1");
    // Confirmed through the restarted engine before the running one's next check.
    expect(await restarted.epoch.confirmRestored()).toMatchObject({ outcome: "restored", skus: 1 });
    expect(await running.epoch.verify()).toBe(true);
    expect(await restarted.epoch.verify()).toBe(true);
    expect(running.restores).toHaveLength(1);
  }, 30_000);

  it("tells each instance once: the one the restore was confirmed through, one that found the store lost, and one that missed the loss", async () => {
    const a = await epoch();
    const b = await epoch();
    const c = await epoch();
    for (const { epoch: e } of [a, b, c]) await e.establish();
    await loseAndRestock();
    expect(await a.epoch.verify()).toBe(false); // a and b look while the store is lost; c does not
    expect(await b.epoch.verify()).toBe(false);
    expect(await a.epoch.confirmRestored()).toMatchObject({ outcome: "restored", wasLost: true });
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

  it("a confirmation when the store did not lose its data writes no marker and tells nobody; one after a loss does, also through an instance that never saw the loss", async () => {
    await redis.kill();
    await redis.restart(); // a fresh store: the next instance starts it
    const a = await epoch();
    const b = await epoch();
    for (const { epoch: e } of [a, b]) await e.establish();
    const marker = await connect();
    await marker.sAdd(SKUS, "SKU-1");
    const started = await marker.get(KEY);
    expect(started).toMatch(/^start:/);
    // No loss since the engines started: nothing written, nobody told — however often it is sent (through
    // b: a created the marker and, in its grace, could be an engine restarted together with Redis).
    expect([a.epoch.inGrace, b.epoch.inGrace]).toEqual([true, false]);
    for (let i = 0; i < 2; i++) expect(await b.epoch.confirmRestored()).toEqual({ outcome: "not_lost", skus: 1, since: "start" });
    expect(await marker.get(KEY)).toBe(started);
    for (const { epoch: e } of [a, b]) expect(await e.verify()).toBe(true);
    expect([a.restores, b.restores]).toEqual([[], []]);

    // A loss that neither instance has checked for yet (the marker is simply gone): a loss all the same.
    await loseAndRestock();
    expect(await b.epoch.confirmRestored()).toMatchObject({ outcome: "restored", skus: 1, wasLost: false });
    const restored = await (await connect()).get(KEY);
    expect(restored).toMatch(/^restore:/);
    expect(await a.epoch.verify()).toBe(true); // its start marker is gone: it missed the loss, and follows the restore
    expect(a.restores).toEqual([expect.objectContaining({ marker: restored, how: "found", wasLost: false })]);
    expect(b.restores).toEqual([expect.objectContaining({ marker: restored, how: "confirmed", wasLost: false })]);

    // The confirmation repeated (through either instance): no new marker, nobody told again.
    for (const { epoch: e } of [a, b]) expect(await e.confirmRestored()).toEqual({ outcome: "not_lost", skus: 1, since: "restore" });
    expect(await (await connect()).get(KEY)).toBe(restored);
    for (const { epoch: e } of [a, b]) expect(await e.verify()).toBe(true);
    expect([a.restores.length, b.restores.length]).toEqual([1, 1]);

    // A loss with no stock back yet: refused, nothing written; the store stays lost.
    await redis.kill();
    await redis.restart();
    expect(await a.epoch.verify()).toBe(false);
    expect(await b.epoch.confirmRestored()).toEqual({ outcome: "no_stock", skus: 0 });
    expect(await (await connect()).get(KEY)).toMatch(/^lost:/);
    expect(await b.epoch.verify()).toBe(false);
  });

  it("a confirmation through an instance that had not adopted a restore made through another adopts it, and writes nothing", async () => {
    const a = await epoch();
    const b = await epoch();
    for (const { epoch: e } of [a, b]) await e.establish();
    await loseAndRestock();
    expect(await a.epoch.verify()).toBe(false);
    expect(await b.epoch.verify()).toBe(false);
    expect(await a.epoch.confirmRestored()).toMatchObject({ outcome: "restored" });
    const restored = await (await connect()).get(KEY);
    // b has not checked since: the operator's second confirmation, through b, is the same restore.
    expect(await b.epoch.confirmRestored()).toEqual({ outcome: "not_lost", skus: 1, since: "restore" });
    expect(await (await connect()).get(KEY)).toBe(restored);
    expect(b.epoch.lost).toBe(false);
    expect(b.restores).toEqual([expect.objectContaining({ marker: restored, how: "found", wasLost: true })]);
    expect(a.restores).toHaveLength(1);
  });

  it("a restore's signal aborts when a newer restore is adopted, when the store is lost again, and at stopWatching", async () => {
    const a = await epoch();
    const b = await epoch();
    for (const { epoch: e } of [a, b]) await e.establish();
    await loseAndRestock();
    await a.epoch.confirmRestored();
    const first = a.restores[0]?.signal;
    expect(first?.aborted).toBe(false);
    await loseAndRestock(); // lost again: what the first restore left running is about data that is gone
    expect(await a.epoch.verify()).toBe(false);
    expect(first?.aborted).toBe(true);
    await a.epoch.confirmRestored();
    const second = a.restores[1]?.signal;
    expect(second?.aborted).toBe(false);
    // A newer restore, confirmed through another instance after a loss this one missed, supersedes it.
    await loseAndRestock();
    expect(await b.epoch.confirmRestored()).toMatchObject({ outcome: "restored" });
    expect(await a.epoch.verify()).toBe(true);
    expect(a.restores).toHaveLength(3);
    expect(second?.aborted).toBe(true);
    const third = a.restores[2]?.signal;
    expect(third?.aborted).toBe(false);
    a.epoch.stopWatching();
    expect(third?.aborted).toBe(true);
  });
});
