// Amazon's `searchListingsItems` (`GET /listings/2021-08-01/items/{sellerId}`) without a server:
// requests straight into `MockMarketplace.respond` — the identifier search the channel client reads
// with (≤ 20 SKUs, items for the listed ones only), the seller-wide listing page by page, and the 400s
// SP-API gives for a query that breaks the model. Replies are validated against the official model
// in packages/channels/test/conformance.test.ts.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceProfile } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS } from "../credentials.js";
import { MockMarketplace } from "../mock-marketplace.js";

const c = DEFAULT_MOCK_CREDENTIALS.amazon;
const auth = { "x-amz-access-token": c.accessToken };
const SEARCH = `/listings/2021-08-01/items/${c.sellerId}`;

function setup(listings = 30, profile: MarketplaceProfile = DEFAULT_PROFILES.amazon) {
  let now = 1_800_000_000_000;
  const m = new MockMarketplace({ kind: "amazon", profile, clock: () => now, seed: 3 });
  m.seed(Array.from({ length: listings }, (_, i) => ({ sku: `sku-${i + 1}`, quantity: i + 1 })));
  const send = (method: string, path: string, query: Record<string, string>, headers: Record<string, string> = auth) => {
    const { reply } = m.respond({ method, path, query: new URLSearchParams(query), headers, body: "" });
    return { status: reply.status, headers: reply.headers, json: (reply.body ? JSON.parse(reply.body) : {}) as Record<string, unknown> };
  };
  /** `searchListingsItems` with the mock's marketplace unless `query` says otherwise. */
  const search = (query: Record<string, string> = {}, headers: Record<string, string> = auth) => send("GET", SEARCH, { marketplaceIds: c.marketplaceId, ...query }, headers);
  const bySku = (query: Record<string, string>) => search({ identifiersType: "SKU", includedData: "fulfillmentAvailability", ...query });
  return { m, send, search, bySku, advance: (ms: number) => (now += ms) };
}

type Item = { sku: string; fulfillmentAvailability?: { fulfillmentChannelCode: string; quantity: number }[]; summaries?: Record<string, unknown>[] };
const items = (json: Record<string, unknown>) => json.items as Item[];
const skus = (json: Record<string, unknown>) => items(json).map((i) => i.sku);

describe("searchListingsItems by SKU (identifiers, identifiersType=SKU)", () => {
  it("answers the listed SKUs' fulfillmentAvailability; a SKU without a listing is simply absent and not counted", () => {
    const { bySku, m } = setup();
    const reply = bySku({ identifiers: "sku-3,no-such-sku,sku-7", pageSize: "20" });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      numberOfResults: 2,
      items: [
        { sku: "sku-3", fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity: 3 }] },
        { sku: "sku-7", fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity: 7 }] },
      ],
    });
    expect(reply.headers["x-amzn-ratelimit-limit"]).toBe("5.0");
    expect(reply.headers["x-amzn-requestid"]).toEqual(expect.any(String));
    m.stop();
  });

  it("reads the accepted quantity through the model, as getListingsItem does (not the one buyers see yet)", () => {
    const profile: MarketplaceProfile = { ...DEFAULT_PROFILES.amazon, visibilityDelay: { kind: "constant", ms: 60_000 } };
    const { bySku, send, m } = setup(30, profile);
    const patch = { productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: 0 }] }] };
    const { reply } = m.respond({ method: "PATCH", path: `${SEARCH}/sku-2`, query: new URLSearchParams({ marketplaceIds: c.marketplaceId }), headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(patch) });
    expect(reply.status).toBe(200);
    expect(send("GET", "/_synclag/storefront/items/sku-2", {}).json.available).toBe(2);
    const searched = items(bySku({ identifiers: "sku-2", pageSize: "20" }).json)[0]?.fulfillmentAvailability;
    const got = send("GET", `${SEARCH}/sku-2`, { marketplaceIds: c.marketplaceId, includedData: "fulfillmentAvailability" }).json.fulfillmentAvailability;
    expect(searched).toEqual([{ fulfillmentChannelCode: "DEFAULT", quantity: 0 }]);
    expect(searched).toEqual(got);
    m.stop();
  });

  it("20 identifiers are answered; 21 are a 400 InvalidInput naming the limit", () => {
    const { bySku, m } = setup();
    const twenty = Array.from({ length: 20 }, (_, i) => `sku-${i + 1}`);
    expect(skus(bySku({ identifiers: twenty.join(","), pageSize: "20" }).json)).toEqual(twenty);
    const refused = bySku({ identifiers: [...twenty, "sku-21"].join(","), pageSize: "20" });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ errors: [{ code: "InvalidInput", message: expect.stringContaining("20"), details: "" }] });
    expect((refused.json.errors as { message: string }[])[0]?.message).toContain("identifiers");
    m.stop();
  });

  it("pages the found items like any search: 20 identifiers with the default pageSize (10) come back in two pages", () => {
    const { bySku, m } = setup();
    const twenty = Array.from({ length: 20 }, (_, i) => `sku-${i + 1}`);
    const first = bySku({ identifiers: twenty.join(",") }).json;
    expect(first.numberOfResults).toBe(20);
    expect(skus(first)).toEqual(twenty.slice(0, 10));
    const next = (first.pagination as { nextToken?: string } | undefined)?.nextToken;
    expect(next).toEqual(expect.any(String));
    const second = bySku({ identifiers: twenty.join(","), pageToken: next as string }).json;
    expect(skus(second)).toEqual(twenty.slice(10));
    expect(second.pagination).toEqual({ previousToken: expect.any(String) });
    m.stop();
  });

  it("includes summaries by default and fulfillmentAvailability only when includedData asks for it", () => {
    const { search, m } = setup();
    const plain = items(search({ identifiers: "sku-1", identifiersType: "SKU" }).json)[0];
    expect(plain).toEqual({ sku: "sku-1", summaries: [{ marketplaceId: c.marketplaceId, productType: "PRODUCT", status: ["BUYABLE", "DISCOVERABLE"], createdDate: expect.any(String), lastUpdatedDate: expect.any(String) }] });
    const both = items(search({ identifiers: "sku-1", identifiersType: "SKU", includedData: "summaries,fulfillmentAvailability" }).json)[0];
    expect(Object.keys(both ?? {}).sort()).toEqual(["fulfillmentAvailability", "sku", "summaries"]);
    m.stop();
  });

  it("a listing showing buyers 0 is DISCOVERABLE but not BUYABLE in its summary", () => {
    const { search, m } = setup();
    m.seed([{ sku: "empty", quantity: 0 }]);
    expect(items(search({ identifiers: "empty", identifiersType: "SKU" }).json)[0]?.summaries).toEqual([expect.objectContaining({ status: ["DISCOVERABLE"] })]);
    m.stop();
  });

  it("is one model read per call, never charged to the rate limit (as getListingsItem), and refused during an outage", () => {
    const { bySku, m } = setup();
    for (let i = 0; i < 12; i++) expect(bySku({ identifiers: "sku-1,sku-2", pageSize: "20" }).status).toBe(200);
    expect(m.model.stats.reads).toBe(12);
    // The burst of 5 is untouched: five updates are still admitted.
    const patch = JSON.stringify({ productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: 1 }] }] });
    for (let i = 0; i < 5; i++) expect(m.respond({ method: "PATCH", path: `${SEARCH}/sku-1`, query: new URLSearchParams({ marketplaceIds: c.marketplaceId }), headers: { ...auth, "content-type": "application/json" }, body: patch }).reply.status).toBe(200);
    m.injectFaults({ outageMs: 60_000 });
    const down = bySku({ identifiers: "sku-1", pageSize: "20" });
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ errors: [{ code: "ServiceUnavailable" }] });
    m.stop();
  });
});

describe("searchListingsItems without identifiers: the seller's listings page by page", () => {
  it("pageSize items a page in seed order, nextToken until the last page, numberOfResults the total", () => {
    const { search, m } = setup(45);
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = search({ pageSize: "20", includedData: "fulfillmentAvailability", ...(token ? { pageToken: token } : {}) }).json;
      calls += 1;
      expect(page.numberOfResults).toBe(45);
      seen.push(...skus(page));
      token = (page.pagination as { nextToken?: string } | undefined)?.nextToken;
    } while (token !== undefined && calls < 10);
    expect(calls).toBe(Math.ceil(45 / 20));
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `sku-${i + 1}`));
    m.stop();
  });

  it("previousToken leads back to the page before", () => {
    const { search, m } = setup(45);
    const first = search({ pageSize: "20" }).json;
    expect(first.pagination).toEqual({ nextToken: expect.any(String) });
    const second = search({ pageSize: "20", pageToken: (first.pagination as { nextToken: string }).nextToken }).json;
    const back = search({ pageSize: "20", pageToken: (second.pagination as { previousToken: string }).previousToken }).json;
    expect(skus(back)).toEqual(skus(first));
    m.stop();
  });

  it("pages through at most 1,000 results, as the model says: no nextToken past them, numberOfResults still the total", () => {
    const { search, m } = setup(1_030);
    let token: string | undefined;
    let last: Record<string, unknown> = {};
    let listed = 0;
    for (let calls = 0; calls < 100; calls++) {
      last = search({ pageSize: "20", ...(token ? { pageToken: token } : {}) }).json;
      listed += items(last).length;
      token = (last.pagination as { nextToken?: string } | undefined)?.nextToken;
      if (token === undefined) break;
    }
    expect(listed).toBe(1_000);
    expect(last.numberOfResults).toBe(1_030);
    expect(skus(last).at(-1)).toBe("sku-1000");
    m.stop();
  });

  it("an empty catalogue is 200 with no items", () => {
    const { search, m } = setup(0);
    expect(search().json).toEqual({ numberOfResults: 0, items: [] });
    m.stop();
  });
});

describe("searchListingsItems refuses what SP-API refuses", () => {
  const invalid: [string, Record<string, string>, string][] = [
    ["identifiers without identifiersType", { identifiers: "sku-1" }, "identifiersType"],
    ["identifiersType without identifiers", { identifiersType: "SKU" }, "identifiers"],
    ["an identifiersType outside the enum", { identifiers: "sku-1", identifiersType: "SELLER_SKU" }, "identifiersType"],
    ["an includedData outside the enum", { includedData: "fulfillmentAvailability,quantity" }, "includedData"],
    ["pageSize above 20", { pageSize: "21" }, "pageSize"],
    ["pageSize below 1", { pageSize: "0" }, "pageSize"],
    ["a pageSize that is not an integer", { pageSize: "ten" }, "pageSize"],
    ["a pageToken the mock never gave", { pageToken: "nonsense" }, "pageToken"],
    ["a sortOrder outside the enum", { sortOrder: "UP" }, "sortOrder"],
  ];

  it.each(invalid)("%s → 400 InvalidInput naming it", (_label, query, named) => {
    const { search, m } = setup();
    const reply = search(query);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ errors: [{ code: "InvalidInput", message: expect.stringContaining(named), details: "" }] });
    expect(reply.headers["x-amzn-ratelimit-limit"]).toBe("5.0");
    expect(m.model.stats.reads).toBe(0);
    m.stop();
  });

  it("identifiersType other than SKU (valid in SP-API) is a 400: the mock's listings carry no ASIN, EAN, … — a quiet empty answer would read as 'no listing'", () => {
    const { search, m } = setup();
    const reply = search({ identifiers: "B000000001", identifiersType: "ASIN" });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ errors: [{ code: "InvalidInput", message: expect.stringContaining("ASIN"), details: "" }] });
    m.stop();
  });

  it("a filter the mock does not implement (variationParentSku, withStatus, createdAfter, …) is a 400, not ignored", () => {
    const { search, m } = setup();
    for (const query of [{ variationParentSku: "sku-1" }, { withStatus: "BUYABLE" }, { createdAfter: "2024-03-01T01:30:00.000Z" }]) {
      const reply = search(query);
      expect(reply.status, JSON.stringify(query)).toBe(400);
      expect((reply.json.errors as { message: string }[])[0]?.message).toContain(Object.keys(query)[0]);
    }
    m.stop();
  });

  it("with the same auth and marketplace checks as the other Amazon routes", () => {
    const { send, search, m } = setup();
    expect(search({}, { "x-amz-access-token": "wrong" })).toMatchObject({ status: 403, json: { errors: [{ code: "Unauthorized" }] } });
    expect(send("GET", "/listings/2021-08-01/items/OTHER-SELLER", { marketplaceIds: c.marketplaceId }, auth)).toMatchObject({ status: 403, json: { errors: [{ code: "Unauthorized" }] } });
    expect(send("GET", SEARCH, {}, auth)).toMatchObject({ status: 400, json: { errors: [{ code: "InvalidInput", message: expect.stringContaining("marketplaceIds") }] } });
    expect(search({ marketplaceIds: "A1PA6795UKMFR9" })).toMatchObject({ status: 400, json: { errors: [{ code: "InvalidInput", message: expect.stringContaining("marketplaceIds") }] } });
    m.stop();
  });
});
