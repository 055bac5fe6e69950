// An order's notification fate (lost, retried, duplicated, delayed) is the marketplace's, drawn from a
// stream of its own keyed to the order's arrival — not from the stream the marketplace's API latency,
// faults and visibility delays come from. Events and polling make different API calls, so with one shared
// stream the same buyer orders got different fates under each strategy, and the comparison ("one seeded
// order stream through both strategies") compared different notification losses.
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { scenario } from "./helpers.js";

type Faults = { serverErrorRate?: number; timeoutAfterApplyRate?: number; itemRejectRate?: number };

/** Huge stock: every arrival is accepted whatever a channel shows, so the orders are the same in every run. */
const lossy = (faults: Faults = {}) =>
  scenario({
    name: "notification-fate",
    duration: "6h",
    catalog: { skus: 50, stock: 100_000 },
    channels: [
      { id: "a", kind: "amazon", share: 1, profile: { notifications: { attemptFailureRate: 0.3, retries: 0, duplicateRate: 0.2 }, faults } },
      { id: "s", kind: "shopify", share: 1, profile: { notifications: { attemptFailureRate: 0.1, retries: 1, retrySpan: "5m", duplicateRate: 0.1 } } },
    ],
    demand: { ordersPerDay: 4000 },
  });

const fates = (r: Awaited<ReturnType<typeof simulateStrategy>>) => ({ attempted: r.orders.attempted, accepted: r.orders.accepted, unnotified: r.orders.unnotified, duplicateDeliveries: r.orders.duplicateDeliveries, fulfilled: r.orders.fulfilled });

describe("order notifications: one fate per order, whatever the strategy", () => {
  it("events and polling: same arrivals and acceptances → the same lost notifications and duplicates", async () => {
    const s = lossy();
    const events = await simulateStrategy(s, "events", 1);
    const polling = await simulateStrategy(s, "polling:15m", 1);
    expect(events.orders.accepted).toBe(events.orders.attempted); // the premise: nobody turned away
    expect(events.orders.unnotified).toBeGreaterThan(0); // the channels do lose notifications…
    expect(events.orders.duplicateDeliveries).toBeGreaterThan(0); // …and duplicate some
    expect(fates(polling)).toEqual(fates(events));
    expect(events.ok && polling.ok).toBe(true);
  });

  it("the marketplace's API faults (which draw from its own stream) change no order's notification fate", async () => {
    const calm = await simulateStrategy(lossy(), "events", 3);
    const faulty = await simulateStrategy(lossy({ serverErrorRate: 0.3, timeoutAfterApplyRate: 0.2, itemRejectRate: 0.1 }), "events", 3);
    expect(faulty.channels.a?.serverErrors).toBeGreaterThan(0); // the premise: the API stream was drawn from differently
    expect(fates(faulty)).toEqual(fates(calm));
  });

  it("another seed draws other fates (the stream is seeded, not fixed)", async () => {
    const one = await simulateStrategy(lossy(), "events", 1);
    const two = await simulateStrategy(lossy(), "events", 2);
    expect(fates(two)).not.toEqual(fates(one));
  });
});
