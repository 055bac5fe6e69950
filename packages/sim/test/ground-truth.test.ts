// GroundTruth's per-order figure: a sale visible on every other channel = the maximum, over the
// channels that owe the order, of (the time that channel showed a version ≥ the order's − the order's
// confirmation). Hand-built so every expected value is known.
import { describe, expect, it } from "vitest";
import { Histogram } from "@synclag/metrics";
import { GroundTruth } from "../src/index.js";

const visible = (channel: string, version: number, atMs: number) => ({ channel, sku: "X", quantity: 0, version, atMs });

/** A histogram of exactly these values, for comparing with one GroundTruth recorded (same counts ⇒ same encoding). */
function histogramOf(...values: number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
}

/** Recorded exactly `values` (any order): readable count/min/max first, then every count via the encoding. */
function expectValues(h: Histogram, ...values: number[]): void {
  const want = histogramOf(...values);
  expect({ count: h.count, min: h.count ? h.min : undefined, max: h.max }).toEqual({ count: want.count, min: want.count ? want.min : undefined, max: want.max });
  expect(h.encode()).toBe(want.encode());
}

describe("GroundTruth: a sale visible on every other channel", () => {
  it("records, per order, its slowest owing channel — coalescing, an unknown source and a late reveal included", () => {
    const truth = new GroundTruth([{ id: "a" }, { id: "b" }, { id: "c" }], ["X"], 0, 10_000);
    truth.seed("X", 10, [10, 10, 10]);
    truth.orderApplied("a", "X", 2, 100); // owed by b, c
    truth.orderApplied("b", "X", 3, 200); // owed by a, c
    truth.orderApplied("phone", "X", 4, 300); // unknown source: owed by a, b and c
    expect(truth.ordersNotVisibleEverywhere).toBe(3);

    truth.onVisible(visible("b", 2, 150)); // order 1 at b: 50
    expect(truth.visibleEverywhere.count).toBe(0);
    // c skips straight to version 4: resolves orders 1, 2 and 3 for c at once (coalescing).
    truth.onVisible(visible("c", 4, 400)); // order 1 at c: 300 → its last channel: 300
    expectValues(truth.visibleEverywhere, 300);
    expect(truth.ordersNotVisibleEverywhere).toBe(2);
    // a's reveal of version 3 at 350 is reported after c's at 400 (the simulator's marketplaces can do
    // that): order 2's last channel is a, but its slowest is c — 400 − 200 = 200, not a's 150.
    truth.onVisible(visible("a", 3, 350));
    expectValues(truth.visibleEverywhere, 200, 300);
    truth.onVisible(visible("b", 4, 500)); // order 3 at b: 200; a still owes it
    expect(truth.ordersNotVisibleEverywhere).toBe(1);
    expect(truth.visibleEverywhere.count).toBe(2);
    truth.onVisible(visible("a", 4, 600)); // order 3 at a: 300 → every channel: 300
    expectValues(truth.visibleEverywhere, 200, 300, 300);
    expect(truth.ordersNotVisibleEverywhere).toBe(0);
    // The per-pair figure is unchanged: 2 + 2 + 3 pairs.
    expectValues(truth.syncLag, 50, 100, 150, 200, 200, 300, 300);
    // Accepted updates do not make anything visible.
    truth.orderApplied("a", "X", 5, 700);
    truth.onAccepted(visible("b", 5, 710));
    truth.onAccepted(visible("c", 5, 720));
    expect(truth.visibleEverywhere.count).toBe(3);
    expect(truth.ordersNotVisibleEverywhere).toBe(1);
  });

  it("keeps its per-order counts in step when passed log entries are compacted away", () => {
    const channels = ["a", "b", "c"];
    const truth = new GroundTruth(channels.map((id) => ({ id })), ["X"], 0, 100_000);
    truth.seed("X", 100_000, [100_000, 100_000, 100_000]);
    const expected = new Histogram();
    const orders = 1200;
    for (let i = 0; i < orders; i++) {
      const version = i + 2;
      const source = channels[i % 3] as string;
      truth.orderApplied(source, "X", version, 10 * i);
      // a and b show every version 5 ms after its sale; c only every 100th, resolving 100 orders at once.
      for (const channel of channels) truth.onAccepted(visible(channel, version, 10 * i + 5));
      truth.onVisible(visible("a", version, 10 * i + 5));
      truth.onVisible(visible("b", version, 10 * i + 5));
      if (i % 100 === 99) truth.onVisible(visible("c", version, 10 * i + 7));
      // Expected: an order from c waits only for a and b (5 ms); any other for c's next batch.
      if (source === "c") expected.record(5);
      else expected.record(10 * (Math.floor(i / 100) * 100 + 99) + 7 - 10 * i);
    }
    // The log was compacted while c still owed 23 orders: its first entries are gone.
    expect((truth as unknown as { logs: Array<{ base: number }> }).logs[0]?.base).toBe(1000);
    expect(truth.ordersNotVisibleEverywhere).toBe(0);
    expect(truth.visibleEverywhere.count).toBe(orders);
    expect(truth.visibleEverywhere.encode()).toBe(expected.encode());
    expect(truth.unresolved()).toEqual([0, 0, 0]);
  });

  it("has no sample for an order no other channel owes, and counts orders still owed", () => {
    const single = new GroundTruth([{ id: "a" }], ["X"], 0, 1000);
    single.seed("X", 5, [5]);
    single.orderApplied("a", "X", 2, 100);
    expect(single.ordersNotVisibleEverywhere).toBe(0);
    expect(single.visibleEverywhere.count).toBe(0);

    const pair = new GroundTruth([{ id: "a" }, { id: "b" }], ["X"], 0, 1000);
    pair.seed("X", 5, [5, 5]);
    pair.orderApplied("a", "X", 2, 100);
    pair.orderApplied("unknown", "X", 3, 200);
    pair.onVisible({ channel: "b", sku: "X", quantity: 3, version: 3, atMs: 250 });
    // Order 1 is visible everywhere (b at 150 ms); order 2 still waits for a.
    expectValues(pair.visibleEverywhere, 150);
    expect(pair.ordersNotVisibleEverywhere).toBe(1);
  });
});
