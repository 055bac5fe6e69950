// The HTTP mocks as a long-running engine meets them: a restarted `synclag marketplaces` must not hand
// out the order ids of the one before (the engine would take new orders for duplicates or conflicts),
// and with `latency: "profile"` an update lands half-way through its round trip, as in the simulator.

import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS as c, MockMarketplace, serveMarketplaces, startMockMarketplaces, type RunningMockMarketplaces, type RunningServer } from "../src/index.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function checkout(url: string): Promise<string> {
  const response = await fetch(`${url}/_synclag/storefront/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "sku-1", quantity: 1 }) });
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderId: string }).orderId;
}

describe("a restarted synclag marketplaces", () => {
  it("never hands out an order id of the start before, for any marketplace", async () => {
    const start = async (): Promise<RunningMockMarketplaces> => startMockMarketplaces({ layout: "single-port", latency: "none", seedListings: { count: 1, stock: 10 } });
    const first = await start();
    const before = new Map<string, string[]>();
    for (const m of first.marketplaces) before.set(m.kind, [await checkout(m.url), await checkout(m.url)]);
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await start();
    closers.push(() => second.close());
    for (const kind of MARKETPLACE_KINDS) {
      const after = await checkout(second.get(kind).url);
      expect(before.get(kind), kind).not.toContain(after);
    }
  });
});

describe("latency: profile over HTTP", () => {
  it("the update lands half-way through the round trip: after the request left, before the reply came", async () => {
    const profile = { ...DEFAULT_PROFILES.amazon, apiLatency: { kind: "constant", ms: 600 } as const, visibilityDelay: { kind: "constant", ms: 0 } as const };
    const marketplace = new MockMarketplace({ kind: "amazon", profile, seed: 1, latency: "profile" });
    marketplace.seed([{ sku: "sku-1", quantity: 10 }]);
    const server: RunningServer = await serveMarketplaces([{ prefix: "", marketplace }], { host: "127.0.0.1", port: 0 });
    closers.push(async () => {
      marketplace.stop();
      await server.close();
    });
    const body = { productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: 4 }] }] };
    const sentAtMs = Date.now();
    const response = await fetch(`${server.url}/listings/2021-08-01/items/${c.amazon.sellerId}/sku-1?marketplaceIds=${c.amazon.marketplaceId}`, { method: "PATCH", headers: { "content-type": "application/json", "x-amz-access-token": c.amazon.accessToken }, body: JSON.stringify(body) });
    const repliedAtMs = Date.now();
    expect(response.status).toBe(200);
    const truth = (await (await fetch(`${server.url}/_synclag/admin/listings/sku-1`)).json()) as { timeline: { event: string; atMs: number }[] };
    const acceptedAtMs = truth.timeline.find((e) => e.event === "accepted")?.atMs ?? Number.NaN;
    // 300 ms each side of the apply; generous margins, the point is the order of events, not the timing.
    expect(acceptedAtMs - sentAtMs).toBeGreaterThanOrEqual(250);
    expect(repliedAtMs - acceptedAtMs).toBeGreaterThanOrEqual(250);
  });
});
