// The simulator's channel client answers like the HTTP clients: the client timeout fires at the
// timeout counted from the call's start, and Shopify's reads and cancellations are billed to the
// cost-point bucket (as the HTTP mock bills GraphQL `inventoryItems` and `orderCancel`).
import { Prng, VirtualScheduler } from "@synclag/core";
import { DEFAULT_PROFILES, MarketplaceModel, type MarketplaceProfile } from "@synclag/marketplaces";
import { describe, expect, it } from "vitest";
import { loadScenario } from "@synclag/workload";
import { SimChannelClient, simulateStrategy } from "../src/index.js";

function setup(profile: MarketplaceProfile, skus: readonly string[] = ["A", "B", "C"]) {
  const scheduler = new VirtualScheduler(0);
  const model = new MarketplaceModel({ channel: profile.kind, profile, random: new Prng(1), startMs: 0 });
  for (const sku of skus) model.seed(sku, 5, 1);
  return { scheduler, model, client: new SimChannelClient(model, scheduler) };
}

const quiet = (profile: MarketplaceProfile): MarketplaceProfile => ({ ...profile, faults: { ...profile.faults, serverErrorRate: 0, timeoutAfterApplyRate: 0, itemRejectRate: 0, outages: [] }, apiLatency: { kind: "constant", ms: 100 } });

describe("SimChannelClient", () => {
  it("a call slower than the client timeout times out at the timeout, even when the request reaches the server after it", async () => {
    const profile: MarketplaceProfile = { ...quiet(DEFAULT_PROFILES.woocommerce), rateLimit: { kind: "none" }, apiLatency: { kind: "constant", ms: 30_000 }, clientTimeoutMs: 10_000 };
    const { scheduler, model, client } = setup(profile);
    let doneAt = -1;
    let outcome: unknown;
    void client.setQuantities([{ sku: "A", quantity: 4, version: 2 }]).then((o) => {
      doneAt = scheduler.now();
      outcome = o;
    });
    let readFailedAt = -1;
    client.readQuantities(["A"]).catch(() => (readFailedAt = scheduler.now()));
    await scheduler.runUntil(60_000);
    expect(doneAt).toBe(10_000);
    expect(readFailedAt).toBe(10_000);
    expect(outcome).toEqual([expect.objectContaining({ ok: false, reason: "timeout" })]);
    // The request still landed, half-way through its round trip.
    expect(model.listing("A")?.acceptedVersion).toBe(2);
  });

  it("bills Shopify reads (2 + one point per SKU) and cancellations (10 points) to the cost-point bucket, and answers throttled like the HTTP client", async () => {
    const profile: MarketplaceProfile = { ...quiet(DEFAULT_PROFILES.shopify), rateLimit: { kind: "cost-points", maximumAvailable: 20, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 0 } };
    const { scheduler, model, client } = setup(profile);
    const read = client.readQuantities(["A", "B", "C"]); // 5 points: 15 left
    await scheduler.runUntil(1_000);
    expect(await read).toEqual(new Map([["A", 5], ["B", 5], ["C", 5]]));
    const cancel = client.cancelOrder("shopify-1"); // 10 points: ~6 left
    await scheduler.runUntil(2_000);
    expect(await cancel).toEqual({ ok: true });
    const throttledRead = client.readQuantities(["A", "B", "C", "A", "B", "C"]); // 8 points: refused
    const rejection = throttledRead.then(
      () => undefined,
      (error: unknown) => error,
    );
    await scheduler.runUntil(3_000);
    expect(await rejection).toMatchObject({ reason: "rate_limited", retryable: true, retryAfterMs: expect.any(Number) });
    const throttledCancel = client.cancelOrder("shopify-2"); // 10 points: refused
    await scheduler.runUntil(4_000);
    expect(await throttledCancel).toMatchObject({ ok: false, reason: "rate_limited", retryAfterMs: expect.any(Number) });
    expect(model.cancellations).toBe(1);
    expect(client.stats.throttled).toBe(2);
    expect(model.stats.throttled).toBe(2);
  });

  it("bills a listing read as many calls as the HTTP client makes: one per page of its read (Amazon's searchListingsItems 20, eBay 25, Flipkart 10, WooCommerce 100, Shopify 250)", async () => {
    const skus = Array.from({ length: 300 }, (_, i) => `S${i}`);
    const calls = async (kind: MarketplaceProfile["kind"], count: number) => {
      const { scheduler, client } = setup({ ...quiet(DEFAULT_PROFILES[kind]), rateLimit: { kind: "none" } }, skus);
      const read = client.readQuantities(skus.slice(0, count));
      await scheduler.runUntil(10_000);
      expect((await read).size).toBe(count);
      expect(client.stats.readCalls).toBe(client.stats.apiCalls);
      return client.stats.apiCalls;
    };
    expect(await calls("amazon", 100)).toBe(Math.ceil(100 / 20));
    expect(await calls("amazon", 21)).toBe(Math.ceil(21 / 20));
    expect(await calls("amazon", 1)).toBe(1);
    expect(await calls("ebay", 100)).toBe(4);
    expect(await calls("ebay", 60)).toBe(3);
    expect(await calls("flipkart", 100)).toBe(10);
    expect(await calls("flipkart", 25)).toBe(3);
    expect(await calls("woocommerce", 100)).toBe(1);
    expect(await calls("woocommerce", 150)).toBe(2);
    expect(await calls("shopify", 100)).toBe(1);
    expect(await calls("shopify", 300)).toBe(2);
  });

  it("charges a Shopify read page by page (2 + one point per SKU each) and stops at the page the bucket refuses, as the HTTP client does", async () => {
    const skus = Array.from({ length: 300 }, (_, i) => `S${i}`);
    const profile: MarketplaceProfile = { ...quiet(DEFAULT_PROFILES.shopify), rateLimit: { kind: "cost-points", maximumAvailable: 300, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 0 } };
    const { scheduler, model, client } = setup(profile, skus);
    const read = client.readQuantities(skus).then(
      () => undefined,
      (error: unknown) => error,
    );
    await scheduler.runUntil(1_000);
    // Page 1 (250 SKUs, 252 points) admitted; page 2 (50 SKUs, 52 points) refused: 48 left.
    expect(await read).toMatchObject({ reason: "rate_limited" });
    expect(client.stats.apiCalls).toBe(2);
    expect(model.stats.throttled).toBe(1);
    // 48 points left: a 1-SKU read (3 points) is admitted, the 250-SKU page (252) was not.
    const after = client.readQuantities(["S0"]);
    await scheduler.runUntil(2_000);
    expect((await after).get("S0")).toBe(5);
  });

  it("does not bill reads or cancellations where the HTTP mock does not (Amazon)", async () => {
    const profile: MarketplaceProfile = { ...quiet(DEFAULT_PROFILES.amazon), rateLimit: { kind: "token-bucket", ratePerSecond: 0.001, burst: 1 } };
    const { scheduler, client } = setup(profile);
    const reads = [client.readQuantities(["A"]), client.readQuantities(["B"]), client.readQuantities(["C"])];
    const cancels = [client.cancelOrder("amazon-1"), client.cancelOrder("amazon-2")];
    await scheduler.runUntil(1_000);
    expect((await Promise.all(reads)).map((m) => m.size)).toEqual([1, 1, 1]);
    expect(await Promise.all(cancels)).toEqual([{ ok: true }, { ok: true }]);
    expect(client.stats.throttled).toBe(0);
  });
});

describe("steady-day: Amazon's reconcile reads are one search per 20 SKUs", () => {
  it("under events, Amazon's read calls are rounds × Σ ceil(slice / 20) over the reconciler's slices of 100 SKUs — the rounds WooCommerce reads in one call per slice", async () => {
    const loaded = loadScenario("steady-day");
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    const skus = loaded.scenario.catalog.skus;
    // The reconciler reads each channel in slices of 100 SKUs (its default readBatchSize); each slice is paged by the client.
    const slices = Array.from({ length: Math.ceil(skus / 100) }, (_, i) => Math.min(100, skus - i * 100));
    const callsPerRound = (pageSize: number) => slices.reduce((sum, slice) => sum + Math.ceil(slice / pageSize), 0);
    const result = await simulateStrategy(loaded.scenario, "events", 1);
    const readCalls = (id: string) => {
      const channel = result.channels[id];
      if (!channel) throw new Error(`no channel ${id}`);
      return channel.apiCalls - channel.updateCalls - channel.cancellations;
    };
    const rounds = readCalls("woocommerce") / callsPerRound(100);
    expect(Number.isInteger(rounds)).toBe(true);
    expect(rounds).toBeGreaterThanOrEqual(Math.floor((24 * 60) / 15) - 1); // a round every 15 minutes for a day
    expect(readCalls("amazon")).toBe(rounds * callsPerRound(20));
  });
});
