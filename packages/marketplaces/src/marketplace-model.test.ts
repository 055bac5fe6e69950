import { Prng } from "@synclag/core";
import { describe, expect, it } from "vitest";
import { MarketplaceModel, type VisibilityChange } from "./marketplace-model.js";
import { DEFAULT_PROFILES } from "./profiles.js";

describe("MarketplaceModel", () => {
  it("an operator's outage end (setInjectedOutageEnd) may come sooner — now ends it — while injectOutage keeps the later end and scheduled windows stay", () => {
    const profile = { ...DEFAULT_PROFILES.amazon, faults: { ...DEFAULT_PROFILES.amazon.faults, outages: [{ startMs: 100_000, durationMs: 10_000 }] } };
    const model = new MarketplaceModel({ channel: "amazon", profile, random: new Prng(1), startMs: 0 });
    model.injectOutage(60_000);
    model.injectOutage(5_000);
    expect(model.isDown(30_000)).toBe(true); // the later end kept
    model.setInjectedOutageEnd(30_000);
    expect([model.isDown(29_999), model.isDown(30_000)]).toEqual([true, false]);
    model.setInjectedOutageEnd(40_000);
    expect(model.isDown(35_000)).toBe(true);
    model.setInjectedOutageEnd(0);
    expect([model.isDown(35_000), model.isDown(105_000)]).toEqual([false, true]);
  });

  it("re-seeding a listing drops its updates still waiting to turn visible: an older one never shows over the seed", () => {
    const profile = { ...DEFAULT_PROFILES.amazon, rateLimit: { kind: "none" as const }, faults: { ...DEFAULT_PROFILES.amazon.faults, serverErrorRate: 0, timeoutAfterApplyRate: 0, itemRejectRate: 0 }, visibilityDelay: { kind: "constant" as const, ms: 1_000 } };
    const model = new MarketplaceModel({ channel: "amazon", profile, random: new Prng(1), startMs: 0 });
    model.seed("A", 5, 1);
    model.applyUpdates(0, [{ sku: "A", quantity: 3, version: 2 }]); // visible at 1 s
    model.seed("A", 9, 7); // the admin re-seeds at 0
    expect(model.availability(1_001, "A")).toBe(9);
    expect(model.listing("A")).toMatchObject({ visibleQuantity: 9, visibleVersion: 7, pendingUpdates: 0 });
    expect(model.checkout(1_002, "A", 2)).toMatchObject({ ok: true });
    expect(model.availability(5_000, "A")).toBe(7);
  });


  it("has an accepted update queued by the time it reports the acceptance, so a driver can schedule its reveal", () => {
    // Visibility delays spread over 1–120 s: some later updates of other SKUs turn visible before earlier ones.
    const profile = { ...DEFAULT_PROFILES.amazon, rateLimit: { kind: "none" as const }, faults: { ...DEFAULT_PROFILES.amazon.faults, serverErrorRate: 0, timeoutAfterApplyRate: 0, itemRejectRate: 0 }, visibilityDelay: { kind: "uniform" as const, minMs: 1_000, maxMs: 120_000 } };
    const seen: Array<{ accepted: VisibilityChange; nextAtMs: number | undefined }> = [];
    const queuedAt: number[] = [];
    const model: MarketplaceModel = new MarketplaceModel({
      channel: "amazon",
      profile,
      random: new Prng(3),
      startMs: 0,
      onAccepted: (accepted) => seen.push({ accepted, nextAtMs: model.nextVisibilityAtMs }),
      onVisible: () => {},
    });
    for (let i = 0; i < 40; i++) model.seed(`sku-${i}`, 10, 1);
    for (let i = 0; i < 40; i++) {
      model.applyUpdates(i * 10, [{ sku: `sku-${i}`, quantity: 9, version: 2 }]);
      // What the model has queued now (read back through the public API: the next reveal time).
      queuedAt.push(model.nextVisibilityAtMs ?? Number.POSITIVE_INFINITY);
    }
    expect(seen).toHaveLength(40);
    // The reveal time seen from inside the callback already accounts for the update just accepted.
    seen.forEach((entry, i) => expect(entry.nextAtMs).toBe(queuedAt[i]));
    // And some update did move the head earlier (the case a driver would otherwise miss).
    expect(queuedAt.some((at, i) => i > 0 && at < (queuedAt[i - 1] as number))).toBe(true);
  });
});

describe("MarketplaceModel with shared SKU slots", () => {
  it("behaves exactly like the map-only model, including SKUs the slot index does not know", () => {
    const profile = { ...DEFAULT_PROFILES.shopify, visibilityDelay: { kind: "uniform" as const, minMs: 0, maxMs: 5_000 } };
    const run = (skuSlots?: ReadonlyMap<string, number>) => {
      const changes: VisibilityChange[] = [];
      const slots: Array<[string, number | undefined]> = [];
      // The slot is the one thing a slotted model adds (observers use it to skip their own lookup).
      const observe = ({ slot, ...change }: VisibilityChange) => {
        slots.push([change.sku, slot]);
        changes.push(change);
      };
      const model = new MarketplaceModel({ channel: "shopify", profile, random: new Prng(11), startMs: 0, onVisible: observe, ...(skuSlots ? { skuSlots } : {}) });
      for (const sku of ["a", "b", "outside"]) model.seed(sku, 5, 1);
      const replies = [];
      for (let t = 0; t < 20; t++) replies.push(model.applyUpdates(t * 1_000, [{ sku: ["a", "b", "outside", "missing"][t % 4] as string, quantity: t, version: t + 2 }]));
      const sales = ["a", "b", "outside", "missing"].map((sku) => model.checkout(30_000, sku, 1));
      return { replies, sales, changes, listing: model.listing("outside"), available: model.availability(40_000, "b"), slots };
    };
    const plain = run();
    const slotted = run(new Map([["a", 0], ["b", 1], ["missing", 2]]));
    expect({ ...slotted, slots: [] }).toEqual({ ...plain, slots: [] });
    expect(plain.slots.every(([, slot]) => slot === undefined)).toBe(true);
    expect(new Set(slotted.slots.map(([sku, slot]) => `${sku}:${String(slot)}`))).toEqual(new Set(["a:0", "b:1", "outside:undefined"]));
    expect(plain.replies.filter((r) => r.kind === "applied" && r.items.some((i) => !i.ok))).toHaveLength(5); // "missing" has no listing
  });
});

describe("MarketplaceModel.planNotification", () => {
  const plans = (notifications: Partial<typeof DEFAULT_PROFILES.flipkart.notifications>, count = 2_000) => {
    const model = new MarketplaceModel({ channel: "fk", profile: { ...DEFAULT_PROFILES.flipkart, notifications: { ...DEFAULT_PROFILES.flipkart.notifications, ...notifications } }, random: new Prng(7), startMs: 0 });
    const random = new Prng(7);
    return Array.from({ length: count }, () => model.planNotification(random));
  };

  it("says how many attempts a notification takes and whether the last one got through (not the times: head-of-line blocking decides those)", () => {
    const all = plans({ attemptFailureRate: 0.5, retries: 2, duplicateRate: 0 });
    for (const plan of all) {
      expect(plan.attempts).toBeGreaterThanOrEqual(1);
      expect(plan.attempts).toBeLessThanOrEqual(3);
      if (!plan.delivered) expect(plan.attempts).toBe(3);
      expect(plan.duplicateDelayMs).toBeUndefined();
    }
    const lost = all.filter((p) => !p.delivered).length / all.length;
    expect(lost).toBeGreaterThan(0.08); // 0.5³ = 12.5 %
    expect(lost).toBeLessThan(0.17);
  });

  it("gives a duplicate only to a notification that got through", () => {
    const all = plans({ attemptFailureRate: 0.5, retries: 0, duplicateRate: 1 });
    for (const plan of all) expect(plan.duplicateDelayMs !== undefined).toBe(plan.delivered);
  });

  it("draws only from the stream it is given, never from the model's (API latency, faults, visibility delays)", () => {
    const profile = { ...DEFAULT_PROFILES.amazon, faults: { ...DEFAULT_PROFILES.amazon.faults, serverErrorRate: 0.3, itemRejectRate: 0.2 }, notifications: { ...DEFAULT_PROFILES.amazon.notifications, attemptFailureRate: 0.4, retries: 1, duplicateRate: 0.3 } };
    const busy = new MarketplaceModel({ channel: "amazon", profile, random: new Prng(1), startMs: 0 });
    const quiet = new MarketplaceModel({ channel: "amazon", profile, random: new Prng(2), startMs: 0 });
    busy.seed("a", 10, 1);
    const planned = (model: MarketplaceModel, order: number, betweenCalls: number) => {
      for (let call = 0; call < betweenCalls; call++) {
        model.sampleLatencyMs();
        model.applyUpdates(call * 1_000, [{ sku: "a", quantity: 5, version: 2 + call }]);
      }
      return model.planNotification(new Prng(`order:${order}`));
    };
    const withCalls = Array.from({ length: 200 }, (_, order) => planned(busy, order, order % 3));
    const withoutCalls = Array.from({ length: 200 }, (_, order) => planned(quiet, order, 0));
    expect(withCalls).toEqual(withoutCalls);
    expect(new Set(withCalls.map((plan) => plan.delivered)).size).toBe(2); // some lost, some delivered: the draws matter
  });
});
