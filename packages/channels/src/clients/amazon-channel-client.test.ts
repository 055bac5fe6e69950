// The Amazon client's listing read against scripted replies: `searchListingsItems` with ≤ 20 SKUs a
// call, what a search reply says about each SKU asked (absent → no listing), the pages a server
// refuses as too long (414/431 → split), a search that pages anyway (nextToken → followed), and a SKU
// with a comma (it cannot go in the comma-delimited list: read alone with `getListingsItem`).

import { describe, expect, it } from "vitest";
import { htmlReply as html, jsonReply as json } from "../../test/scripted-transport.js";
import type { HttpReply, HttpRequest, HttpTransport } from "../transport.js";
import { AmazonChannelClient } from "./amazon-channel-client.js";

const SELLER = "S1";
const MARKETPLACE = "M1";
const SEARCH_PATH = `/listings/2021-08-01/items/${SELLER}`;

/** A transport answering each request with `answer(request)`, keeping what was sent. */
function answering(answer: (request: HttpRequest, url: URL) => HttpReply): HttpTransport & { readonly sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    send: (request) => {
      sent.push(request);
      return Promise.resolve(answer(request, new URL(request.url)));
    },
    close: () => Promise.resolve(),
  };
}

const client = (transport: HttpTransport) => new AmazonChannelClient({ baseUrl: "http://amazon.invalid", credentials: { sellerId: SELLER, marketplaceId: MARKETPLACE, accessToken: "t" }, transport });
const available = (sku: string, quantity: number) => ({ sku, fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity }] });
const results = (items: unknown[], pagination?: Record<string, string>) => json({ numberOfResults: items.length, ...(pagination ? { pagination } : {}), items });
/** The SKUs a search request asked for. */
const identifiersOf = (url: URL) => (url.searchParams.get("identifiers") ?? "").split(",");
/** A search server over `listings` (SKU → quantity): the listed SKUs among those asked, each with its DEFAULT quantity. */
const searchServer = (listings: Record<string, number>) => (_request: HttpRequest, url: URL) => results(identifiersOf(url).flatMap((sku) => (sku in listings ? [available(sku, listings[sku] as number)] : [])));
const skus = (n: number, prefix = "sku-") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("readQuantities searches (searchListingsItems), 20 SKUs a call", () => {
  it("45 SKUs are 3 searches (20, 20, 5) with identifiersType=SKU, includedData=fulfillmentAvailability, pageSize=20; readCalls counts them", async () => {
    const asked = skus(45);
    const transport = answering(searchServer(Object.fromEntries(asked.map((s, i) => [s, i]))));
    const amazon = client(transport);
    const read = await amazon.readQuantities(asked);
    expect(read).toEqual(new Map(asked.map((s, i) => [s, i])));
    expect(transport.sent.map((r) => identifiersOf(new URL(r.url)).length)).toEqual([20, 20, 5]);
    expect(transport.sent.flatMap((r) => identifiersOf(new URL(r.url)))).toEqual(asked);
    for (const request of transport.sent) {
      const url = new URL(request.url);
      expect(request.method).toBe("GET");
      expect(url.pathname).toBe(SEARCH_PATH);
      expect(Object.fromEntries([...url.searchParams.entries()].filter(([k]) => k !== "identifiers"))).toEqual({ marketplaceIds: MARKETPLACE, identifiersType: "SKU", includedData: "fulfillmentAvailability", pageSize: "20" });
      expect(request.headers["x-amz-access-token"]).toBe("t");
    }
    expect(amazon.stats.readCalls).toBe(Math.ceil(45 / 20));
    expect(amazon.stats.apiCalls).toBe(Math.ceil(45 / 20));
  });

  it("no SKUs, no call", async () => {
    const transport = answering(() => results([]));
    expect(await client(transport).readQuantities([])).toEqual(new Map());
    expect(transport.sent).toHaveLength(0);
  });

  it("a SKU absent from the items is no listing; an item without a DEFAULT availability has no quantity; an item not asked for is ignored", async () => {
    const reply = results([available("a", 3), { sku: "b", fulfillmentAvailability: [{ fulfillmentChannelCode: "AMAZON_NA", quantity: 9 }] }, { sku: "c" }, available("not-asked", 1)]);
    expect(await client(answering(() => reply)).readQuantities(["a", "b", "c", "nope"])).toEqual(new Map([["a", 3]]));
  });

  it("SKUs are sent URL-encoded in the list and matched back as they are", async () => {
    const odd = ["a b", "x/y", "ü+1", "50%"];
    const transport = answering(searchServer({ "a b": 1, "x/y": 2, "ü+1": 3, "50%": 4 }));
    expect(await client(transport).readQuantities(odd)).toEqual(new Map([["a b", 1], ["x/y", 2], ["ü+1", 3], ["50%", 4]]));
    expect(transport.sent[0]?.url).toContain(`identifiers=${odd.map(encodeURIComponent).join(",")}&`);
  });
});

describe("what a search reply does not say", () => {
  it.each([
    ["an HTML 200 page", html()],
    ["a getListingsItem-shaped item instead of search results", json(available("a", 3))],
    ["items that is not a list", json({ numberOfResults: 1, items: { sku: "a" } })],
  ])("%s → the read throws unavailable, never 'no listing'", async (_label, reply) => {
    await expect(client(answering(() => reply)).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it("a 404 without SP-API's errors list (a proxy's page) → unavailable; SP-API's own 404 to a search is no 'no listing' either (a search leaves unlisted SKUs out of a 200): the read throws", async () => {
    await expect(client(answering(() => html(404))).readQuantities(["a"])).rejects.toMatchObject({ reason: "unavailable" });
    await expect(client(answering(() => json({ message: "Not Found" }, 404))).readQuantities(["a"])).rejects.toMatchObject({ reason: "unavailable" });
    await expect(client(answering(() => json({ errors: [{ code: "NOT_FOUND", message: "Resource not found" }] }, 404))).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError" });
  });

  it("a failing page fails the read and no page after it is sent", async () => {
    let calls = 0;
    const transport = answering((_r, url) => (++calls === 2 ? json({ errors: [{ code: "QuotaExceeded", message: "You exceeded your quota for the requested resource." }] }, 429) : searchServer({})(_r, url)));
    await expect(client(transport).readQuantities(skus(60))).rejects.toMatchObject({ reason: "rate_limited", retryAfterMs: expect.any(Number) });
    expect(transport.sent).toHaveLength(2);
  });
});

describe("pages a server refuses as too long", () => {
  it("a search answered 414 is split in two and both halves asked; the refused call is counted", async () => {
    const transport = answering((request, url) => (identifiersOf(url).length > 10 ? { status: 414, headers: { "content-type": "text/html" }, body: "<html>Request-URI Too Large</html>" } : searchServer({ "sku-1": 1, "sku-20": 20 })(request, url)));
    const amazon = client(transport);
    expect(await amazon.readQuantities(skus(20))).toEqual(new Map([["sku-1", 1], ["sku-20", 20]]));
    expect(transport.sent.map((r) => identifiersOf(new URL(r.url)).length)).toEqual([20, 10, 10]);
    expect(amazon.stats.readCalls).toBe(3);
  });

  it("431 likewise", async () => {
    const transport = answering((request, url) => (identifiersOf(url).length > 5 ? { status: 431, headers: {}, body: "" } : searchServer({ "sku-7": 7 })(request, url)));
    expect(await client(transport).readQuantities(skus(8))).toEqual(new Map([["sku-7", 7]]));
    expect(transport.sent.map((r) => identifiersOf(new URL(r.url)).length)).toEqual([8, 4, 4]);
  });
});

describe("a search that pages anyway (a server with a smaller page than asked)", () => {
  it("follows nextToken with the same identifiers until the last page", async () => {
    const transport = answering((_r, url) => {
      const token = url.searchParams.get("pageToken");
      if (token === null) return results([available("a", 1)], { nextToken: "t2" });
      if (token === "t2") return results([available("b", 2)], { nextToken: "t3", previousToken: "t1" });
      return results([available("c", 3)], { previousToken: "t2" });
    });
    const amazon = client(transport);
    expect(await amazon.readQuantities(["a", "b", "c", "d"])).toEqual(new Map([["a", 1], ["b", 2], ["c", 3]]));
    expect(transport.sent.map((r) => new URL(r.url).searchParams.get("pageToken"))).toEqual([null, "t2", "t3"]);
    expect(transport.sent.every((r) => new URL(r.url).searchParams.get("identifiers") === "a,b,c,d")).toBe(true);
    expect(amazon.stats.readCalls).toBe(3);
  });

  it("a nextToken that never ends (more pages than SKUs asked) → unavailable, not an endless read", async () => {
    const transport = answering(() => results([], { nextToken: "again" }));
    await expect(client(transport).readQuantities(["a", "b"])).rejects.toMatchObject({ reason: "unavailable" });
    expect(transport.sent.length).toBeLessThanOrEqual(3);
  });

  it("a follow-up page that fails fails the read", async () => {
    const transport = answering((_r, url) => (url.searchParams.get("pageToken") === null ? results([available("a", 1)], { nextToken: "t2" }) : html()));
    await expect(client(transport).readQuantities(["a", "b"])).rejects.toMatchObject({ reason: "unavailable" });
  });
});

describe("a SKU with a comma cannot go in the comma-delimited identifiers", () => {
  it("is read alone with getListingsItem; the others are searched", async () => {
    const transport = answering((request, url) => {
      if (url.pathname === SEARCH_PATH) return searchServer({ a: 1, b: 2 })(request, url);
      return url.pathname === `${SEARCH_PATH}/${encodeURIComponent("x,y")}` ? json(available("x,y", 5)) : json({ errors: [{ code: "NOT_FOUND", message: "SKU not found" }] }, 404);
    });
    const amazon = client(transport);
    expect(await amazon.readQuantities(["a", "x,y", "b", "no,such"])).toEqual(new Map([["a", 1], ["b", 2], ["x,y", 5]]));
    const searched = transport.sent.filter((r) => new URL(r.url).pathname === SEARCH_PATH);
    expect(searched.map((r) => identifiersOf(new URL(r.url)))).toEqual([["a", "b"]]);
    const alone = transport.sent.filter((r) => new URL(r.url).pathname !== SEARCH_PATH).map((r) => new URL(r.url));
    expect(alone.map((u) => decodeURIComponent(u.pathname.split("/").pop() ?? ""))).toEqual(["x,y", "no,such"]);
    for (const u of alone) expect(Object.fromEntries(u.searchParams.entries())).toEqual({ marketplaceIds: MARKETPLACE, includedData: "fulfillmentAvailability" });
    expect(amazon.stats.readCalls).toBe(3);
  });

  it("its getListingsItem keeps the read's safety: SP-API's 404 is no listing, a proxy's 404 or an unreadable 200 throws unavailable", async () => {
    const notFound = json({ errors: [{ code: "NOT_FOUND", message: "SKU 'x,y' not found in marketplace M1", details: "" }] }, 404);
    expect(await client(answering(() => notFound)).readQuantities(["x,y"])).toEqual(new Map());
    for (const reply of [html(404), json({ message: "Not Found" }, 404), html(), json({ message: "Service is in maintenance" })]) {
      await expect(client(answering(() => reply)).readQuantities(["x,y"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
    }
  });
});
