// The revision budget across a restart: eBay allows 250 revisions per listing per UTC day, and the
// propagator's counters live in process memory. A restarted engine that forgot them could push a hot
// listing past the cap (eBay then refuses every update of it until midnight UTC, sell-outs included).
// So every revision charged (and given back) is reported (`onRevisionSpent` / `onRevisionRefunded`), and
// a new propagator takes the day's counts back (`assumeRevisions`) before it sends anything.
import { Prng, VirtualScheduler, type PushOutcome } from "@synclag/core";
import { describe, expect, it } from "vitest";
import { RecordingMetrics, ScriptedChannel } from "../test/support.js";
import { Propagator } from "./propagator.js";

const DAY_MS = 86_400_000;
const DAY = 20_000; // a UTC day number (2024-10-04)
/** 23:00 UTC: with a cap of 10 (reserve 1, burst 1, 8 paced) the pacing allows 8 revisions by then, the reserve a 9th and 10th for sell-outs. */
const LATE = DAY * DAY_MS + 23 * 3_600_000;
const CAP = 10;

type Ledger = Map<string, number>;
const entry = (channel: string, sku: string, day: number) => `${channel}|${sku}|${day}`;

type Observers = Pick<ConstructorParameters<typeof Propagator>[0], "onRevisionSpent" | "onRevisionRefunded">;

/** The propagator's revision observers counting into `ledger`, as the service's Redis ledger does. */
const counting = (ledger: Ledger): Observers => ({
  onRevisionSpent: (c, sku, day) => ledger.set(entry(c, sku, day), (ledger.get(entry(c, sku, day)) ?? 0) + 1),
  onRevisionRefunded: (c, sku, day) => ledger.set(entry(c, sku, day), (ledger.get(entry(c, sku, day)) ?? 0) - 1),
});

/** A propagator on channel "c" (one update per call, 10 ms replies), its revisions counted in `ledger` (or reported to `observers`). */
function engine(scheduler: VirtualScheduler, ledger: Ledger | Observers | undefined, metrics = new RecordingMetrics()) {
  const channel = new ScriptedChannel("c", 1, scheduler, 10);
  const observers = ledger instanceof Map ? counting(ledger) : (ledger ?? {});
  const propagator = new Propagator({
    channels: [{ client: channel, rateLimit: { ratePerSecond: 1_000, burst: 1_000 }, maxInFlightCalls: 1, revisionsPerSkuPerDay: CAP }],
    clock: scheduler,
    scheduler,
    random: new Prng(1),
    metrics,
    ...observers,
  });
  return { channel, propagator, metrics };
}

/** Publishes `count` new levels of "A" one second apart (each one unit lower), from `version` on; returns the next version. */
async function changes(scheduler: VirtualScheduler, propagator: Propagator, version: number, count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    propagator.publish("A", { quantity: 1_000 - version, version });
    version += 1;
    await scheduler.runUntil(scheduler.now() + 1_000);
  }
  return version;
}

describe("the revision budget across a restart (onRevisionSpent, assumeRevisions)", () => {
  it("a restarted propagator that takes the day's count back spends only what is left of the listing's budget, and holds the rest", async () => {
    const scheduler = new VirtualScheduler(LATE);
    const ledger: Ledger = new Map();
    const first = engine(scheduler, ledger);
    first.propagator.assumeConfirmed("c", "A", { quantity: 1_000, version: 1 });
    let version = await changes(scheduler, first.propagator, 2, 5);
    expect(first.channel.calls).toHaveLength(5);
    expect(ledger).toEqual(new Map([[entry("c", "A", DAY), 5]]));
    first.propagator.stop();

    // The restart: a new propagator (same clock), the day's counts loaded before anything is sent.
    const second = engine(scheduler, ledger);
    for (const [key, count] of ledger) {
      const [c, sku, day] = key.split("|") as [string, string, string];
      second.propagator.assumeRevisions(c, sku, Number(day), count);
    }
    second.propagator.assumeConfirmed("c", "A", { quantity: 1_000 - (version - 1), version: version - 1 });
    version = await changes(scheduler, second.propagator, version, 6);
    // The 6th to 8th revision of the day (all the pacing allows by 23:00); the later levels are held.
    expect(second.channel.calls).toHaveLength(3);
    expect(ledger.get(entry("c", "A", DAY))).toBe(8);
    expect(second.metrics.count("revision_holds_total", { channel: "c" })).toBeGreaterThan(0);
    expect(second.propagator.idle).toBe(false);
    // A sell-out is never held by the pacing: it takes the reserve (the 9th).
    second.propagator.publish("A", { quantity: 0, version });
    await scheduler.runUntil(scheduler.now() + 1_000);
    expect(second.channel.calls).toHaveLength(4);
    expect(second.channel.calls.at(-1)?.updates[0]).toMatchObject({ quantity: 0, version });
    expect(ledger.get(entry("c", "A", DAY))).toBe(9);
    // Both processes together: within eBay's cap for the day.
    expect(first.channel.calls.length + second.channel.calls.length).toBeLessThanOrEqual(CAP);
    second.propagator.stop();
  });

  it("without the counts taken back, the same restart spends the listing's budget again (what the ledger prevents)", async () => {
    const scheduler = new VirtualScheduler(LATE);
    const first = engine(scheduler, undefined);
    first.propagator.assumeConfirmed("c", "A", { quantity: 1_000, version: 1 });
    let version = await changes(scheduler, first.propagator, 2, 5);
    first.propagator.stop();
    const second = engine(scheduler, undefined);
    second.propagator.assumeConfirmed("c", "A", { quantity: 1_000 - (version - 1), version: version - 1 });
    version = await changes(scheduler, second.propagator, version, 6);
    second.propagator.publish("A", { quantity: 0, version });
    await scheduler.runUntil(scheduler.now() + 1_000);
    // 5 + 7: eBay would have refused the 11th and 12th (REVISION_LIMIT) — the sell-out among them.
    expect(first.channel.calls.length + second.channel.calls.length).toBe(12);
    second.propagator.stop();
  });

  it("a listing at the cap is held, a sell-out too, until the next UTC day — whose revisions are counted under that day", async () => {
    const scheduler = new VirtualScheduler(LATE);
    const ledger: Ledger = new Map([[entry("c", "A", DAY), CAP]]);
    const { channel, propagator } = engine(scheduler, ledger);
    propagator.assumeRevisions("c", "A", DAY, CAP);
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 4, version: 2 });
    await scheduler.runUntil(LATE + 60_000);
    propagator.publish("A", { quantity: 0, version: 3 });
    await scheduler.runUntil((DAY + 1) * DAY_MS - 1);
    expect(channel.calls).toHaveLength(0);
    expect(propagator.idle).toBe(false);
    // Midnight UTC: a fresh budget; the latest level (the sell-out) goes out, counted for the new day.
    await scheduler.runUntil((DAY + 1) * DAY_MS + 1_000);
    expect(channel.calls.map((c) => c.updates[0])).toEqual([{ sku: "A", quantity: 0, version: 3 }]);
    expect(ledger.get(entry("c", "A", DAY + 1))).toBe(1);
    expect(ledger.get(entry("c", "A", DAY))).toBe(CAP);
    propagator.stop();
  });

  it("assumeRevisions never lowers a count, ignores a past day, and refuses an unknown channel or a count that is not a whole number ≥ 0", async () => {
    const scheduler = new VirtualScheduler(LATE);
    const { channel, propagator } = engine(scheduler, undefined);
    propagator.assumeRevisions("c", "A", DAY - 1, CAP); // yesterday's: nothing to do with today's budget
    propagator.assumeRevisions("c", "B", DAY, 8);
    propagator.assumeRevisions("c", "B", DAY, 3); // a lower count (another replica's, an older load): kept at 8
    propagator.assumeRevisions("c", "B", DAY - 1, 0);
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: 1 });
    propagator.assumeConfirmed("c", "B", { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 4, version: 2 });
    propagator.publish("B", { quantity: 4, version: 2 });
    await scheduler.runUntil(LATE + 60_000);
    expect(channel.calls.map((c) => c.updates[0]?.sku)).toEqual(["A"]);
    expect(() => propagator.assumeRevisions("x", "A", DAY, 1)).toThrow(RangeError);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => propagator.assumeRevisions("c", "A", DAY, bad)).toThrow(RangeError);
    expect(() => propagator.assumeRevisions("c", "A", 1.5, 1)).toThrow(RangeError);
    propagator.stop();
  });

  it("reports each revision charged, and each one given back when the channel did not apply the update (not after a timeout: it may have landed)", async () => {
    const scheduler = new VirtualScheduler(LATE);
    const spent: string[] = [];
    const refunded: string[] = [];
    const { channel, propagator } = engine(scheduler, {
      onRevisionSpent: (c, sku, day) => spent.push(`${c}/${sku}/${day}`),
      onRevisionRefunded: (c, sku, day) => refunded.push(`${c}/${sku}/${day}`),
    });
    const reply = (outcome: PushOutcome) => (updates: readonly unknown[]) => updates.map(() => outcome);
    // A refused (given back), B timed out (kept: it may have landed) and then sent again, C's call failed
    // with a 503 (given back) and then sent again.
    channel.replies.push(reply({ ok: false, reason: "rejected", message: "400" }));
    propagator.publish("A", { quantity: 4, version: 1 });
    await scheduler.runUntil(LATE + 60_000);
    channel.replies.push(reply({ ok: false, reason: "timeout", message: "no reply" }));
    propagator.publish("B", { quantity: 4, version: 1 });
    await scheduler.runUntil(LATE + 120_000);
    channel.replies.push(reply({ ok: false, reason: "unavailable", message: "503" }));
    propagator.publish("C", { quantity: 4, version: 1 });
    await scheduler.runUntil(LATE + 180_000);
    expect(channel.calls.map((c) => c.updates[0]?.sku)).toEqual(["A", "B", "B", "C", "C"]);
    expect(spent).toEqual(["A", "B", "B", "C", "C"].map((sku) => `c/${sku}/${DAY}`));
    expect(refunded).toEqual([`c/A/${DAY}`, `c/C/${DAY}`]);
    expect(propagator.idle).toBe(true);
    propagator.stop();
  });
});
