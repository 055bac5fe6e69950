// The simulator's channel client answers like the HTTP clients: the client timeout fires at the
// timeout counted from the call's start, and Shopify's reads and cancellations are billed to the
// cost-point bucket (as the HTTP mock bills GraphQL `inventoryItems` and `orderCancel`).
import { Prng, VirtualScheduler } from "@synclag/core";
import { DEFAULT_PROFILES, MarketplaceModel, type MarketplaceProfile } from "@synclag/marketplaces";
import { describe, expect, it } from "vitest";
import { SimChannelClient } from "../src/index.js";

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

  it("bills a listing read as many calls as the HTTP client makes: Amazon one GET per SKU, the others one per page of their read (eBay 25, Flipkart 10, WooCommerce 100, Shopify 250)", async () => {
    const skus = Array.from({ length: 300 }, (_, i) => `S${i}`);
    const calls = async (kind: MarketplaceProfile["kind"], count: number) => {
      const { scheduler, client } = setup({ ...quiet(DEFAULT_PROFILES[kind]), rateLimit: { kind: "none" } }, skus);
      const read = client.readQuantities(skus.slice(0, count));
      await scheduler.runUntil(10_000);
      expect((await read).size).toBe(count);
      expect(client.stats.readCalls).toBe(client.stats.apiCalls);
      return client.stats.apiCalls;
    };
    expect(await calls("amazon", 100)).toBe(100);
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
