// A request whose outcome was unknown (a timeout, a broken connection) can still land on the channel
// after the client gave up — after a newer version was sent and confirmed — and marketplaces have no
// version check: the listing moves back. The propagator cannot stop the network from delivering it; it
// re-pushes the latest version once when its landing window ends (found by review: a slow API behind a
// short client timeout left Shopify on an older version until the reconciler).
import { describe, expect, it } from "vitest";
import { Prng, VirtualScheduler, type ChannelClient, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import { RecordingMetrics } from "../test/support.js";
import { Propagator } from "./propagator.js";

type Reply = "ok" | "timeout" | "transport";

/**
 * How one call goes: when its request lands on the listing and when the client hears what (ms after the
 * send); an array gives each item of a batch call its own.
 */
interface Plan {
  readonly landAfterMs: number | readonly number[];
  readonly reply: Reply | readonly Reply[];
  readonly replyAfterMs: number;
}

/**
 * A channel whose listing takes whatever lands, in landing order, with no version check (as real
 * marketplaces do), and whose calls follow scripted plans: a request may land after its client gave up.
 */
class LandingChannel implements ChannelClient {
  readonly channel = "c";
  readonly calls: Array<{ atMs: number; update: string }> = [];
  readonly listing = new Map<string, { quantity: number; version: number }>();
  plans: Plan[] = [];
  fallback: Plan = { landAfterMs: 50, reply: "ok", replyAfterMs: 100 };
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly scheduler: VirtualScheduler,
    readonly maxBatchSize = 1,
  ) {}
  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const plan = this.plans.shift() ?? this.fallback;
    const each = <T>(value: T | readonly T[], index: number): T => (Array.isArray(value) ? (value as readonly T[])[index] : value) as T;
    this.calls.push({ atMs: this.scheduler.now(), update: updates.map((u) => `${u.sku}${u.version}`).join(",") });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    for (const [index, u] of updates.entries()) this.scheduler.setTimer(each(plan.landAfterMs, index), () => this.listing.set(u.sku, { quantity: u.quantity, version: u.version }));
    return new Promise((resolve) =>
      this.scheduler.setTimer(plan.replyAfterMs, () => {
        this.inFlight -= 1;
        resolve(
          updates.map((_, index) => {
            const reply = each(plan.reply, index);
            return reply === "ok" ? { ok: true } : { ok: false, reason: reply, message: reply === "timeout" ? "no reply within 1 s" : "connection reset" };
          }),
        );
      }),
    );
  }
  readQuantities(): Promise<Map<string, number>> {
    return Promise.resolve(new Map());
  }
  cancelOrder(): Promise<PushOutcome> {
    return Promise.resolve({ ok: true });
  }
  log(): string[] {
    return this.calls.map((c) => `${c.atMs}:${c.update}`);
  }
}

function setup(options: { lateLandingWindowMs?: number; ratePerSecond?: number; burst?: number; maxBatchSize?: number } = {}) {
  const scheduler = new VirtualScheduler(0);
  const channel = new LandingChannel(scheduler, options.maxBatchSize);
  const metrics = new RecordingMetrics();
  const propagator = new Propagator({
    channels: [{ client: channel, rateLimit: { ratePerSecond: options.ratePerSecond ?? 1000, burst: options.burst ?? 1000 }, maxInFlightCalls: 4, ...(options.lateLandingWindowMs === undefined ? {} : { lateLandingWindowMs: options.lateLandingWindowMs }), ...(options.maxBatchSize === undefined ? {} : { batchLingerMs: 10 }) }],
    clock: scheduler,
    scheduler,
    random: new Prng(1),
    metrics,
  });
  propagator.assumeConfirmed("c", "A", { quantity: 10, version: 1 });
  channel.listing.set("A", { quantity: 10, version: 1 });
  return { scheduler, channel, metrics, propagator };
}

/** A2 (5) is sent at 0: its client gives up at 1 s, its request lands at 3 s. A3 (4) is published at 500 ms. */
async function timedOutThenNewer(failure: Reply, options: { lateLandingWindowMs?: number } = {}) {
  const s = setup(options);
  s.channel.plans.push({ landAfterMs: 3_000, reply: failure, replyAfterMs: 1_000 });
  s.propagator.publish("A", { quantity: 5, version: 2 });
  await s.scheduler.runUntil(500);
  s.propagator.publish("A", { quantity: 4, version: 3 });
  await s.scheduler.runUntil(2_000);
  expect(s.propagator.confirmedVersion("c", "A")).toBe(3); // A3 went out after the failure (the circuit's short pause) and landed
  await s.scheduler.runUntil(3_500);
  expect(s.channel.listing.get("A"), "the abandoned A2 landed after A3").toEqual({ quantity: 5, version: 2 });
  return s;
}

describe("Propagator: a request that lands after its client gave up", () => {
  for (const failure of ["timeout", "transport"] as const) {
    it(`${failure}: the latest version is pushed again when the landing window ends, and the listing is back on it`, async () => {
      const { scheduler, channel, metrics, propagator } = await timedOutThenNewer(failure, { lateLandingWindowMs: 5_000 });
      await scheduler.runUntil(60_000);
      const log = channel.log();
      expect(log).toHaveLength(3);
      expect(log[0]).toBe("0:A2");
      expect(log[1]).toMatch(/^1\d{3}:A3$/);
      expect(log[2]).toBe("6000:A3"); // the failure at 1 s + the 5 s window
      expect(channel.listing.get("A")).toEqual({ quantity: 4, version: 3 });
      expect(metrics.count("late_landing_repushes_total", { channel: "c" })).toBe(1);
      expect(propagator.idle).toBe(true);
    });
  }

  it("the window defaults to 30 s", async () => {
    const { scheduler, channel } = await timedOutThenNewer("timeout");
    await scheduler.runUntil(30_999);
    expect(channel.calls).toHaveLength(2);
    await scheduler.runUntil(60_000);
    expect(channel.log()[2]).toBe("31000:A3");
    expect(channel.listing.get("A")).toEqual({ quantity: 4, version: 3 });
  });

  it("lateLandingWindowMs 0: no re-push (the reconciler is left to repair it)", async () => {
    const { scheduler, channel, metrics } = await timedOutThenNewer("timeout", { lateLandingWindowMs: 0 });
    await scheduler.runUntil(120_000);
    expect(channel.calls).toHaveLength(2);
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
  });

  it("no re-push when no newer version was sent: the late request set the version the channel was sent last", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 5, version: 2 });
    await scheduler.runUntil(60_000);
    expect(channel.calls.map((c) => c.update)).toEqual(["A2", "A2"]); // the retry of A2, nothing after the window
    expect(channel.listing.get("A")).toEqual({ quantity: 5, version: 2 });
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
  });

  it("no re-push after stop(), and no timer of the window outlives it", async () => {
    const { scheduler, channel, metrics, propagator } = await timedOutThenNewer("timeout", { lateLandingWindowMs: 5_000 });
    propagator.stop();
    // Nothing of the propagator's is left to fire (the channel's own timers have all run by now).
    expect(scheduler.pending).toBe(0);
    await scheduler.runUntil(60_000);
    expect(channel.calls).toHaveLength(2);
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
  });

  it("stopped with a call in flight: its timeout after stop() opens no window and arms no timer", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 5, version: 2 });
    await scheduler.runUntil(500);
    propagator.publish("A", { quantity: 4, version: 3 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    await scheduler.runUntil(1_500); // A2 timed out; A3 in flight, its window (if any) would end at 7 s
    propagator.stop();
    await scheduler.runUntil(5_000); // A3's timeout arrives after stop(), its request lands later
    expect(scheduler.pending).toBe(0);
    await scheduler.runUntil(60_000);
    expect(channel.calls.map((c) => c.update)).toEqual(["A2", "A3"]);
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
  });

  it("an update still in flight when the window ends: the re-push goes after its reply, one call at a time", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 5, version: 2 });
    await scheduler.runUntil(500);
    propagator.publish("A", { quantity: 4, version: 3 });
    // A3 lands at once but its reply takes 10 s: in flight when the window ends at 6 s.
    channel.plans.push({ landAfterMs: 50, reply: "ok", replyAfterMs: 10_000 });
    await scheduler.runUntil(60_000);
    const log = channel.log();
    expect(log.map((c) => c.split(":")[1])).toEqual(["A2", "A3", "A3"]);
    const a3 = Number(log[1]?.split(":")[0]);
    expect(Number(log[2]?.split(":")[0])).toBe(a3 + 10_000); // at A3's reply, not at 6 s
    expect(channel.maxInFlight).toBe(1);
    expect(channel.listing.get("A")).toEqual({ quantity: 4, version: 3 });
    expect(metrics.count("late_landing_repushes_total")).toBe(1);
  });

  it("the re-push is ranked by what the late request may have set: a sell-out after a late restock goes first", async () => {
    // 1 call/s: the window ends while B, C, D (counts merely drifted low) wait for the bucket.
    const { scheduler, channel, propagator } = setup({ lateLandingWindowMs: 5_000, ratePerSecond: 1, burst: 1 });
    for (const sku of ["B", "C", "D"]) propagator.assumeConfirmed("c", sku, { quantity: 5, version: 1 });
    propagator.assumeConfirmed("c", "A", { quantity: 0, version: 1 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 5, version: 2 }); // a restock: times out, lands at 3 s
    await scheduler.runUntil(500);
    propagator.publish("A", { quantity: 0, version: 3 }); // sold out: confirmed before the restock lands
    await scheduler.runUntil(5_500);
    for (const sku of ["B", "C", "D"]) propagator.publish(sku, { quantity: 6, version: 2 });
    await scheduler.runUntil(60_000);
    expect(channel.calls.map((c) => c.update)).toEqual(["A2", "A3", "B2", "A3", "C2", "D2"]);
    expect(channel.listing.get("A")).toEqual({ quantity: 0, version: 3 });
  });

  // Was "restartVersions forgets the doubt": the doubt is now kept across a restart (see the cases
  // below), but a pre-loss level is still never pushed again — with nothing published since, nothing is.
  it("restartVersions, nothing published since: no pre-loss level is pushed again when the window ends", async () => {
    const { scheduler, channel, metrics, propagator } = await timedOutThenNewer("timeout", { lateLandingWindowMs: 5_000 });
    propagator.restartVersions();
    await scheduler.runUntil(60_000);
    expect(channel.calls).toHaveLength(2);
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
  });
});

// Found by re-review: `restartVersions` dropped the landing windows ("the new versions overwrite it"), and a
// call in flight at the restart replied through the `restarted` branch, which opened none — but a pre-loss
// request landing after the restored level moves the listing back to the pre-loss level, and nothing
// overwrote it before the reconciler. Restored levels start again at version 1: the doubt is version 0.
describe("Propagator: a request sent before restartVersions that lands late", () => {
  it("a call in flight at the restart times out and lands after the restored level: the restored level is pushed again", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    // Pre-loss A5 = 50: its client gives up at 1 s, the request lands at 3 s.
    propagator.assumeConfirmed("c", "A", { quantity: 10, version: 4 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 50, version: 5 });
    await scheduler.runUntil(500);
    // Redis lost its data; the stock is restored: A starts again at version 1 with 7 units.
    propagator.restartVersions();
    propagator.publish("A", { quantity: 7, version: 1 });
    await scheduler.runUntil(2_000);
    expect(propagator.confirmedVersion("c", "A")).toBe(1); // A1 went out at A5's timeout and was confirmed
    await scheduler.runUntil(3_500);
    expect(channel.listing.get("A"), "the pre-loss A5 landed after the restored A1").toEqual({ quantity: 50, version: 5 });
    await scheduler.runUntil(120_000);
    const log = channel.log();
    expect(log).toHaveLength(3);
    expect(log[0]).toBe("0:A5");
    expect(log[1]).toMatch(/^1\d{3}:A1$/); // after A5's timeout (and the circuit's short pause)
    expect(log[2]).toBe("6000:A1"); // A5's timeout at 1 s + the 5 s window
    expect(channel.listing.get("A")).toEqual({ quantity: 7, version: 1 });
    expect(metrics.count("late_landing_repushes_total", { channel: "c" })).toBe(1);
    expect(propagator.idle).toBe(true);
  });

  it("a batch call in flight at the restart, one item timing out: that item's restored level is pushed again, the other's is not", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000, maxBatchSize: 2 });
    propagator.assumeConfirmed("c", "B", { quantity: 10, version: 1 });
    channel.listing.set("B", { quantity: 10, version: 1 });
    // A2 and B2 go out together (a full batch); B2 lands at once and is confirmed, A2 times out and lands at 3 s.
    channel.plans.push({ landAfterMs: [3_000, 50], reply: ["timeout", "ok"], replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 50, version: 2 });
    propagator.publish("B", { quantity: 60, version: 2 });
    await scheduler.runUntil(500);
    propagator.restartVersions();
    propagator.publish("A", { quantity: 7, version: 1 });
    propagator.publish("B", { quantity: 8, version: 1 });
    await scheduler.runUntil(3_500);
    expect(channel.listing.get("A")).toEqual({ quantity: 50, version: 2 });
    await scheduler.runUntil(120_000);
    expect(channel.log()).toEqual(["0:A2,B2", "1000:A1,B1", "6010:A1"]); // the window ends at 6 s; A1 alone lingers 10 ms
    expect(channel.listing.get("A")).toEqual({ quantity: 7, version: 1 });
    expect(channel.listing.get("B")).toEqual({ quantity: 8, version: 1 });
    expect(metrics.count("late_landing_repushes_total", { channel: "c" })).toBe(1);
  });

  it("a request timed out just before the restart lands after the restored level: its window stays open and pushes the restored level again", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 50, version: 2 });
    await scheduler.runUntil(1_200); // A2 timed out at 1 s (its window is open until 6 s); its retry went out and is in flight
    expect(channel.calls).toHaveLength(2);
    propagator.restartVersions();
    propagator.publish("A", { quantity: 7, version: 1 });
    await scheduler.runUntil(2_000);
    expect(propagator.confirmedVersion("c", "A")).toBe(1);
    await scheduler.runUntil(3_500);
    expect(channel.listing.get("A"), "the pre-loss A2 landed after the restored A1").toEqual({ quantity: 50, version: 2 });
    await scheduler.runUntil(120_000);
    expect(channel.log().map((c) => c.split(":")[1])).toEqual(["A2", "A2", "A1", "A1"]);
    expect(channel.log()[3]).toBe("6000:A1");
    expect(channel.listing.get("A")).toEqual({ quantity: 7, version: 1 });
    expect(metrics.count("late_landing_repushes_total", { channel: "c" })).toBe(1);
  });

  it("a call in flight at the restart times out, nothing published since: nothing is pushed", async () => {
    const { scheduler, channel, metrics, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 3_000, reply: "timeout", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 50, version: 2 });
    await scheduler.runUntil(500);
    propagator.restartVersions();
    await scheduler.runUntil(120_000);
    expect(channel.log()).toEqual(["0:A2"]);
    expect(metrics.count("late_landing_repushes_total")).toBe(0);
    expect(propagator.idle).toBe(true);
  });

  it("a pre-restart call still in flight holds no restored version (holdsVersion)", async () => {
    const { scheduler, channel, propagator } = setup({ lateLandingWindowMs: 5_000 });
    channel.plans.push({ landAfterMs: 50, reply: "ok", replyAfterMs: 1_000 });
    propagator.publish("A", { quantity: 50, version: 5 });
    await scheduler.runUntil(500);
    expect(propagator.holdsVersion("A", 5)).toBe(true);
    propagator.restartVersions();
    // The restored A1 (or A2, the store moved on) is not on its way: the pre-loss A5 in flight is no newer.
    expect(propagator.holdsVersion("A", 1)).toBe(false);
    propagator.publish("A", { quantity: 7, version: 1 });
    expect(propagator.holdsVersion("A", 1)).toBe(true);
    expect(propagator.holdsVersion("A", 2)).toBe(false);
    await scheduler.runUntil(60_000);
    expect(channel.listing.get("A")).toEqual({ quantity: 7, version: 1 });
  });
});
