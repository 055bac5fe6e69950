// The stand-in `X-Synclag-Version` header (ADR 0005): only for synclag's mocks, compact enough that
// no documented batch size fails because of it, and read back by the mocks as ground truth.
// A request whose headers or URL the server finds too large (431 / 414) is a whole-call failure about
// the request, never a per-item rejection that would give every update of the batch up for good.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import { AmazonChannelClient, EbayChannelClient, FlipkartChannelClient, ShopifyChannelClient, VERSION_HEADER, WooCommerceChannelClient, createChannelClient } from "../src/index.js";
import { htmlReply, jsonReply as json, reasonOf, scripted } from "./scripted-transport.js";
import { admin, clientFor, startMocks } from "./support.js";

/** 58 characters; Shopify allows SKUs of up to 255. */
const PREFIX = "APPAREL-WOMENS-OUTERWEAR-PARKA-2025-MIDNIGHT-BLUE-SIZE-XL-";

describe("against the mocks", () => {
  let running: RunningMockMarketplaces;
  beforeAll(async () => {
    running = await startMocks({ kinds: ["shopify", "ebay", "woocommerce", "flipkart"] });
    for (const kind of ["shopify", "ebay", "woocommerce", "flipkart"] as const) await admin(running, kind, "/listings", { generate: { count: 250, stock: 10, prefix: PREFIX } });
  });
  afterAll(async () => running.close());

  it("a full Shopify batch (250) of 60-character SKUs is set, and the mock records each SKU's version", async () => {
    const client = clientFor(running, "shopify");
    try {
      const updates = Array.from({ length: 250 }, (_, i) => ({ sku: `${PREFIX}${i + 1}`, quantity: 3, version: 1_000_000_000_000 + i }));
      const outcomes = await client.setQuantities(updates);
      expect(outcomes.filter((o) => !o.ok), JSON.stringify(outcomes.find((o) => !o.ok))).toEqual([]);
      for (const i of [0, 1, 137, 249]) expect((await admin(running, "shopify", `/listings/${encodeURIComponent(`${PREFIX}${i + 1}`)}`)).accepted).toEqual({ quantity: 3, version: 1_000_000_000_000 + i });
    } finally {
      await client.close();
    }
  });

  it.each(["ebay", "woocommerce", "flipkart"] as const)("%s: a full batch of long SKUs is set at each SKU's own version", async (kind) => {
    const client = clientFor(running, kind);
    try {
      const updates = Array.from({ length: client.maxBatchSize }, (_, i) => ({ sku: `${PREFIX}${client.maxBatchSize - i}`, quantity: 4, version: 500 + i }));
      expect((await client.setQuantities(updates)).map(reasonOf)).toEqual(updates.map(() => "ok"));
      for (const u of [updates[0], updates[updates.length - 1]]) expect((await admin(running, kind, `/listings/${encodeURIComponent(u?.sku ?? "")}`)).accepted).toEqual({ quantity: 4, version: u?.version });
    } finally {
      await client.close();
    }
  });

  it("flipkart: versions travel by SKU, so SKUs that look like numbers (reordered in the JSON object body) keep theirs", async () => {
    await admin(running, "flipkart", "/listings", { listings: [{ sku: "20", quantity: 1 }, { sku: "3", quantity: 1 }, { sku: "b", quantity: 1 }] });
    const client = clientFor(running, "flipkart");
    try {
      expect(
        await client.setQuantities([
          { sku: "b", quantity: 2, version: 11 },
          { sku: "20", quantity: 2, version: 12 },
          { sku: "3", quantity: 2, version: 13 },
        ]),
      ).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      expect([(await admin(running, "flipkart", "/listings/b")).accepted, (await admin(running, "flipkart", "/listings/20")).accepted, (await admin(running, "flipkart", "/listings/3")).accepted]).toEqual([
        { quantity: 2, version: 11 },
        { quantity: 2, version: 12 },
        { quantity: 2, version: 13 },
      ]);
    } finally {
      await client.close();
    }
  });
});

describe("what the client sends", () => {
  const shopifyItems = (...skus: string[]) => json({ data: { inventoryItems: { nodes: skus.map((sku, i) => ({ id: `gid://shopify/InventoryItem/${i + 1}`, sku, inventoryLevel: { quantities: [{ name: "available", quantity: 1 }] } })) } } });
  const shopifySet = json({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: { id: "g", changes: [] }, userErrors: [] } } });
  const shopify = (transport: ReturnType<typeof scripted>, sendVersionHeader?: boolean) =>
    new ShopifyChannelClient({ baseUrl: "https://shop.example", credentials: { accessToken: "t", apiVersion: "2025-01", locationId: "1" }, transport, ...(sendVersionHeader === undefined ? {} : { sendVersionHeader }) });

  it("sends no version header by default (a real marketplace has no use for it)", async () => {
    const t = scripted(shopifyItems("a", "b"), shopifySet);
    await shopify(t).setQuantities([
      { sku: "a", quantity: 2, version: 7 },
      { sku: "b", quantity: 3, version: 8 },
    ]);
    const amazon = scripted(json({ sku: "a", status: "ACCEPTED", submissionId: "s", issues: [] }));
    await new AmazonChannelClient({ baseUrl: "https://sellingpartnerapi-na.amazon.com", credentials: { sellerId: "S", marketplaceId: "M", accessToken: "t" }, transport: amazon }).setQuantities([{ sku: "a", quantity: 1, version: 3 }]);
    const factory = scripted(json({ sku: "a", status: "ACCEPTED", submissionId: "s", issues: [] }));
    await createChannelClient({ kind: "amazon", baseUrl: "https://sellingpartnerapi-na.amazon.com", credentials: { sellerId: "S", marketplaceId: "M", accessToken: "t" }, transport: factory }).setQuantities([{ sku: "a", quantity: 1, version: 3 }]);
    for (const request of [...t.sent, ...amazon.sent, ...factory.sent]) expect(Object.keys(request.headers)).not.toContain(VERSION_HEADER);
  });

  it("when asked: one integer for one item, the versions in request order for an array body", async () => {
    const t = scripted(shopifyItems("a", "b"), shopifySet);
    await shopify(t, true).setQuantities([
      { sku: "a", quantity: 2, version: 7 },
      { sku: "b", quantity: 3, version: 12_345 },
    ]);
    expect(t.sent[1]?.headers[VERSION_HEADER]).toBe("7,12345");
    const e = scripted(json({ responses: [{ sku: "x", statusCode: 200 }] }));
    await new EbayChannelClient({ baseUrl: "https://api.ebay.com", credentials: { accessToken: "t" }, transport: e, sendVersionHeader: true }).setQuantities([{ sku: "x", quantity: 1, version: 42 }]);
    expect(e.sent[0]?.headers[VERSION_HEADER]).toBe("42");
  });

  it("flipkart (an object body keyed by SKU) sends sku=version pairs", async () => {
    const listing = json({ available: { "20": { product_id: "F20", locations: [{ id: "LOC1", inventory: 1 }] }, b: { product_id: "FB", locations: [{ id: "LOC1", inventory: 1 }] } }, invalid: [] });
    const t = scripted(json({ access_token: "t", expires_in: 3600 }), listing, json({ b: { status: "SUCCESS" }, "20": { status: "SUCCESS" } }));
    const flipkart = new FlipkartChannelClient({ baseUrl: "https://api.flipkart.net", credentials: { appId: "a", appSecret: "s", locationId: "LOC1" }, transport: t, sendVersionHeader: true });
    await flipkart.setQuantities([
      { sku: "b", quantity: 1, version: 5 },
      { sku: "20", quantity: 1, version: 6 },
    ]);
    expect(new URLSearchParams(t.sent[2]?.headers[VERSION_HEADER])).toEqual(new URLSearchParams("b=5&20=6"));
  });
});

describe("a request the server finds too large (431 request headers, 414 URI)", () => {
  const tooLarge = (status: number) => ({ ...htmlReply(status), body: `<html><body>${status === 431 ? "Request Header Fields Too Large" : "URI Too Long"}</body></html>` });

  it.each([431, 414])("HTTP %i is unavailable for every item of the call, with a message naming the cause, not rejected", async (status) => {
    const woo = new WooCommerceChannelClient({ baseUrl: "https://shop.example", credentials: { consumerKey: "k", consumerSecret: "s" }, transport: scripted(tooLarge(status)) });
    const outcomes = await woo.setQuantities([
      { sku: "a", quantity: 1, version: 1 },
      { sku: "b", quantity: 1, version: 1 },
    ]);
    expect(outcomes.map(reasonOf)).toEqual(["unavailable", "unavailable"]);
    expect(outcomes[0]).toMatchObject({ message: expect.stringMatching(/too large/i) });
  });

  it.each([431, 414])("HTTP %i on a read throws unavailable", async (status) => {
    const ebay = new EbayChannelClient({ baseUrl: "https://api.ebay.com", credentials: { accessToken: "t" }, transport: scripted(tooLarge(status)) });
    await expect(ebay.readQuantities(["a"])).rejects.toMatchObject({ reason: "unavailable", message: expect.stringMatching(/too large/i) });
  });
});
