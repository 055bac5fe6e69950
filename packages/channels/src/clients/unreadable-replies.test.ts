// A 2xx whose body is not the API's JSON — a proxy's or CDN's HTML page, an empty body, truncated
// JSON — says nothing about the SKUs: the call is `unavailable` (retried), never "no such listing",
// which would reject a push for good or make the reconciler skip every SKU as if it had read them.
// A well-formed reply that leaves out an unknown SKU still means that SKU has no listing.

import { describe, expect, it } from "vitest";
import { htmlReply as html, jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpReply } from "../transport.js";
import { AmazonChannelClient } from "./amazon-channel-client.js";
import { EbayChannelClient } from "./ebay-channel-client.js";
import { FlipkartChannelClient } from "./flipkart-channel-client.js";

const TOKEN = json({ access_token: "t", token_type: "bearer", expires_in: 3600 });
const unreadable: [string, HttpReply][] = [
  ["an HTML page", html()],
  ["an empty body", { status: 200, headers: {}, body: "" }],
  ["truncated JSON", { status: 200, headers: { "content-type": "application/json" }, body: '{"available":{"a":{"product_id":"FSN1","loc' }],
  ["a JSON object without the expected list", json({ message: "Service is in maintenance" })],
];

const flipkart = (...replies: HttpReply[]) => new FlipkartChannelClient({ baseUrl: "http://flipkart.invalid", credentials: { appId: "app", appSecret: "secret", locationId: "LOC1" }, transport: scripted(TOKEN, ...replies) });
const amazon = (...replies: HttpReply[]) => new AmazonChannelClient({ baseUrl: "http://amazon.invalid", credentials: { sellerId: "S", marketplaceId: "M", accessToken: "t" }, transport: scripted(...replies) });
const ebay = (...replies: HttpReply[]) => new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: scripted(...replies) });

describe("an unreadable 200 to a listing lookup or read", () => {
  it.each(unreadable)("flipkart: a push whose FSN lookup is answered with %s is unavailable (retryable), not rejected", async (_label, reply) => {
    const [outcome] = await flipkart(reply).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(reasonOf(outcome)).toBe("unavailable");
    expect(outcome).toMatchObject({ message: expect.stringContaining("does not confirm") });
  });

  it.each(unreadable)("flipkart: readQuantities answered with %s throws unavailable", async (_label, reply) => {
    await expect(flipkart(reply).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it.each(unreadable)("amazon: readQuantities answered with %s throws unavailable", async (_label, reply) => {
    await expect(amazon(reply).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it.each(unreadable)("ebay: readQuantities answered with %s throws unavailable", async (_label, reply) => {
    await expect(ebay(reply).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it.each(unreadable)("flipkart and ebay: an update answered with %s is unavailable", async (_label, reply) => {
    const listing = json({ available: { a: { product_id: "FSN1", locations: [{ id: "LOC1", inventory: 1 }] } }, invalid: [] });
    expect((await flipkart(listing, reply).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect((await ebay(reply).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
  });
});

describe("a well-formed reply that leaves an unknown SKU out still means no listing", () => {
  it("flipkart: the SKU listed as invalid is rejected on push and absent from a read", async () => {
    const none = json({ available: {}, invalid: ["nope"] });
    expect((await flipkart(none).setQuantities([{ sku: "nope", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["rejected"]);
    expect([...(await flipkart(none).readQuantities(["nope"])).entries()]).toEqual([]);
    const some = json({ available: { a: { product_id: "FSN1", locations: [{ id: "LOC1", inventory: 4 }] } }, invalid: ["nope"] });
    expect([...(await flipkart(some).readQuantities(["a", "nope"])).entries()]).toEqual([["a", 4]]);
  });

  it("amazon: a SKU left out of the search's items is no listing; a listing without a DEFAULT availability has no quantity", async () => {
    const search = (...items: unknown[]) => json({ numberOfResults: items.length, items });
    expect([...(await amazon(search()).readQuantities(["nope"])).entries()]).toEqual([]);
    expect([...(await amazon(search({ sku: "a", fulfillmentAvailability: [] })).readQuantities(["a"])).entries()]).toEqual([]);
    expect([...(await amazon(search({ sku: "a" })).readQuantities(["a"])).entries()]).toEqual([]);
    expect([...(await amazon(search({ sku: "a", fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity: 6 }] })).readQuantities(["a", "nope"])).entries()]).toEqual([["a", 6]]);
  });

  it("ebay: an entry with statusCode 404 is no listing", async () => {
    const reply = json({ responses: [{ sku: "nope", statusCode: 404, errors: [{ errorId: 25710 }] }, { sku: "a", statusCode: 200, inventoryItem: { sku: "a", availability: { shipToLocationAvailability: { quantity: 2 } } } }] }, 207);
    expect([...(await ebay(reply).readQuantities(["nope", "a"])).entries()]).toEqual([["a", 2]]);
  });
});

describe("a reply that is not the API's own answer says nothing about the listing", () => {
  const amazonNotFound = json({ errors: [{ code: "NOT_FOUND", message: "SKU 'a' not found in marketplace M", details: "" }] }, 404);
  const notTheApi: [string, HttpReply][] = [
    ["a proxy's HTML 404 page", html(404)],
    ["an empty 404", { status: 404, headers: {}, body: "" }],
    ["a JSON 404 without SP-API's errors list", json({ message: "Not Found" }, 404)],
  ];

  it.each(notTheApi)("amazon: readQuantities answered with %s throws unavailable (not 'no listing', which would skip the SKU's repair), for a search and for getListingsItem", async (_label, reply) => {
    await expect(amazon(reply).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
    await expect(amazon(reply).readQuantities(["a,1"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it("amazon: SP-API's own 404 (its errors list) to getListingsItem (a SKU with a comma, read alone) still means no listing", async () => {
    expect([...(await amazon(amazonNotFound).readQuantities(["a,1"])).entries()]).toEqual([]);
  });

  it("amazon: SP-API's own 404 to a search is not 'no listing' (a search leaves unlisted SKUs out of a 200): the read throws", async () => {
    await expect(amazon(amazonNotFound).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError" });
  });

  it.each(notTheApi.slice(0, 2))("amazon: a push answered with %s is unavailable (retried), not rejected for good", async (_label, reply) => {
    expect((await amazon(reply).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
  });

  it("amazon: a push answered with SP-API's own 404 is rejected (the listing does not exist)", async () => {
    expect((await amazon(amazonNotFound).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["rejected"]);
  });

  it("ebay, flipkart: a push answered with an HTML 4xx page (a proxy's) is unavailable, not rejected for good", async () => {
    expect((await ebay(html(404)).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    const listing = json({ available: { a: { product_id: "FSN1", locations: [{ id: "LOC1", inventory: 1 }] } }, invalid: [] });
    expect((await flipkart(listing, html(400)).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
  });

  it.each([
    [500, "unavailable"],
    [503, "unavailable"],
    [429, "rate_limited"],
  ])("ebay: a bulk_get entry with statusCode %i says nothing about its SKU: the read throws %s", async (statusCode, reason) => {
    const reply = json({ responses: [{ sku: "a", statusCode: 200, inventoryItem: { sku: "a", availability: { shipToLocationAvailability: { quantity: 2 } } } }, { sku: "b", statusCode, errors: [{ errorId: 25001, message: "A system error has occurred." }] }] }, 207);
    await expect(ebay(reply).readQuantities(["a", "b"])).rejects.toMatchObject({ name: "ChannelError", reason });
  });

  it("ebay: an entry without a statusCode says nothing either: the read throws unavailable", async () => {
    const reply = json({ responses: [{ sku: "a" }] }, 207);
    await expect(ebay(reply).readQuantities(["a"])).rejects.toMatchObject({ name: "ChannelError", reason: "unavailable" });
  });

  it("ebay: an entry refusing the SKU itself (400) is a definite answer: no listing, the other SKUs are read", async () => {
    const reply = json({ responses: [{ sku: "a", statusCode: 200, inventoryItem: { sku: "a", availability: { shipToLocationAvailability: { quantity: 2 } } } }, { sku: "b c", statusCode: 400, errors: [{ errorId: 25707, message: "This is an invalid value for a SKU." }] }] }, 207);
    expect([...(await ebay(reply).readQuantities(["a", "b c"])).entries()]).toEqual([["a", 2]]);
  });
});
