// Embedding the mocks in-process with msw: a client on `fetch` (FetchTransport) talks to the msw
// handlers under `setupServer` without any port, and gets the same behaviour as over real HTTP.

import { afterAll, beforeAll, expect, it } from "vitest";
import { MockMarketplace } from "@synclag/mock-marketplaces";
import { createMswHandlers, loadMswNode } from "@synclag/mock-marketplaces/msw";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { FetchTransport, ShopifyChannelClient } from "../src/index.js";

const BASE = "https://synclag-mock.myshopify.com";
const marketplace = new MockMarketplace({ kind: "shopify" });
let stop: () => void = () => {};

beforeAll(async () => {
  marketplace.seed([{ sku: "sku-1", quantity: 5 }]);
  const { setupServer } = await loadMswNode();
  const server = setupServer(...(await createMswHandlers([{ baseUrl: BASE, marketplace }])));
  server.listen({ onUnhandledRequest: "error" });
  stop = () => server.close();
});
afterAll(() => {
  stop();
  marketplace.stop();
});

it("a fetch-based client talks to the msw-embedded Shopify mock, compare-and-set included", async () => {
  const client = new ShopifyChannelClient({ baseUrl: BASE, credentials: DEFAULT_MOCK_CREDENTIALS.shopify, transport: new FetchTransport(), sendVersionHeader: true });
  expect(await client.setQuantities([{ sku: "sku-1", quantity: 3, version: 2 }])).toEqual([{ ok: true }]);
  expect(marketplace.model.listing("sku-1")).toMatchObject({ acceptedQuantity: 3, acceptedVersion: 2 });
  expect((await client.readQuantities(["sku-1"])).get("sku-1")).toBe(3);
});
