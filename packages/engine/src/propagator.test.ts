import { describe, expect, it } from "vitest";
import { Prng, VirtualScheduler, noopMetrics } from "@synclag/core";
import { RecordingMetrics, ScriptedChannel, callLog, setup } from "../test/support.js";
import type { PushOutcome } from "@synclag/core";
import { Propagator } from "./propagator.js";
import { TokenBucket } from "./token-bucket.js";

describe("Propagator", () => {
  it("keeps one update in flight per SKU and coalesces newer versions (latest wins)", async () => {
    const { scheduler, channel, propagator } = setup();
    propagator.publish("A", { quantity: 10, version: 1 });
    propagator.publish("A", { quantity: 9, version: 2 });
    propagator.publish("A", { quantity: 8, version: 3 });
    await scheduler.runUntil(10_000);
    expect(channel.calls.map((c) => c.updates.map((u) => u.version))).toEqual([[1], [3]]);
    expect(propagator.idle).toBe(true);
  });

  it("never moves a channel back to an older version", async () => {
    const { scheduler, channel, propagator } = setup();
    propagator.publish("A", { quantity: 5, version: 7 });
    await scheduler.runUntil(1000);
    propagator.publish("A", { quantity: 9, version: 6 });
    propagator.publish("A", { quantity: 5, version: 7 });
    await scheduler.runUntil(10_000);
    expect(channel.calls.flatMap((c) => c.updates.map((u) => u.version))).toEqual([7]);
  });

  it("sends a sell-out still shown as available before counts that merely drifted, when the rate limit is the bottleneck", async () => {
    const { scheduler, channel, propagator } = setup({ ratePerSecond: 1, burst: 1 });
    for (const sku of ["A", "B", "C"]) propagator.assumeConfirmed("c", sku, { quantity: 5, version: 1 });
    propagator.publish("X", { quantity: 3, version: 1 }); // takes the only token
    propagator.publish("A", { quantity: 6, version: 2 }); // shown low: drift
    propagator.publish("B", { quantity: 4, version: 2 }); // shown high
    propagator.publish("C", { quantity: 0, version: 2 }); // sold out, shown 5
    await scheduler.runUntil(10_000);
    expect(channel.calls.map((c) => c.updates[0]?.sku)).toEqual(["X", "C", "B", "A"]);
  });

  it("ages a count shown too low: after driftAgeingMs it competes with shown-high counts by age, so it cannot starve", async () => {
    const scheduler = new VirtualScheduler(0);
    const channel = new ScriptedChannel("c", 1, scheduler, 10);
    const propagator = new Propagator({ channels: [{ client: channel, rateLimit: { ratePerSecond: 1, burst: 1 }, maxInFlightCalls: 1, driftAgeingMs: 60_000 }], clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics });
    for (let i = 0; i < 500; i++) propagator.assumeConfirmed("c", `H${i}`, { quantity: 5, version: 1 });
    propagator.assumeConfirmed("c", "R", { quantity: 0, version: 1 });
    // A steady stream of shown-high counts, one per second — the limit (1/s) is always busy.
    for (let i = 0; i < 500; i++) {
      propagator.publish(`H${i}`, { quantity: 4, version: 2 });
      if (i === 0) propagator.publish("R", { quantity: 300, version: 2 }); // restocked, shown 0: drift (lost sales)
      await scheduler.runUntil(i * 1_000 + 999);
    }
    const at = channel.calls.findIndex((c) => c.updates[0]?.sku === "R");
    expect(at).toBeGreaterThan(0);
    expect(channel.calls[at]?.atMs).toBeGreaterThanOrEqual(60_000);
    expect(channel.calls[at]?.atMs).toBeLessThanOrEqual(62_000);
  });

  it("a newer version of a queued update keeps its place in line while its risk class is unchanged", async () => {
    const { scheduler, channel, propagator } = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10 });
    for (const sku of ["A", "B", "C"]) propagator.assumeConfirmed("c", sku, { quantity: 5, version: 1 });
    propagator.publish("X", { quantity: 3, version: 1 }); // takes the only token
    propagator.publish("A", { quantity: 4, version: 2 }); // shown high
    propagator.publish("B", { quantity: 4, version: 2 });
    propagator.publish("C", { quantity: 4, version: 2 });
    propagator.publish("A", { quantity: 3, version: 3 }); // still shown high: stays first
    propagator.publish("B", { quantity: 0, version: 3 }); // now a sell-out shown as available: moves ahead
    await scheduler.runUntil(10_000);
    expect(callLog(channel)).toEqual(["0:X1", "1000:B3", "2000:A3", "3000:C2"]);
  });

  it("a hot SKU re-priced while it waits on a saturated channel still reaches the head (it is not sent to the back)", async () => {
    const { scheduler, channel, propagator } = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10 });
    for (let i = 0; i < 130; i++) propagator.assumeConfirmed("c", `S${i}`, { quantity: 5, version: 1 });
    propagator.assumeConfirmed("c", "HOT", { quantity: 500, version: 1 });
    // A standing backlog of 10 and one more SKU per second: the limit (1/s) is always busy. The hot SKU
    // sells every half second, so it is re-priced twice while any other update waits its turn.
    for (let i = 0; i < 10; i++) propagator.publish(`S${i}`, { quantity: 4, version: 2 });
    for (let i = 0; i < 120; i++) {
      propagator.publish(`S${10 + i}`, { quantity: 4, version: 2 });
      propagator.publish("HOT", { quantity: 499 - 2 * i, version: 2 + 2 * i });
      await scheduler.runUntil(i * 1_000 + 500);
      propagator.publish("HOT", { quantity: 498 - 2 * i, version: 3 + 2 * i });
      await scheduler.runUntil(i * 1_000 + 999);
    }
    const hot = channel.calls.filter((c) => c.updates[0]?.sku === "HOT").map((c) => c.atMs);
    // Sent to the back on every re-price, it would wait until the backlog ran dry: not once in two minutes.
    expect(hot.length).toBeGreaterThanOrEqual(6);
    expect(hot[0]).toBeLessThanOrEqual(15_000);
    expect(Math.max(...hot.slice(1).map((at, k) => at - (hot[k] as number)))).toBeLessThanOrEqual(25_000);
  });

  it("honours the token bucket and batches pending SKUs up to the channel's batch size", async () => {
    const { scheduler, channel, propagator } = setup({ ratePerSecond: 2, burst: 1, maxBatchSize: 2, latencyMs: 10 });
    for (const sku of ["A", "B", "C", "D", "E"]) propagator.publish(sku, { quantity: 1, version: 1 });
    await scheduler.runUntil(10_000);
    expect(channel.calls.map((c) => c.updates.length)).toEqual([1, 2, 2]);
    expect(channel.calls.map((c) => c.atMs)).toEqual([0, 500, 1000]);
  });

  it("a reply that frees the only call slot sends what it queues again at once (found by review: the skipped pump)", async () => {
    const { scheduler, channel, propagator } = setup({ maxBatchSize: 3, latencyMs: 10 });
    propagator.publish("X", { quantity: 5, version: 1 }); // alone at 0
    propagator.publish("A", { quantity: 5, version: 1 });
    propagator.publish("B", { quantity: 5, version: 1 }); // every slot busy
    await scheduler.runUntil(15); // [A, B] in flight since 10
    propagator.publish("A", { quantity: 4, version: 2 });
    propagator.publish("B", { quantity: 4, version: 2 });
    propagator.publish("C", { quantity: 5, version: 1 }); // queued behind the busy slot
    await scheduler.runUntil(1_000);
    // [A, B]'s reply re-queues A2 and B2 one by one: A2 joins C at once, B2 takes the next call.
    expect(channel.calls.map((c) => `${c.atMs}:${c.updates.map((u) => `${u.sku}${u.version}`).join(",")}`)).toEqual(["0:X1", "10:A1,B1", "20:C1,A2", "30:B2"]);
  });

  it("waits as long as Retry-After says after a 429, then resends the latest version", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "rate_limited", message: "429", retryAfterMs: 2000 })));
    propagator.publish("A", { quantity: 1, version: 1 });
    await scheduler.runUntil(5);
    propagator.publish("A", { quantity: 0, version: 2 });
    await scheduler.runUntil(10_000);
    expect(channel.calls.map((c) => [c.atMs, c.updates[0]?.version])).toEqual([[0, 1], [2010, 2]]);
  });

  it("does not retry a rejected update (4xx / INVALID) but still sends a newer version", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "rejected", message: "INVALID" })));
    propagator.publish("A", { quantity: 1, version: 1 });
    await scheduler.runUntil(1000);
    expect(channel.calls).toHaveLength(1);
    expect(propagator.idle).toBe(true);
    propagator.publish("A", { quantity: 2, version: 2 });
    await scheduler.runUntil(2000);
    expect(channel.calls).toHaveLength(2);
  });

  it("keeps updates queued while the channel is down and delivers them once it heals", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    for (let i = 0; i < 30; i++) channel.replies.push((u) => u.map(() => ({ ok: false, reason: "unavailable", message: "503" })));
    propagator.publish("A", { quantity: 3, version: 1 });
    await scheduler.runUntil(600_000);
    const last = channel.calls.at(-1);
    expect(channel.calls.length).toBe(31);
    expect(last?.updates[0]?.version).toBe(1);
    expect(propagator.idle).toBe(true);
    // Backoff is capped: no gap between attempts exceeds 30 s (+ latency).
    const gaps = channel.calls.slice(1).map((c, i) => c.atMs - (channel.calls[i]?.atMs ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_010);
  });

  it("does not ask a channel that is down again before the Retry-After it sent (a 503 in maintenance mode)", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "unavailable", message: "503", retryAfterMs: 600_000 })));
    propagator.publish("A", { quantity: 3, version: 1 });
    await scheduler.runUntil(3_600_000);
    expect(channel.calls.map((c) => c.atMs)).toEqual([0, 600_010]);
    expect(propagator.idle).toBe(true);
  });

  it("lingers to fill a batch call, but never holds back a sell-out still shown as available", async () => {
    const { scheduler, channel, propagator } = setup({ maxBatchSize: 10, batchLingerMs: 500, latencyMs: 10 });
    for (const sku of ["A", "B", "C"]) propagator.assumeConfirmed("c", sku, { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 4, version: 2 });
    await scheduler.runUntil(200);
    propagator.publish("B", { quantity: 3, version: 2 });
    await scheduler.runUntil(2_000);
    // One call at the end of A's linger carries both.
    expect(channel.calls.map((c) => [c.atMs, c.updates.map((u) => u.sku)])).toEqual([[500, ["A", "B"]]]);
    propagator.publish("B", { quantity: 2, version: 3 });
    await scheduler.runUntil(2_100);
    propagator.publish("C", { quantity: 0, version: 2 }); // sold out, shown 5: goes at once, B rides along
    await scheduler.runUntil(5_000);
    expect(channel.calls.slice(1).map((c) => [c.atMs, c.updates.map((u) => u.sku)])).toEqual([[2_100, ["C", "B"]]]);
  });

  it("a full batch does not wait for the linger", async () => {
    const { scheduler, channel, propagator } = setup({ maxBatchSize: 2, batchLingerMs: 10_000, latencyMs: 10 });
    propagator.publish("A", { quantity: 4, version: 1 });
    propagator.publish("B", { quantity: 4, version: 1 });
    await scheduler.runUntil(100);
    expect(channel.calls.map((c) => c.atMs)).toEqual([0]);
  });

  it("paces a listing's daily revisions (eBay's 250/day) and keeps a reserve for the sell-out", async () => {
    const { scheduler, channel, propagator } = setup({ revisionsPerSkuPerDay: 100, latencyMs: 10 });
    propagator.assumeConfirmed("c", "A", { quantity: 100_000, version: 1 });
    // A hot SKU changes every second for an hour: the burst (a tenth of the cap) goes at once, then
    // the rest is spread over the day, so most versions coalesce while held.
    let version = 1;
    for (let second = 0; second < 3_600; second++) {
      version += 1;
      propagator.publish("A", { quantity: 100_000 - version, version });
      await scheduler.runUntil(second * 1_000 + 999);
    }
    const sent = channel.calls.length;
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThanOrEqual(10 + Math.ceil((3_600_000 / 86_400_000) * 86) + 1);
    expect(propagator.idle).toBe(false); // the latest version is held, not lost
    // A sell-out is not held: it goes at once, from the reserve.
    version += 1;
    propagator.publish("A", { quantity: 0, version });
    await scheduler.runUntil(3_600_000 + 100);
    expect(channel.calls.at(-1)?.updates[0]).toMatchObject({ quantity: 0, version });
    expect(propagator.idle).toBe(true);
    // Never more than the cap in one UTC day, however hot the SKU stays.
    for (let minute = 61; minute < 24 * 60; minute++) {
      version += 1;
      propagator.publish("A", { quantity: 100_000 - version, version });
      await scheduler.runUntil(minute * 60_000);
    }
    await scheduler.runUntil(86_400_000 - 1);
    expect(channel.calls.length).toBeLessThanOrEqual(100);
    // The held latest version goes out when the new day's budget opens.
    await scheduler.runUntil(86_400_000 + 1_000);
    expect(channel.calls.at(-1)?.updates[0]?.version).toBe(version);
    expect(propagator.idle).toBe(true);
  });

  it("skips the order's source channel only when its own sale left it exactly right", async () => {
    const { scheduler, channel, propagator } = setup();
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 4, version: 2 }, { source: "c", delta: -1, confirmedAtMs: 0 });
    await scheduler.runUntil(1000);
    expect(channel.calls).toHaveLength(0);
    propagator.publish("A", { quantity: 2, version: 4 }, { source: "c", delta: -1, confirmedAtMs: 500 });
    await scheduler.runUntil(2000);
    expect(channel.calls).toHaveLength(1);
  });
});

/** Records counter increments; `blocked(reason)` sums `blocked_ms_total` for channel "c". */
describe("Propagator blocked time (blocked_ms_total{channel, reason})", () => {
  it("counts the time queued work waited for the token bucket as rateLimit, and a busy slot as slots even with the bucket empty", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, channel, propagator } = setup({ ratePerSecond: 2, burst: 1, latencyMs: 10, metrics });
    for (const sku of ["A", "B", "C", "D", "E"]) propagator.publish(sku, { quantity: 1, version: 1 });
    await scheduler.runUntil(10_000);
    expect(channel.calls.map((c) => c.atMs)).toEqual([0, 500, 1000, 1500, 2000]);
    // Work was queued from 0 until E went at 2,000: the one slot busy for each call's 10 ms (slots), the
    // rest of each 500 ms waiting for a token (rateLimit).
    expect(metrics.blockedAll()).toEqual({ rateLimit: 2_000 - 4 * 10, paused: 0, linger: 0, revisions: 0, slots: 4 * 10 });
  });

  it("counts an outage's circuit-breaker pauses and a 429's Retry-After as paused, not rateLimit", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, channel, propagator } = setup({ latencyMs: 10, metrics });
    for (let i = 0; i < 5; i++) channel.replies.push((u) => u.map(() => ({ ok: false, reason: "unavailable", message: "503" })));
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "rate_limited", message: "429", retryAfterMs: 3_000 })));
    propagator.publish("A", { quantity: 3, version: 1 });
    await scheduler.runUntil(600_000);
    expect(channel.calls).toHaveLength(7);
    const first = channel.calls[0]?.atMs ?? 0;
    const last = channel.calls.at(-1)?.atMs ?? 0;
    // Queued (not in flight) from each failed reply (10 ms after its call) until the next call: paused.
    expect(last - first).toBeGreaterThan(3_000 + 5 * 100);
    expect(metrics.blockedAll()).toEqual({ rateLimit: 0, paused: last - first - 6 * 10, linger: 0, revisions: 0, slots: 0 });
  });

  it("counts batch linger, busy call slots and revision-budget holds under their own reasons", async () => {
    const linger = new RecordingMetrics();
    const lingering = setup({ maxBatchSize: 10, batchLingerMs: 500, latencyMs: 10, metrics: linger });
    lingering.propagator.publish("A", { quantity: 4, version: 1 });
    await lingering.scheduler.runUntil(2_000);
    expect(lingering.channel.calls.map((c) => c.atMs)).toEqual([500]);
    expect(linger.blockedAll()).toEqual({ rateLimit: 0, paused: 0, linger: 500, revisions: 0, slots: 0 });

    const slots = new RecordingMetrics();
    const busy = setup({ latencyMs: 100, metrics: slots });
    busy.propagator.publish("A", { quantity: 4, version: 1 });
    busy.propagator.publish("B", { quantity: 4, version: 1 });
    await busy.scheduler.runUntil(2_000);
    expect(busy.channel.calls.map((c) => c.atMs)).toEqual([0, 100]);
    expect(slots.blockedAll()).toEqual({ rateLimit: 0, paused: 0, linger: 0, revisions: 0, slots: 100 });

    // 10 revisions a day: a burst of 1, then one every 3 h (reserve 1) — the second version waits.
    const revisions = new RecordingMetrics();
    const budget = setup({ revisionsPerSkuPerDay: 10, latencyMs: 10, metrics: revisions });
    budget.propagator.assumeConfirmed("c", "A", { quantity: 100, version: 1 });
    budget.propagator.publish("A", { quantity: 99, version: 2 });
    await budget.scheduler.runUntil(100);
    budget.propagator.publish("A", { quantity: 98, version: 3 });
    await budget.scheduler.runUntil(86_400_000);
    expect(budget.channel.calls.map((c) => c.atMs)).toEqual([0, 10_800_000]);
    expect(revisions.blockedAll()).toEqual({ rateLimit: 0, paused: 0, linger: 0, revisions: 10_800_000 - 100, slots: 0 });
  });

  it("closes an open span when stopped", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, propagator } = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10, metrics });
    propagator.publish("A", { quantity: 1, version: 1 });
    propagator.publish("B", { quantity: 1, version: 1 });
    await scheduler.runUntil(400);
    propagator.stop();
    expect(metrics.blockedAll()).toEqual({ rateLimit: 390, paused: 0, linger: 0, revisions: 0, slots: 10 });
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then one call per 1/rate seconds", () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 5 }, 0);
    expect([0, 0, 0, 0, 0].map(() => bucket.tryTake(0))).toEqual([0, 0, 0, 0, 0]);
    expect(bucket.tryTake(0)).toBeCloseTo(200, 5);
    expect(bucket.tryTake(200)).toBe(0);
  });

  it("refills to the burst at most, and a drained bucket waits a full interval", () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 2 }, 0);
    expect([0, 0].map(() => bucket.tryTake(10_000))).toEqual([0, 0]);
    expect(bucket.tryTake(10_000)).toBeCloseTo(200, 5);
    bucket.drain(10_050);
    expect(bucket.tryTake(10_050)).toBeCloseTo(200, 5);
    expect(bucket.tryTake(10_250)).toBe(0);
    expect(bucket.tryTake(10_250)).toBeCloseTo(200, 5);
    bucket.refund();
    expect(bucket.tryTake(10_250)).toBe(0);
  });

  it("grants the whole burst at once whatever the rate (float sums of intervals must not lose a token)", () => {
    const short: string[] = [];
    for (let rate = 1; rate <= 100; rate++) {
      for (let burst = 1; burst <= 100; burst++) {
        // At an epoch-millisecond time, as the service runs it.
        const bucket = new TokenBucket({ ratePerSecond: rate, burst }, 1_800_000_000_000);
        let granted = 0;
        while (granted <= burst && bucket.tryTake(1_800_000_000_000) === 0) granted += 1;
        if (granted !== burst) short.push(`${rate}/s burst ${burst}: ${granted}`);
      }
    }
    expect(short).toEqual([]);
  });

  it("limits very high rates at epoch-millisecond times too, and refuses a rate it cannot honour", () => {
    const bucket = new TokenBucket({ ratePerSecond: 10_000_000, burst: 10 }, 1_800_000_000_000);
    expect(Array.from({ length: 1_000 }, () => bucket.tryTake(1_800_000_000_000)).filter((wait) => wait === 0)).toHaveLength(10);
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 5 }, 0)).toThrow(/positive/);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0 }, 0)).toThrow(/burst/);
  });

  it("answers the same whether or not it was asked in between (asking changes nothing)", () => {
    // Amazon's 5/s, burst 5. A refill per ask accumulated rounding: asked every millisecond, that bucket
    // granted 55 tokens in 10 s, and one asked only at those 55 times refused one of them.
    const asked = new TokenBucket({ ratePerSecond: 5, burst: 5 }, 0);
    const quiet = new TokenBucket({ ratePerSecond: 5, burst: 5 }, 0);
    const everyMs: number[] = [];
    for (let t = 0; t <= 10_000; t++) if (asked.tryTake(t) === 0) everyMs.push(t);
    expect(everyMs.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 200, 400, 600]);
    expect(everyMs).toHaveLength(55);
    expect(everyMs.filter((t) => quiet.tryTake(t) === 0)).toEqual(everyMs);
  });
});

// Found by a review of the engine's scheduling (each test fails on the code before its fix).
const down = (u: readonly unknown[]): PushOutcome[] => u.map(() => ({ ok: false, reason: "unavailable", message: "503" }));
const rejected = (u: readonly unknown[]): PushOutcome[] => u.map(() => ({ ok: false, reason: "rejected", message: "INVALID" }));
const staleReply = (u: readonly unknown[]): PushOutcome[] => u.map(() => ({ ok: false, reason: "stale", message: "compare-and-set mismatch" }));

describe("Propagator under faults", () => {
  it("a new outage long after an earlier one keeps the update queued until the channel heals (the outage clock restarts)", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, channel, propagator } = setup({ latencyMs: 10, metrics, retry: { maxOutageMs: 600_000 } });
    channel.replies.push(down, rejected); // a blip, then v1 refused per item: given up
    propagator.publish("A", { quantity: 5, version: 1 });
    await scheduler.runUntil(3_600_000);
    channel.replies.push(down, down); // an hour later, a 30-second outage
    propagator.publish("A", { quantity: 4, version: 2 });
    await scheduler.runUntil(3_720_000);
    expect(channel.calls.filter((c) => c.updates[0]?.version === 2).length).toBe(3);
    expect(propagator.confirmedVersion("c", "A")).toBe(2);
    expect(metrics.count("pushes_abandoned_total", { reason: "outage" })).toBe(0);
  });

  it("calls the channel did not apply (503s in an outage) do not use up a listing's daily revisions", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10, revisionsPerSkuPerDay: 100 });
    propagator.assumeConfirmed("c", "A", { quantity: 50, version: 1 });
    const start = 8 * 3_600_000;
    await scheduler.runUntil(start);
    channel.fallback = (u) => (scheduler.now() < start + 1_200_000 ? down(u) : u.map(() => ({ ok: true as const })));
    propagator.publish("A", { quantity: 49, version: 2 }); // a 20-minute outage from 8:00
    await scheduler.runUntil(start + 1_500_000);
    expect(channel.calls.find((c) => c.atMs >= start + 1_200_000)?.atMs).toBeLessThanOrEqual(start + 1_230_000);
    propagator.publish("A", { quantity: 48, version: 3 }); // 8:25: one revision applied today, this one goes at once
    await scheduler.runUntil(start + 3_600_000);
    expect(channel.calls.find((c) => c.updates[0]?.version === 3)?.atMs).toBeLessThanOrEqual(start + 1_501_000);
  });

  it("a sell-out published while the older version waits out a per-item retry backoff goes out at once", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    for (let i = 0; i < 7; i++) channel.replies.push(staleReply);
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 4, version: 2 });
    await scheduler.runUntil(8_100); // the 8th attempt waits 6.4–12.8 s
    propagator.publish("A", { quantity: 0, version: 3 });
    await scheduler.runUntil(60_000);
    expect(channel.calls.find((c) => c.updates[0]?.version === 3)?.atMs).toBe(8_100);
  });

  it("a 429 for one item of a batch (eBay's 207) holds back what the same reply queued again, until its Retry-After", async () => {
    const { scheduler, channel, propagator } = setup({ maxBatchSize: 25, latencyMs: 10 });
    channel.replies.push((u) => u.map(() => ({ ok: true as const })));
    channel.replies.push(() => [{ ok: true }, { ok: false, reason: "rate_limited", message: "429", retryAfterMs: 5_000 }]);
    propagator.publish("X", { quantity: 5, version: 1 });
    propagator.publish("A", { quantity: 5, version: 1 });
    propagator.publish("B", { quantity: 5, version: 1 });
    await scheduler.runUntil(15); // [A1, B1] in flight since 10, reply at 20
    propagator.publish("A", { quantity: 4, version: 2 });
    await scheduler.runUntil(20_000);
    expect(callLog(channel)).toEqual(["0:X1", "10:A1,B1", "5020:A2,B1"]);
  });

  it("stops counting blocked time as revisions once the held update went out as a sell-out and nothing is pending", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, channel, propagator } = setup({ revisionsPerSkuPerDay: 10, latencyMs: 10, metrics });
    propagator.assumeConfirmed("c", "A", { quantity: 100, version: 1 });
    propagator.publish("A", { quantity: 99, version: 2 }); // the burst
    await scheduler.runUntil(100);
    propagator.publish("A", { quantity: 98, version: 3 }); // held until 3 h
    await scheduler.runUntil(1_000);
    propagator.publish("A", { quantity: 0, version: 4 }); // sold out: goes at once from the reserve
    await scheduler.runUntil(7_200_000);
    expect(callLog(channel)).toEqual(["0:A2", "1000:A4"]);
    propagator.stop();
    expect(metrics.blocked("revisions")).toBe(900);
  });

  it("leaves no timer behind after stop: neither a per-item retry's backoff nor one a late reply would arm", async () => {
    const first = setup({ latencyMs: 10 });
    first.channel.replies.push(staleReply);
    first.propagator.publish("A", { quantity: 5, version: 1 });
    await first.scheduler.runUntil(50); // reply at 10: a retry timer is pending
    first.propagator.stop();
    expect(first.scheduler.pending).toBe(0);
    const second = setup({ latencyMs: 10 });
    second.channel.replies.push(staleReply);
    second.propagator.publish("A", { quantity: 5, version: 1 });
    second.propagator.stop(); // the call is in flight
    await second.scheduler.runUntil(11);
    expect(second.scheduler.pending).toBe(0);
  });

  it("counts pairs, not the stale entries a change of risk class leaves in the queues, in backlogPeak", async () => {
    const { scheduler, propagator } = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10 });
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: 1 });
    propagator.publish("X", { quantity: 1, version: 1 }); // takes the only token
    propagator.publish("A", { quantity: 4, version: 2 }); // shown high
    propagator.publish("A", { quantity: 0, version: 3 }); // sell-out shown as available
    propagator.publish("A", { quantity: 9, version: 4 }); // restocked: drift
    await scheduler.runUntil(10_000);
    expect(propagator.backlog()[0]?.backlogPeak).toBe(1);
  });
});

// Redis lost its data and the stock was restored: every SKU starts again at version 1, below what the
// channels confirmed before the loss. `restartVersions` makes the propagator push the new levels anyway.
describe("Propagator restartVersions (the store's versions restarted)", () => {
  it("pushes a restored SKU at version 1 to a channel that confirmed version 5 before the loss", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 10 });
    for (let version = 1; version <= 5; version++) {
      propagator.publish("A", { quantity: 10 - version, version });
      await scheduler.runUntil(version * 100);
    }
    propagator.publish("A", { quantity: 40, version: 1 }); // the restored count, before the restart: refused
    await scheduler.runUntil(1_000);
    expect(callLog(channel)).toEqual(["0:A1", "100:A2", "200:A3", "300:A4", "400:A5"]);
    propagator.restartVersions();
    expect(propagator.confirmedVersion("c", "A")).toBeUndefined();
    expect(propagator.isSettled("A", 1)).toBe(false);
    propagator.publish("A", { quantity: 40, version: 1 });
    propagator.publish("A", { quantity: 39, version: 2 }); // a held order applied after the restore
    await scheduler.runUntil(2_000);
    expect(callLog(channel).slice(5)).toEqual(["1000:A1", "1010:A2"]);
    expect(channel.calls.at(-1)?.updates[0]).toMatchObject({ quantity: 39, version: 2 });
    expect(propagator.confirmedVersion("c", "A")).toBe(2);
    expect(propagator.isSettled("A", 2)).toBe(true);
    expect(propagator.idle).toBe(true);
  });

  it("a call in flight that replies after the restart confirms nothing and frees its slot; the restored level goes out after it, never beside it", async () => {
    const { scheduler, channel, propagator } = setup({ latencyMs: 100, maxInFlightCalls: 2 });
    propagator.publish("A", { quantity: 3, version: 7 }); // in flight 0–100
    await scheduler.runUntil(50);
    propagator.restartVersions();
    propagator.publish("A", { quantity: 40, version: 1 });
    propagator.publish("B", { quantity: 8, version: 1 }); // a free slot: goes at once
    await scheduler.runUntil(99);
    expect(callLog(channel)).toEqual(["0:A7", "50:B1"]); // A waits for its old call to reply
    expect(propagator.isIdle("c", "A")).toBe(false);
    await scheduler.runUntil(100); // the old call's reply: ok for version 7
    expect(propagator.confirmedVersion("c", "A")).toBeUndefined();
    await scheduler.runUntil(1_000);
    expect(callLog(channel)).toEqual(["0:A7", "50:B1", "100:A1"]);
    expect(propagator.confirmedVersion("c", "A")).toBe(1);
    expect(propagator.backlog()[0]?.inFlightCalls).toBe(0);
    expect(propagator.idle).toBe(true);
  });

  it("a call in flight that fails after the restart is neither retried nor given up, whether one item or the whole call failed", async () => {
    const metrics = new RecordingMetrics();
    const { scheduler, channel, propagator } = setup({ latencyMs: 10, metrics });
    channel.replies.push(staleReply);
    propagator.publish("A", { quantity: 3, version: 7 });
    propagator.restartVersions(); // the call is in flight
    await scheduler.runUntil(60_000);
    expect(callLog(channel)).toEqual(["0:A7"]);
    expect(metrics.count("push_retries_total")).toBe(0);
    expect(metrics.count("pushes_abandoned_total")).toBe(0);
    expect(propagator.abandonedVersion("c", "A")).toBe(0);
    expect(propagator.idle).toBe(true);
    // The whole call failed (an outage): the channel still pauses, the restored level goes when it ends.
    channel.replies.push(down);
    propagator.publish("B", { quantity: 5, version: 9 }); // at 60 000, reply at 60 010
    propagator.restartVersions();
    propagator.publish("B", { quantity: 50, version: 1 });
    await scheduler.runUntil(120_000);
    const log = callLog(channel);
    expect(log.filter((call) => call.endsWith(":B9"))).toEqual(["60000:B9"]);
    expect(log.at(-1)).toMatch(/:B1$/);
    expect(channel.calls.at(-1)?.atMs).toBeGreaterThan(60_010); // after the circuit breaker's pause
    expect(metrics.count("channel_failures_total")).toBe(1);
    expect(propagator.confirmedVersion("c", "B")).toBe(1);
  });

  it("drops what was queued, waiting out a retry's backoff, lingering or held by the revision budget before the restart", async () => {
    // Queued behind the rate limit.
    const queued = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10 });
    queued.propagator.publish("X", { quantity: 1, version: 1 }); // takes the only token
    queued.propagator.publish("A", { quantity: 9, version: 9 });
    queued.propagator.restartVersions();
    await queued.scheduler.runUntil(10_000);
    expect(callLog(queued.channel)).toEqual(["0:X1"]);
    expect(queued.propagator.idle).toBe(true);
    // Waiting out a per-item retry's backoff: its timer goes too.
    const retrying = setup({ latencyMs: 10 });
    retrying.channel.replies.push(staleReply);
    retrying.propagator.publish("A", { quantity: 9, version: 9 });
    await retrying.scheduler.runUntil(20); // failed at 10, the retry waits
    expect(retrying.propagator.idle).toBe(false);
    retrying.propagator.restartVersions();
    expect(retrying.scheduler.pending).toBe(0);
    await retrying.scheduler.runUntil(60_000);
    expect(callLog(retrying.channel)).toEqual(["0:A9"]);
    expect(retrying.propagator.idle).toBe(true);
    // Lingering for a batch: only what is published after the restart goes, after its own linger.
    const lingering = setup({ maxBatchSize: 10, batchLingerMs: 500, latencyMs: 10 });
    lingering.propagator.publish("A", { quantity: 4, version: 9 });
    await lingering.scheduler.runUntil(100);
    lingering.propagator.restartVersions();
    lingering.propagator.publish("B", { quantity: 7, version: 1 });
    await lingering.scheduler.runUntil(5_000);
    expect(callLog(lingering.channel)).toEqual(["600:B1"]);
    // Held by the revision budget: not sent when the budget opens, and no longer counted as held.
    const metrics = new RecordingMetrics();
    const held = setup({ revisionsPerSkuPerDay: 10, latencyMs: 10, metrics });
    held.propagator.assumeConfirmed("c", "A", { quantity: 100, version: 1 });
    held.propagator.publish("A", { quantity: 99, version: 2 }); // the burst
    await held.scheduler.runUntil(100);
    held.propagator.publish("A", { quantity: 98, version: 3 }); // held until ~3 h
    await held.scheduler.runUntil(1_000);
    held.propagator.restartVersions();
    await held.scheduler.runUntil(86_400_000);
    expect(callLog(held.channel)).toEqual(["0:A2"]);
    held.propagator.stop();
    expect(metrics.blocked("revisions")).toBe(900);
  });
});
