// The simulator's channel client answers like the HTTP clients: the client timeout fires at the
// timeout counted from the call's start, and Shopify's reads and cancellations are billed to the
// cost-point bucket (as the HTTP mock bills GraphQL `inventoryItems` and `orderCancel`).
import { Prng, VirtualScheduler } from "@synclag/core";
import { DEFAULT_PROFILES, MarketplaceModel, type MarketplaceProfile } from "@synclag/marketplaces";
import { describe, expect, it } from "vitest";
import { SimChannelClient } from "../src/index.js";

function setup(profile: MarketplaceProfile) {
  const scheduler = new VirtualScheduler(0);
  const model = new MarketplaceModel({ channel: profile.kind, profile, random: new Prng(1), startMs: 0 });
  for (const sku of ["A", "B", "C"]) model.seed(sku, 5, 1);
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
