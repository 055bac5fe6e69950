// Every throttle and error path of every marketplace, through the real HTTP client against the
// real node:http mock on a free loopback port.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PushOutcome } from "@synclag/core";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import type { RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import type { HttpChannelClient } from "../src/index.js";
import { admin, checkout, clientFor, startMocks } from "./support.js";

const upd = (sku: string, quantity: number, version: number) => ({ sku, quantity, version });
const failed = (o: PushOutcome | undefined) => (o && !o.ok ? o : undefined);

let running: RunningMockMarketplaces;
const clients: HttpChannelClient[] = [];
const track = (client: HttpChannelClient) => (clients.push(client), client);

beforeAll(async () => {
  running = await startMocks({ heldReplyMs: 2_000 });
});
afterAll(async () => {
  await running.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const kind of MARKETPLACE_KINDS) {
    await admin(running, kind, "/reset", {});
    await admin(running, kind, "/listings", { generate: { count: 40, stock: 10 } });
  }
});

describe.each(MARKETPLACE_KINDS)("%s client against its mock", (kind: MarketplaceKind) => {
  it("sets absolute quantities, and the mock records them with the pushed version", async () => {
    const client = track(clientFor(running, kind));
    const outcomes = await client.setQuantities([upd("sku-1", 7, 3), upd("sku-2", 0, 4)]);
    expect(outcomes).toEqual([{ ok: true }, { ok: true }]);
    const truth = await admin(running, kind, "/listings/sku-1");
    expect(truth.accepted).toEqual({ quantity: 7, version: 3 });
    expect((await admin(running, kind, "/listings/sku-2")).accepted).toEqual({ quantity: 0, version: 4 });
  });

  it("reads back what the API accepted", async () => {
    const client = track(clientFor(running, kind));
    await client.setQuantities([upd("sku-3", 4, 1)]);
    const read = await client.readQuantities(["sku-3", "sku-4", "no-such-sku"]);
    expect(read.get("sku-3")).toBe(4);
    expect(read.get("sku-4")).toBe(10);
    expect(read.has("no-such-sku")).toBe(false);
  });

  it("reports an outage as unavailable (retryable)", async () => {
    const client = track(clientFor(running, kind));
    await admin(running, kind, "/faults", { outageMs: 60_000 });
    const [outcome] = await client.setQuantities([upd("sku-1", 5, 1)]);
    expect(failed(outcome)?.reason).toBe("unavailable");
  });

  it("reports an injected 5xx as unavailable", async () => {
    const client = track(clientFor(running, kind));
    await admin(running, kind, "/faults", { serverErrorRate: 1 });
    const outcomes = await client.setQuantities([upd("sku-1", 5, 1), upd("sku-2", 5, 1)]);
    expect(outcomes.map((o) => failed(o)?.reason)).toEqual(["unavailable", "unavailable"]);
    expect((await admin(running, kind, "/listings/sku-1")).accepted).toEqual({ quantity: 10, version: 0 });
  });

  it("reports a timeout when the mock applied the update but the reply never came", async () => {
    const client = track(clientFor(running, kind, { timeoutMs: 400 }));
    await client.readQuantities(["sku-5"]); // resolve ids first, so the timed-out call is the update
    await admin(running, kind, "/faults", { timeoutAfterApplyRate: 1 });
    const [outcome] = await client.setQuantities([upd("sku-5", 2, 9)]);
    expect(failed(outcome)?.reason).toBe("timeout");
    expect((await admin(running, kind, "/listings/sku-5")).accepted).toEqual({ quantity: 2, version: 9 });
  });

  it("rejects an unknown SKU without failing the others in the call", async () => {
    const client = track(clientFor(running, kind));
    const outcomes = await client.setQuantities([upd("sku-1", 3, 2), upd("does-not-exist", 3, 2)]);
    expect(outcomes[0]).toEqual({ ok: true });
    expect(failed(outcomes[1])?.reason).toBe("rejected");
  });

  it("reports a refused connection as a transport failure", async () => {
    const client = track(clientFor(running, kind, { baseUrl: "http://127.0.0.1:1", timeoutMs: 2_000 }));
    const [outcome] = await client.setQuantities([upd("sku-1", 3, 2)]);
    expect(failed(outcome)?.reason).toBe("transport");
  });

  it("cancels an order a buyer placed on the storefront, and the mock counts it once", async () => {
    const client = track(clientFor(running, kind));
    const placed = await checkout(running, kind, "sku-6");
    expect(placed.status).toBe(201);
    const orderId = `${kind}:${String(placed.body.orderId)}`;
    expect(await client.cancelOrder(orderId, "oversold")).toEqual({ ok: true });
    expect(await client.cancelOrder(orderId, "oversold")).toEqual({ ok: true });
    expect((await admin(running, kind, "/stats")).cancellations).toBe(1);
    const unknown = await client.cancelOrder(`${kind}:999999`, "oversold");
    expect(failed(unknown)?.reason).toBe("rejected");
  });
});

describe("rate limits, per marketplace", () => {
  it("amazon: the sixth call in a burst is rate_limited with the wait from x-amzn-RateLimit-Limit", async () => {
    const client = track(clientFor(running, "amazon"));
    await admin(running, "amazon", "/faults", { throttleFactor: 0.001 }); // no refill during the burst, however slow the machine
    const outcomes: PushOutcome[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(...(await client.setQuantities([upd(`sku-${i + 1}`, 1, 1)])));
    expect(outcomes.slice(0, 5).every((o) => o.ok)).toBe(true);
    expect(failed(outcomes[5])).toMatchObject({ reason: "rate_limited", retryAfterMs: 200 });
  });

  it("amazon: a tightened throttle still answers with the documented rate, and the mock counts the refusal", async () => {
    const client = track(clientFor(running, "amazon"));
    await admin(running, "amazon", "/faults", { throttleFactor: 0.1 });
    for (let i = 0; i < 5; i++) await client.setQuantities([upd("sku-1", i, i + 1)]);
    const [outcome] = await client.setQuantities([upd("sku-1", 9, 9)]);
    expect(failed(outcome)?.reason).toBe("rate_limited");
    const stats = (await admin(running, "amazon", "/stats")) as { model: { throttled: number } };
    expect(stats.model.throttled).toBe(1);
  });

  it("shopify GraphQL: THROTTLED (HTTP 200) becomes rate_limited with a wait from throttleStatus", async () => {
    const small = await startMocks({ kinds: ["shopify"], profiles: { shopify: { ...DEFAULT_PROFILES.shopify, rateLimit: { kind: "cost-points", maximumAvailable: 25, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 0 } } } });
    try {
      const client = track(clientFor(small, "shopify"));
      await client.readQuantities(["sku-1"]);
      const results = [];
      for (let i = 0; i < 3; i++) results.push(...(await client.setQuantities([upd("sku-1", i, i + 1)])));
      expect(results.slice(0, 2).every((o) => o.ok)).toBe(true);
      const throttled = failed(results[2]);
      expect(throttled?.reason).toBe("rate_limited");
      expect(throttled?.retryAfterMs).toBeGreaterThanOrEqual(4_000);
    } finally {
      await small.close();
    }
  });

  it("shopify REST: the 41st call in a burst gets 429 with Retry-After", async () => {
    const client = track(clientFor(running, "shopify", { api: "rest" }));
    await admin(running, "shopify", "/faults", { throttleFactor: 0.001 }); // the bucket does not leak during the burst
    const outcomes: PushOutcome[] = [];
    for (let i = 0; i < 41; i++) outcomes.push(...(await client.setQuantities([upd(`sku-${(i % 40) + 1}`, 1, 1)])));
    expect(outcomes.slice(0, 40).every((o) => o.ok)).toBe(true);
    const throttled = failed(outcomes[40]);
    expect(throttled?.reason).toBe("rate_limited");
    expect(throttled?.retryAfterMs).toBeGreaterThan(0);
  });

  for (const kind of ["woocommerce", "flipkart", "ebay"] as const) {
    it(`${kind}: a burst over the limiter's capacity is rate_limited`, async () => {
      const small = await startMocks({ kinds: [kind], profiles: { [kind]: { ...DEFAULT_PROFILES[kind], rateLimit: { kind: "token-bucket", ratePerSecond: 0.5, burst: 1 } } } });
      try {
        const client = track(clientFor(small, kind));
        await client.readQuantities(["sku-1"]);
        const [first] = await client.setQuantities([upd("sku-1", 1, 1)]);
        const [second] = await client.setQuantities([upd("sku-1", 2, 2)]);
        expect(first).toEqual({ ok: true });
        expect(failed(second)?.reason).toBe("rate_limited");
        expect(failed(second)?.retryAfterMs).toBeGreaterThan(0);
      } finally {
        await small.close();
      }
    });
  }
});

describe("marketplace-specific rejections", () => {
  it("shopify: compare-and-set reports stale after a sale on Shopify, and the retry re-reads and succeeds", async () => {
    const client = track(clientFor(running, "shopify"));
    expect(await client.setQuantities([upd("sku-7", 8, 1)])).toEqual([{ ok: true }]);
    expect((await checkout(running, "shopify", "sku-7")).status).toBe(201);
    const [stale] = await client.setQuantities([upd("sku-7", 6, 2)]);
    expect(failed(stale)?.reason).toBe("stale");
    expect((await admin(running, "shopify", "/listings/sku-7")).accepted).toEqual({ quantity: 7, version: 1 });
    expect(await client.setQuantities([upd("sku-7", 6, 2)])).toEqual([{ ok: true }]);
  });

  it("ebay: the 251st revision of a listing in a day is rejected inside a 207", async () => {
    const capped = await startMocks({ kinds: ["ebay"], profiles: { ebay: { ...DEFAULT_PROFILES.ebay, rateLimit: { kind: "none" }, revisionsPerListingPerDay: 3 } } });
    try {
      const client = track(clientFor(capped, "ebay"));
      for (let i = 1; i <= 3; i++) expect(await client.setQuantities([upd("sku-1", i, i)])).toEqual([{ ok: true }]);
      const [fourth, other] = await client.setQuantities([upd("sku-1", 4, 4), upd("sku-2", 4, 4)]);
      expect(failed(fourth)?.reason).toBe("rejected");
      expect(failed(fourth)?.message).toMatch(/revisions/);
      expect(other).toEqual({ ok: true });
    } finally {
      await capped.close();
    }
  });

  it("woocommerce: a SKU moved to another product id, or deleted and re-created, fails once (retryable) and is then looked up again", async () => {
    const client = track(clientFor(running, "woocommerce"));
    expect(await client.setQuantities([upd("sku-2", 5, 1), upd("sku-3", 5, 1)])).toEqual([{ ok: true }, { ok: true }]); // caches sku-2 → 102, sku-3 → 103
    await admin(running, "woocommerce", "/reset", {});
    await admin(running, "woocommerce", "/listings", { listings: [{ sku: "sku-2", quantity: 10 }, { sku: "sku-9", quantity: 10 }] }); // sku-2 → 101, sku-9 → 102, no 103
    // 102 answers as sku-9 (that write landed on sku-9: PUT addresses products by id), 103 answers 404 Invalid ID.
    expect((await client.setQuantities([upd("sku-2", 3, 2)])).map((o) => failed(o)?.reason)).toEqual(["unavailable"]);
    expect((await client.setQuantities([upd("sku-3", 3, 2)])).map((o) => failed(o)?.reason)).toEqual(["unavailable"]);
    expect(await client.setQuantities([upd("sku-2", 3, 3)])).toEqual([{ ok: true }]);
    expect((await admin(running, "woocommerce", "/listings/sku-2")).accepted).toEqual({ quantity: 3, version: 3 });
    expect((await client.setQuantities([upd("sku-3", 3, 3)])).map((o) => failed(o)?.reason)).toEqual(["rejected"]); // no product has it now
    await admin(running, "woocommerce", "/listings", { listings: [{ sku: "sku-3", quantity: 10 }] }); // re-created as product 103
    expect(await client.setQuantities([upd("sku-3", 4, 4)])).toEqual([{ ok: true }]);
    expect((await admin(running, "woocommerce", "/listings/sku-3")).accepted).toEqual({ quantity: 4, version: 4 });
  });

  it("flipkart: a listing re-created under another FSN fails once (retryable) and is then read again", async () => {
    const client = track(clientFor(running, "flipkart"));
    expect(await client.setQuantities([upd("sku-2", 5, 1)])).toEqual([{ ok: true }]); // caches sku-2's FSN (catalogue number 2)
    await admin(running, "flipkart", "/reset", {});
    await admin(running, "flipkart", "/listings", { listings: [{ sku: "sku-9", quantity: 10 }, { sku: "sku-5", quantity: 10 }, { sku: "sku-2", quantity: 10 }] }); // sku-2 is number 3 now
    expect((await client.setQuantities([upd("sku-2", 3, 2)])).map((o) => failed(o)?.reason)).toEqual(["unavailable"]);
    expect(await client.setQuantities([upd("sku-2", 3, 3)])).toEqual([{ ok: true }]);
    expect((await admin(running, "flipkart", "/listings/sku-2")).accepted).toEqual({ quantity: 3, version: 3 });
    expect((await admin(running, "flipkart", "/listings/sku-5")).accepted).toEqual({ quantity: 10, version: 0 });
  });

  it("amazon: accepted is not visible — the storefront shows the old quantity until the delay passes", async () => {
    const client = track(clientFor(running, "amazon"));
    await client.setQuantities([upd("sku-8", 1, 5)]);
    const truth = (await admin(running, "amazon", "/listings/sku-8")) as { accepted: unknown; visible: unknown };
    expect(truth.accepted).toEqual({ quantity: 1, version: 5 });
    expect(truth.visible).toEqual({ quantity: 10, version: 0 });
    const shown = (await (await fetch(`${running.get("amazon").url}/_synclag/storefront/items/sku-8`)).json()) as { available: number };
    expect(shown.available).toBe(10);
  });
});

describe("batching", () => {
  it("splits 150 WooCommerce updates into a batch of 100 and one of 50", async () => {
    const big = await startMocks({ kinds: ["woocommerce"], seedListings: { count: 150, stock: 1 } });
    try {
      const client = track(clientFor(big, "woocommerce"));
      const updates = Array.from({ length: 150 }, (_, i) => upd(`sku-${i + 1}`, 5, 2));
      const outcomes = await client.setQuantities(updates);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      const stats = (await (await fetch(`${big.get("woocommerce").adminUrl}/stats`)).json()) as { model: { updateCalls: number; updatesAccepted: number } };
      expect(stats.model).toMatchObject({ updateCalls: 2, updatesAccepted: 150 });
    } finally {
      await big.close();
    }
  });

  it("sends eBay 30 updates as 25 + 5 and Flipkart 12 as 10 + 2", async () => {
    for (const [kind, count, calls] of [["ebay", 30, 2], ["flipkart", 12, 2]] as const) {
      const client = track(clientFor(running, kind));
      const outcomes = await client.setQuantities(Array.from({ length: count }, (_, i) => upd(`sku-${i + 1}`, 3, 7)));
      expect(outcomes.every((o) => o.ok)).toBe(true);
      const stats = (await admin(running, kind, "/stats")) as { model: { updateCalls: number } };
      expect(stats.model.updateCalls).toBe(calls);
    }
  });
});
