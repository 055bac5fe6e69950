// Push verification: after a channel confirms a call, one store read for its SKUs; a SKU the store holds
// at a newer version than the propagator has for that channel is handed back for that channel only. The
// push path never waits for the read nor fails with it; read failures are counted, logged once per streak.
import { describe, expect, it } from "vitest";
import type { ChannelClient, ChannelId, PushOutcome, QuantityUpdate, Sku, StockLevel } from "@synclag/core";
import { Propagator } from "@synclag/engine";
import { InMemoryMetrics } from "@synclag/metrics";
import { captureLog } from "../test/log-capture.js";
import { loadServiceConfig } from "./config.js";
import { ServiceError } from "./errors.js";
import { PushVerifier, type PushVerifierPropagator, type PushVerifierStore } from "./push-verifier.js";
import { SystemScheduler, systemClock, systemRandom } from "./system-time.js";

const OK: PushOutcome = { ok: true };
const REJECTED: PushOutcome = { ok: false, reason: "rejected", message: "no such listing" };

/** A channel client that records its calls and answers each update with `answer(update)`. */
function fakeClient(channel: ChannelId, answer: (update: QuantityUpdate) => PushOutcome = () => OK) {
  const calls: QuantityUpdate[][] = [];
  const client: ChannelClient = {
    channel,
    maxBatchSize: 10,
    setQuantities: (updates) => {
      calls.push([...updates]);
      return Promise.resolve(updates.map(answer));
    },
    readQuantities: () => Promise.resolve(new Map()),
    cancelOrder: () => Promise.resolve(OK),
  };
  return { client, calls };
}

/** A store whose levels the test sets; `next` (when set) decides the next read instead. */
function fakeStore(levels: Record<Sku, StockLevel>) {
  const reads: Sku[][] = [];
  const store = {
    reads,
    levels,
    next: undefined as (() => Promise<ReadonlyMap<Sku, StockLevel>>) | undefined,
    snapshot(skus: readonly Sku[]): Promise<ReadonlyMap<Sku, StockLevel>> {
      reads.push([...skus]);
      const next = store.next;
      if (next) return next();
      return Promise.resolve(new Map(skus.filter((sku) => store.levels[sku] !== undefined).map((sku) => [sku, store.levels[sku] as StockLevel])));
    },
  } satisfies PushVerifierStore & Record<string, unknown>;
  return store;
}

/** A propagator whose per-pair state the test sets: confirmed version, busy, given-up version. */
function fakePropagator() {
  const confirmed = new Map<Sku, number>();
  const busy = new Set<Sku>();
  const abandoned = new Map<Sku, number>();
  const published: Array<{ sku: Sku; level: StockLevel; channels: readonly ChannelId[] }> = [];
  const propagator: PushVerifierPropagator = {
    confirmedVersionsIfIdle: (_channel, skus) => skus.map((sku) => (busy.has(sku) ? null : confirmed.get(sku))),
    abandonedVersion: (_channel, sku) => abandoned.get(sku) ?? 0,
    publish: (sku, level, options) => void published.push({ sku, level, channels: options.channels }),
    versionsGeneration: 0,
  };
  return { propagator, confirmed, busy, abandoned, published };
}

/** Lets the verification (started on the next turn of the event loop) run to its end. */
/**
 * Lets the verifier finish what it started: it reads the store on a later turn (setImmediate) — so this
 * waits turns, not milliseconds (a 20 ms sleep became due in the same turn as a starved loop's first
 * immediate and the test looked before the read had run: a flake under CPU load).
 */
const settle = async () => {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
};

function setup(levels: Record<Sku, StockLevel>) {
  const store = fakeStore(levels);
  const metrics = new InMemoryMetrics();
  const log = captureLog("info");
  const verifier = new PushVerifier({ store, metrics, logger: log.logger });
  const fake = fakePropagator();
  verifier.attach(fake.propagator);
  return { store, metrics, log, verifier, ...fake };
}

describe("push verifier", () => {
  it("hands back, for this channel only, a SKU the store holds at a newer version than the one just confirmed", async () => {
    const t = setup({ A: { quantity: 0, version: 6 }, B: { quantity: 4, version: 3 } });
    const woo = fakeClient("woo");
    const client = t.verifier.wrap(woo.client);
    t.confirmed.set("A", 5).set("B", 3);
    await client.setQuantities([
      { sku: "A", quantity: 1, version: 5 },
      { sku: "B", quantity: 4, version: 3 },
    ]);
    await settle();
    expect(t.store.reads).toEqual([["A", "B"]]);
    expect(t.published).toEqual([{ sku: "A", level: { quantity: 0, version: 6 }, channels: ["woo"] }]);
    expect(t.metrics.counter("push_verify_republished_total", { channel: "woo" })).toBe(1);
  });

  it("leaves alone what the store does not hold newer, what failed, what is busy (its own confirmation is verified) and what was given up at that version", async () => {
    const t = setup({ same: { quantity: 2, version: 4 }, failed: { quantity: 0, version: 9 }, busy: { quantity: 0, version: 9 }, gaveUp: { quantity: 0, version: 9 }, newer: { quantity: 0, version: 9 } });
    const woo = fakeClient("woo", (update) => (update.sku === "failed" ? REJECTED : OK));
    const client = t.verifier.wrap(woo.client);
    t.confirmed.set("same", 4).set("failed", 1).set("busy", 1).set("gaveUp", 1).set("newer", 1);
    t.busy.add("busy");
    t.abandoned.set("gaveUp", 9);
    await client.setQuantities(["same", "failed", "busy", "gaveUp", "newer", "unknown"].map((sku) => ({ sku, quantity: 1, version: 1 })));
    await settle();
    // The failed update is not read; a SKU the store does not hold is read and left alone.
    expect(t.store.reads).toEqual([["same", "busy", "gaveUp", "newer", "unknown"]]);
    expect(t.published.map((p) => p.sku)).toEqual(["newer"]);
  });

  it("decides on the propagator's state after it took the reply (the read starts on the next turn)", async () => {
    const t = setup({ A: { quantity: 0, version: 6 } });
    const client = t.verifier.wrap(fakeClient("woo").client);
    // In flight while the call runs; the propagator confirms it when the reply reaches it.
    t.busy.add("A");
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]).then(() => {
      t.busy.delete("A");
      t.confirmed.set("A", 5);
    });
    await settle();
    expect(t.published.map((p) => p.level.version)).toEqual([6]);
  });

  it("returns the outcomes at once, whatever the store does: a read that never answers delays no push", async () => {
    const t = setup({});
    t.store.next = () => new Promise(() => undefined);
    const client = t.verifier.wrap(fakeClient("woo").client);
    const outcomes = await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    expect(outcomes).toEqual([OK]);
    // One read at a time per channel: the SKUs of later calls wait for the next one.
    await settle();
    await client.setQuantities([{ sku: "B", quantity: 1, version: 1 }]);
    await client.setQuantities([{ sku: "C", quantity: 1, version: 1 }]);
    await settle();
    expect(t.store.reads).toEqual([["A"]]);
  });

  it("reads the SKUs confirmed during a read in one read after it", async () => {
    const t = setup({ A: { quantity: 0, version: 2 }, B: { quantity: 0, version: 2 }, C: { quantity: 0, version: 2 } });
    let release!: () => void;
    t.store.next = () => {
      t.store.next = undefined;
      return new Promise((resolve) => (release = () => resolve(new Map())));
    };
    const client = t.verifier.wrap(fakeClient("woo").client);
    await client.setQuantities([{ sku: "A", quantity: 1, version: 1 }]);
    await settle();
    await client.setQuantities([{ sku: "B", quantity: 1, version: 1 }]);
    await client.setQuantities([{ sku: "C", quantity: 1, version: 1 }, { sku: "B", quantity: 1, version: 1 }]);
    release();
    await settle();
    expect(t.store.reads).toEqual([["A"], ["B", "C"]]);
    expect(t.published.map((p) => p.sku)).toEqual(["B", "C"]);
  });

  it("counts every failed read, logs the first of a streak and the recovery once, and the push path goes on", async () => {
    const t = setup({ A: { quantity: 0, version: 6 } });
    const client = t.verifier.wrap(fakeClient("woo").client);
    const shop = t.verifier.wrap(fakeClient("shop").client);
    t.store.next = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    for (let i = 0; i < 3; i++) {
      expect(await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }])).toEqual([OK]);
      expect(await shop.setQuantities([{ sku: "A", quantity: 1, version: 5 }])).toEqual([OK]);
      await settle();
    }
    expect(t.metrics.counter("push_verify_errors_total")).toBe(6);
    const failures = t.log.lines.filter((l) => String(l.msg).startsWith("push verification: reading the store failed"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 40, channel: "woo", err: { message: "connect ECONNREFUSED 127.0.0.1:6379" } });
    expect(t.published).toEqual([]);

    t.store.next = undefined;
    t.confirmed.set("A", 5);
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    await settle();
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    await settle();
    expect(t.log.lines.filter((l) => String(l.msg) === "push verification: the store answers again")).toEqual([expect.objectContaining({ level: 30, failedReads: 6 })]);
    expect(t.published).toHaveLength(2);
  });

  it("reads nothing before a propagator is attached or once stopped, and a read cut short by the stop is no failure", async () => {
    const store = fakeStore({ A: { quantity: 0, version: 6 } });
    const metrics = new InMemoryMetrics();
    const log = captureLog("info");
    const verifier = new PushVerifier({ store, metrics, logger: log.logger });
    const client = verifier.wrap(fakeClient("woo").client);
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    await settle();
    expect(store.reads).toEqual([]);

    const fake = fakePropagator();
    verifier.attach(fake.propagator);
    let fail!: () => void;
    store.next = () => new Promise((_, reject) => (fail = () => reject(new Error("store closed"))));
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    await settle();
    verifier.stop();
    fail();
    await client.setQuantities([{ sku: "A", quantity: 1, version: 5 }]);
    await settle();
    expect(store.reads).toHaveLength(1);
    expect(metrics.counter("push_verify_errors_total")).toBe(0);
    expect(log.lines).toEqual([]);
    expect(fake.published).toEqual([]);
  });

  it("with the engine's propagator: the newer level goes to the channel whose push was verified, and only once", async () => {
    const store = fakeStore({ A: { quantity: 0, version: 6 } });
    const metrics = new InMemoryMetrics();
    const verifier = new PushVerifier({ store, metrics, logger: captureLog("info").logger });
    const woo = fakeClient("woo");
    // shop refuses version 5: nothing confirmed there, nothing verified.
    const shop = fakeClient("shop", (update) => (update.version === 5 ? REJECTED : OK));
    const scheduler = new SystemScheduler();
    const rateLimit = { ratePerSecond: 1_000, burst: 10 };
    const propagator = new Propagator({ channels: [{ client: verifier.wrap(woo.client), rateLimit }, { client: verifier.wrap(shop.client), rateLimit }], clock: systemClock, scheduler, random: systemRandom, metrics });
    verifier.attach(propagator);
    try {
      // This instance applied version 5; another instance's version 6 is already in the store.
      propagator.publish("A", { quantity: 1, version: 5 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(woo.calls).toEqual([[{ sku: "A", quantity: 1, version: 5 }], [{ sku: "A", quantity: 0, version: 6 }]]);
      expect(shop.calls).toEqual([[{ sku: "A", quantity: 1, version: 5 }]]);
      expect(propagator.confirmedVersion("woo", "A")).toBe(6);
      expect(propagator.idle).toBe(true);
      expect(metrics.counter("push_verify_republished_total", { channel: "woo" })).toBe(1);
    } finally {
      propagator.stop();
      scheduler.clearAll();
    }
  });
});

describe("push verification across a store restore", () => {
  it("drops a read from before restartVersions: the lost store's level would block the restored one (review)", async () => {
    let answer: (levels: Map<string, StockLevel>) => void = () => undefined;
    const store = { snapshot: () => new Promise<Map<string, StockLevel>>((resolve) => (answer = resolve)) };
    const verifier = new PushVerifier({ store, metrics: new InMemoryMetrics(), logger: captureLog("info").logger });
    const calls: QuantityUpdate[][] = [];
    const woo: ChannelClient = {
      channel: "woo",
      maxBatchSize: 10,
      setQuantities: (updates) => {
        calls.push([...updates]);
        return Promise.resolve(updates.map((): PushOutcome => ({ ok: true })));
      },
      readQuantities: () => Promise.resolve(new Map()),
      cancelOrder: () => Promise.resolve({ ok: true }),
    };
    const scheduler = new SystemScheduler();
    const propagator = new Propagator({ channels: [{ client: verifier.wrap(woo), rateLimit: { ratePerSecond: 1000, burst: 10 } }], clock: systemClock, scheduler, random: systemRandom, metrics: new InMemoryMetrics() });
    verifier.attach(propagator);
    try {
      propagator.publish("A", { quantity: 9, version: 9 });
      await new Promise((resolve) => setTimeout(resolve, 20)); // v9 confirmed; its verification read is out
      propagator.restartVersions(); // the store lost its data and was restored: A is at version 1 again
      answer(new Map([["A", { quantity: 8, version: 10 }]])); // the read's pre-loss answer, handled after
      await new Promise((resolve) => setTimeout(resolve, 20));
      propagator.publish("A", { quantity: 2, version: 1 }); // the restored level
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls.at(-1)).toEqual([{ sku: "A", quantity: 2, version: 1 }]);
    } finally {
      propagator.stop();
      scheduler.clearAll();
      verifier.stop();
    }
  });
});

describe("verifyPushes configuration", () => {
  it("is off by default, set by the file or SYNCLAG_VERIFY_PUSHES, and anything but true/false is listed with its path", () => {
    expect(loadServiceConfig({}, {}).verifyPushes).toBe(false);
    expect(loadServiceConfig({}, { SYNCLAG_VERIFY_PUSHES: "false" }).verifyPushes).toBe(false);
    expect(loadServiceConfig({}, { SYNCLAG_VERIFY_PUSHES: "TRUE" }).verifyPushes).toBe(true);
    let error: unknown;
    try {
      loadServiceConfig({ port: "x" }, { SYNCLAG_VERIFY_PUSHES: "off" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServiceError);
    const problems = (error as ServiceError).problems;
    expect(problems).toEqual(expect.arrayContaining(["SYNCLAG_VERIFY_PUSHES (verifyPushes): must be true or false", expect.stringMatching(/^--port \(ingest\.port\)/)]));
  });

  it("passes the wrapped client's read cost on (the reconciler reserves a Shopify read from the updates' budget by it), 0 when it has none", () => {
    const t = setup({});
    const woo = fakeClient("woo");
    expect(t.verifier.wrap(woo.client).readBudgetCost?.(100)).toBe(0);
    const shopify = fakeClient("shop");
    expect(t.verifier.wrap(Object.assign(shopify.client, { readBudgetCost: (skus: number) => (2 + skus) / 10 })).readBudgetCost?.(100)).toBeCloseTo(10.2, 10);
  });
});
