// The revision budget of replicas across a rolling deploy: with `replicas: 2` each replica paces half of
// eBay's 250 revisions per listing per day (125, channelBudgetPerReplica), while the ledger's hash in Redis
// holds both replicas' revisions. Review: a start that took the hash's TOTAL back as the replica's own
// count froze a listing that had spent 126 of 250 on both replicas (126 > 125) — sell-out included —
// until midnight UTC. A started replica takes back ceil(total / replicas) (revision-take-back.ts, the
// rule engine-service.ts's start applies to what RevisionLedger.load read).
import { Prng, VirtualScheduler, noopMetrics, type ChannelClient, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import { Propagator } from "@synclag/engine";
import { type RevisionCount } from "@synclag/redis-store";
import { describe, expect, it } from "vitest";
import { revisionsTakenBack, takeBackRevisionCounts } from "./revision-take-back.js";

const DAY_MS = 86_400_000;
const DAY = 20_000;
const AFTERNOON = DAY * DAY_MS + 14 * 3_600_000; // 14:00 UTC: the pacing allows 75 of a 125 share by then
const CAP = 250; // eBay's
const REPLICAS = 2;
const SHARE = CAP / REPLICAS;

/** eBay answering every update after 10 ms, one per call; the calls kept. */
class RecordingChannel implements ChannelClient {
  readonly channel = "ebay";
  readonly maxBatchSize = 1;
  readonly calls: QuantityUpdate[][] = [];
  constructor(private readonly scheduler: VirtualScheduler) {}
  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    this.calls.push([...updates]);
    return new Promise((resolve) => this.scheduler.setTimer(10, () => resolve(updates.map(() => ({ ok: true as const })))));
  }
  readQuantities(): Promise<Map<string, number>> {
    return Promise.resolve(new Map());
  }
  cancelOrder(): Promise<PushOutcome> {
    return Promise.resolve({ ok: true });
  }
}

type Ledger = Map<string, number>; // the Redis hash of (ebay, DAY): sku -> count of every replica

function replica(scheduler: VirtualScheduler, ledger: Ledger) {
  const channel = new RecordingChannel(scheduler);
  const propagator = new Propagator({
    channels: [{ client: channel, rateLimit: { ratePerSecond: 1_000, burst: 1_000 }, maxInFlightCalls: 1, revisionsPerSkuPerDay: SHARE }],
    clock: scheduler,
    scheduler,
    random: new Prng(1),
    metrics: noopMetrics,
    onRevisionSpent: (_c, sku) => ledger.set(sku, (ledger.get(sku) ?? 0) + 1),
    onRevisionRefunded: (_c, sku) => ledger.set(sku, (ledger.get(sku) ?? 0) - 1),
  });
  return { channel, propagator };
}

/** A start: what RevisionLedger.load(DAY) gives back, taken back by the service's rule. */
function start(scheduler: VirtualScheduler, ledger: Ledger) {
  const r = replica(scheduler, ledger);
  const counts: RevisionCount[] = [...ledger].map(([sku, count]) => ({ channel: "ebay", sku, count }));
  expect(takeBackRevisionCounts(r.propagator, counts, DAY, REPLICAS)).toEqual({ ebay: counts.length });
  return r;
}

describe("revisionsTakenBack: a started replica's part of the ledger's total", () => {
  it("is ceil(total / replicas): the total itself with one replica", () => {
    expect(revisionsTakenBack(126, 1)).toBe(126);
    expect(revisionsTakenBack(126, 2)).toBe(63);
    expect(revisionsTakenBack(125, 2)).toBe(63);
    expect(revisionsTakenBack(1, 3)).toBe(1);
    expect(revisionsTakenBack(0, 2)).toBe(0);
    expect(() => revisionsTakenBack(-1, 2)).toThrow(RangeError);
    expect(() => revisionsTakenBack(1.5, 2)).toThrow(RangeError);
    expect(() => revisionsTakenBack(10, 0)).toThrow(RangeError);
  });

  it("keeps the replicas together within the cap: Σ(share − ceil(total/N)) + total ≤ N·share", () => {
    for (const replicas of [1, 2, 3, 4, 5]) {
      const share = Math.floor(CAP / replicas);
      for (let total = 0; total <= share * replicas; total++) expect(replicas * (share - revisionsTakenBack(total, replicas)) + total).toBeLessThanOrEqual(share * replicas);
    }
  });
});

describe("the revision budget with replicas: 2 across a rolling deploy", () => {
  it("a sell-out of a listing that spent 126 of eBay's 250 today still goes out after both replicas restarted, and the replicas never spend past 250", async () => {
    const scheduler = new VirtualScheduler(AFTERNOON);
    const ledger: Ledger = new Map();
    const a = replica(scheduler, ledger);
    const b = replica(scheduler, ledger);
    a.propagator.assumeConfirmed("ebay", "HOT", { quantity: 1_000, version: 1 });
    b.propagator.assumeConfirmed("ebay", "HOT", { quantity: 1_000, version: 1 });
    // Orders are shared by the consumer: each replica pushes 63 of the listing's changes.
    let version = 2;
    for (let i = 0; i < 63; i++) {
      for (const r of [a, b]) {
        r.propagator.publish("HOT", { quantity: 1_000 - version, version });
        version += 1;
      }
      await scheduler.runUntil(scheduler.now() + 1_000);
    }
    expect(a.channel.calls.length + b.channel.calls.length).toBe(126);
    expect(ledger.get("HOT")).toBe(126);
    a.propagator.stop();
    b.propagator.stop();

    // Rolling deploy: each replica restarts and takes the day's counts back before sending anything.
    const a2 = start(scheduler, ledger);
    const b2 = start(scheduler, ledger);
    for (const r of [a2, b2]) r.propagator.assumeConfirmed("ebay", "HOT", { quantity: 1_000 - (version - 1), version: version - 1 });

    // The last units sell: the sell-out reaches eBay (126 + 1 < 250). Before: held until midnight UTC.
    a2.propagator.publish("HOT", { quantity: 0, version });
    version += 1;
    await scheduler.runUntil(scheduler.now() + 60 * 60_000);
    expect(a2.channel.calls.map((c) => c[0]?.quantity)).toEqual([0]);

    // Restocked and hot until the end of the UTC day: both replicas push all their pacing allows, and
    // their sell-outs the reserve — together never past eBay's 250.
    await scheduler.runUntil(DAY * DAY_MS + 23 * 3_600_000);
    for (let i = 0; i < 200; i++) {
      for (const r of [a2, b2]) {
        r.propagator.publish("HOT", { quantity: 500 - (i % 100), version });
        version += 1;
      }
      await scheduler.runUntil(scheduler.now() + 1_000);
    }
    for (const r of [a2, b2]) {
      r.propagator.publish("HOT", { quantity: 0, version });
      version += 1;
      await scheduler.runUntil(scheduler.now() + 1_000);
    }
    const afterDeploy = a2.channel.calls.length + b2.channel.calls.length;
    expect(afterDeploy).toBeGreaterThan(100); // each replica went on from 63 of its 125, not frozen at 126
    expect(126 + afterDeploy).toBeLessThanOrEqual(CAP);
    expect(ledger.get("HOT")).toBe(126 + afterDeploy);
    a2.propagator.stop();
    b2.propagator.stop();
  });
});
