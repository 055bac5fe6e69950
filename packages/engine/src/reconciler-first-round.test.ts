// The reconciler's first round after a start (`reconcileFirstRoundAfterMs`): after a (rolling) restart
// that added a channel, nothing else pushes the truth to the listings no order touches — the outbox
// replays only pushes left unconfirmed, and the new channel had none. So the service runs a round soon
// after the start, then every interval; the simulator keeps the first round one interval after start.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type FeedSubscription, type OrderFeed } from "@synclag/core";
import { RecordingMetrics, ScriptedChannel } from "../test/support.js";
import { Engine, type EngineOptions } from "./engine.js";
import { PeriodicTask } from "./periodic-task.js";

const idleFeed: OrderFeed = { consume: (): FeedSubscription => ({ stop: () => Promise.resolve() }) };

/** An engine on a fresh start with one channel that still lists the quantity of before the restart. */
async function restarted(options: Partial<EngineOptions>) {
  const scheduler = new VirtualScheduler(0);
  const store = new InMemoryStockStore({ clock: scheduler });
  store.model.setQuantity({ sku: "A", quantity: 95 });
  store.model.ackOutbox(store.model.readOutbox(10).map((entry) => entry.id)); // the previous process pushed it to its channels
  const channel = new ScriptedChannel("woo", 10, scheduler, 50);
  channel.shown.set("A", 100); // added by the restart: it lists what it had before the sales
  const readsAtMs: number[] = [];
  const read = channel.readQuantities.bind(channel);
  channel.readQuantities = (skus) => {
    readsAtMs.push(scheduler.now());
    return read(skus);
  };
  const metrics = new RecordingMetrics();
  const engine = new Engine({ store, feed: idleFeed, channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(1), metrics, strategy: { kind: "events" }, reconcileIntervalMs: 60_000, ...options });
  await engine.start();
  const pushed = () => channel.calls.flatMap((c) => c.updates.map((u) => `${c.atMs}:${u.sku}=${u.quantity}`));
  return { scheduler, engine, readsAtMs, pushed, metrics };
}

describe("the reconciler's first round after start", () => {
  it("runs at the configured delay, then every interval", async () => {
    const { scheduler, engine, readsAtMs } = await restarted({ reconcileFirstRoundAfterMs: 5_000 });
    await scheduler.runUntil(200_000);
    await engine.stop();
    expect(readsAtMs).toEqual([5_000, 65_000, 125_000, 185_000]);
  });

  it("pushes the truth to a channel that lists an older quantity within the delay, not an interval later", async () => {
    const { scheduler, engine, pushed, metrics } = await restarted({ reconcileFirstRoundAfterMs: 5_000 });
    await scheduler.runUntil(5_999);
    expect(pushed()).toEqual(["5000:A=95"]);
    expect(metrics.count("drift_repaired_total", { channel: "woo", direction: "high" })).toBe(1);
    await engine.stop();
  });

  it("by default the first round comes one interval after start (what the simulator runs)", async () => {
    const { scheduler, engine, readsAtMs, pushed } = await restarted({});
    await scheduler.runUntil(59_999);
    expect(readsAtMs).toEqual([]);
    expect(pushed()).toEqual([]);
    await scheduler.runUntil(130_000);
    await engine.stop();
    expect(readsAtMs).toEqual([60_000, 120_000]);
  });

  it("a delay of 0 runs the first round right at start; stop() cancels the rounds to come", async () => {
    const { scheduler, engine, readsAtMs } = await restarted({ reconcileFirstRoundAfterMs: 0 });
    await scheduler.runUntil(61_000);
    await engine.stop();
    await scheduler.runUntil(300_000);
    expect(readsAtMs).toEqual([0, 60_000]);
  });

  it("PeriodicTask: the first run after `firstDelayMs`, the next ones every interval after the previous one settled", async () => {
    const scheduler = new VirtualScheduler(0);
    const runsAtMs: number[] = [];
    // Each run takes 1 s: the period counts from the end of the previous run.
    const task = new PeriodicTask(scheduler, 10_000, () => new Promise((resolve) => scheduler.setTimer(1_000, () => resolve(runsAtMs.push(scheduler.now() - 1_000)))), 2_500);
    task.start();
    await scheduler.runUntil(40_000);
    task.stop();
    expect(runsAtMs).toEqual([2_500, 13_500, 24_500, 35_500]);
  });
});
