// After a stock restore each engine instance pushes every SKU's level behind its channels' rate limits.
// A change applied through another instance meanwhile is pushed by that one at once; this instance's
// older level, still queued, could then land after it and stay (neither instance pushes again). The push
// is followed: once a SKU's level settled on every channel the store is read again, and a level that
// moved since is pushed again (and followed), until nothing moved.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import type { StockLevel } from "@synclag/core";
import { callLog, setup } from "../../engine/test/support.js";
import { pushRestoredStock, type RestoredStockTarget } from "./store-epoch.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** A store and a propagator whose channels confirm what the test says they confirmed. */
function fakeEngine(levels: Record<string, number>) {
  const store = new Map<string, StockLevel>(Object.entries(levels).map(([sku, quantity]) => [sku, { quantity, version: 1 }]));
  const published: string[] = [];
  /** The newest version every channel confirmed, per SKU. */
  const confirmed = new Map<string, number>();
  const reads: Array<readonly string[] | undefined> = [];
  let failReads = 0;
  const target: RestoredStockTarget = {
    snapshot: (skus) => {
      reads.push(skus);
      if (failReads > 0) {
        failReads -= 1;
        return Promise.reject(new Error("Redis not answering"));
      }
      return Promise.resolve(new Map([...store].filter(([sku]) => skus === undefined || skus.includes(sku))));
    },
    publish: (sku, level) => published.push(`${sku}:${level.quantity}@${level.version}`),
    isSettled: (sku, version) => (confirmed.get(sku) ?? 0) >= version,
    holdsVersion: (sku, version) => published.some((entry) => entry.startsWith(`${sku}:`) && Number(entry.split("@")[1]) >= version),
  };
  return {
    target,
    published,
    reads,
    failNextReads: (count: number) => (failReads = count),
    /** Another instance applied a change (and pushes it itself). */
    change: (sku: string, quantity: number) => store.set(sku, { quantity, version: (store.get(sku)?.version ?? 0) + 1 }),
    confirm: (sku: string, version: number) => confirmed.set(sku, version),
  };
}

const logger = pino({ level: "silent" });

describe("pushRestoredStock: the restored catalogue push never leaves a channel older than the store", () => {
  it("pushes a SKU again when another instance changed it before this instance's push landed; one that did not move is done", async () => {
    const engine = fakeEngine({ A: 5, B: 5 });
    const { skus, followUp } = await pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2 });
    expect(skus).toBe(2);
    expect(engine.published).toEqual(["A:5@1", "B:5@1"]);
    // The last unit of A sells through another instance (version 2), which pushes 0 at once; this
    // instance's A:5@1 was still queued and lands after it.
    engine.change("A", 0);
    await sleep(20);
    expect(engine.published).toHaveLength(2); // nothing settled yet: nothing read again
    engine.confirm("A", 1);
    engine.confirm("B", 1);
    await until("A pushed again", () => engine.published.length === 3);
    expect(engine.published[2]).toBe("A:0@2");
    engine.confirm("A", 2);
    await expect(followUp).resolves.toEqual({ outcome: "settled", repushed: 1, leftToReconciler: [] });
    expect(engine.published).toEqual(["A:5@1", "B:5@1", "A:0@2"]);
    // Only the settled SKUs are read again, never the whole catalogue.
    expect(engine.reads[0]).toBeUndefined();
    expect(engine.reads.slice(1).flat().sort()).toEqual(["A", "A", "B"]);
  });

  it("reads a SKU again only after its push settled, so a change landing before the read is caught and one after it is pushed after", async () => {
    const engine = fakeEngine({ A: 5 });
    const { followUp } = await pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2 });
    engine.change("A", 4); // version 2, before this instance's version 1 settled
    engine.confirm("A", 1);
    await until("A pushed again", () => engine.published.length === 2);
    engine.change("A", 3); // version 3, while version 2 is on its way: followed too
    engine.confirm("A", 2);
    await until("A pushed a third time", () => engine.published.length === 3);
    engine.confirm("A", 3);
    await expect(followUp).resolves.toMatchObject({ outcome: "settled", repushed: 2 });
    expect(engine.published).toEqual(["A:5@1", "A:4@2", "A:3@3"]);
  });

  it("a level this instance applied and pushed itself, settled by the time of the read, is not pushed again", async () => {
    const engine = fakeEngine({ A: 5 });
    const { followUp } = await pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2 });
    engine.change("A", 0); // through this instance: its propagator pushes version 2 after version 1
    engine.confirm("A", 2);
    await expect(followUp).resolves.toEqual({ outcome: "settled", repushed: 0, leftToReconciler: [] });
    expect(engine.published).toEqual(["A:5@1"]);
  });

  it("a SKU still moving after maxRepushes gets its newest level pushed and is left to the reconciler", async () => {
    const engine = fakeEngine({ A: 50, B: 5 });
    const { followUp } = await pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2, maxRepushes: 2 });
    engine.confirm("B", 1);
    for (let version = 1; version <= 3; version++) {
      engine.change("A", 50 - version);
      engine.confirm("A", version);
      await until(`push ${version + 1} of A`, () => engine.published.filter((p) => p.startsWith("A:")).length === version + 1);
    }
    await expect(followUp).resolves.toEqual({ outcome: "settled", repushed: 3, leftToReconciler: ["A"] });
    expect(engine.published.filter((p) => p.startsWith("A:"))).toEqual(["A:50@1", "A:49@2", "A:48@3", "A:47@4"]);
  });

  it("a failed read is tried again on the next check; the first read's failure rejects (the epoch calls the listener again)", async () => {
    const engine = fakeEngine({ A: 5 });
    engine.failNextReads(1);
    await expect(pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2 })).rejects.toThrow(/not answering/);
    expect(engine.published).toEqual([]);
    const { followUp } = await pushRestoredStock(engine.target, { signal: new AbortController().signal, logger, checkIntervalMs: 2 });
    engine.change("A", 0);
    engine.failNextReads(3);
    engine.confirm("A", 1);
    await until("A pushed again", () => engine.published.length === 2);
    expect(engine.reads.length).toBe(2 + 3 + 1); // two first reads, three failed re-reads, the one that worked
    engine.confirm("A", 2);
    await expect(followUp).resolves.toMatchObject({ outcome: "settled", repushed: 1 });
  });

  it("stops when the restore's signal aborts (a newer restore, a new loss, shutdown): nothing read or pushed after", async () => {
    const engine = fakeEngine({ A: 5 });
    const standing = new AbortController();
    const { followUp } = await pushRestoredStock(engine.target, { signal: standing.signal, logger, checkIntervalMs: 2 });
    await sleep(10);
    standing.abort();
    engine.change("A", 0);
    engine.confirm("A", 1);
    await expect(followUp).resolves.toEqual({ outcome: "aborted", repushed: 0, leftToReconciler: [] });
    await sleep(20);
    expect(engine.reads).toHaveLength(1);
    expect(engine.published).toEqual(["A:5@1"]);
  });

  /** The target over a real propagator, its first read given by the test. */
  const over = (propagator: ReturnType<typeof setup>["propagator"], read: (skus?: readonly string[]) => Promise<ReadonlyMap<string, StockLevel>>): RestoredStockTarget => ({
    snapshot: read,
    publish: (sku, level) => propagator.publish(sku, level),
    isSettled: (sku, version) => propagator.isSettled(sku, version),
    holdsVersion: (sku, version) => propagator.holdsVersion(sku, version),
  });

  it("publishes nothing of a restore superseded while its first read was in flight (review)", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    // Restore R1 adopted, its read in flight; the store is lost again and restored: R2 adopted.
    const r1 = new AbortController();
    propagator.restartVersions();
    let answerR1: (levels: ReadonlyMap<string, StockLevel>) => void = () => undefined;
    const r1Push = pushRestoredStock(over(propagator, () => new Promise((resolve) => (answerR1 = resolve))), { signal: r1.signal, logger, checkIntervalMs: 5 });
    r1.abort();
    propagator.restartVersions();
    const r2Push = pushRestoredStock(over(propagator, () => Promise.resolve(new Map([["A", { quantity: 3, version: 1 }]]))), { signal: new AbortController().signal, logger, checkIntervalMs: 5 });
    answerR1(new Map([["A", { quantity: 7, version: 1 }]])); // R1's (pre-R2) read arrives late
    const [first, second] = await Promise.all([r1Push, r2Push]);
    expect(first.skus).toBe(0);
    expect(await first.followUp).toMatchObject({ outcome: "aborted" });
    for (let t = 100; t <= 1_000; t += 100) {
      await scheduler.runUntil(t);
      await sleep(5);
    }
    expect(await second.followUp).toMatchObject({ outcome: "settled" });
    expect(callLog(channel)).toEqual(["0:A1"]);
    expect(channel.calls.at(-1)?.updates[0]?.quantity).toBe(3);
  });

  it("a SKU this instance keeps selling after the restore is not pushed again, counted as repushed nor left to the reconciler (review)", async () => {
    const { scheduler, propagator } = setup({ latencyMs: 300 });
    const store = new Map<string, StockLevel>([["A", { quantity: 100, version: 1 }]]);
    const warnings: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
    let publishes = 0;
    const target = over(propagator, (skus) => Promise.resolve(new Map([...store].filter(([sku]) => skus === undefined || skus.includes(sku)))));
    const { followUp } = await pushRestoredStock({ ...target, publish: (sku, level) => (publishes++, target.publish(sku, level)) }, { signal: new AbortController().signal, logger: log, checkIntervalMs: 50, maxRepushes: 3 });
    // Orders applied through this instance only, each published by it as the order processor does.
    for (let t = 0; t <= 3_000; t += 50) {
      const next = { quantity: 100 - t / 50 - 1, version: t / 50 + 2 };
      store.set("A", next);
      propagator.publish("A", next);
      await scheduler.runUntil(t + 50);
      await sleep(55);
    }
    const result = await Promise.race([followUp, sleep(2_000).then(() => "still following")]);
    expect(result).toMatchObject({ outcome: "settled", repushed: 0, leftToReconciler: [] });
    expect(publishes).toBe(1); // the restored level only
    expect(warnings).toEqual([]);
  }, 20_000);
});
