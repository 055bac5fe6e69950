// The Flipkart client against scripted replies: when a cached FSN (SKU → product_id) is dropped.

import { describe, expect, it } from "vitest";
import { jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpRequest } from "../transport.js";
import { FlipkartChannelClient } from "./flipkart-channel-client.js";

const TOKEN = json({ access_token: "t", token_type: "bearer", expires_in: 3600 });
const listing = (sku: string, fsn: string) => json({ available: { [sku]: { product_id: fsn, locations: [{ id: "LOC1", status: "ENABLED", inventory: 1 }] } }, invalid: [] });
const skuResult = (sku: string, status: string, code?: string) => json({ [sku]: { status, errors: code ? [{ severity: "ERROR", code, description: `${code} for ${sku}` }] : [], attribute_errors: [] } });
const productIdOf = (request: HttpRequest | undefined, sku: string) => (JSON.parse(request?.body ?? "{}") as Record<string, { product_id: string }>)[sku]?.product_id;

describe("a cached FSN that no longer belongs to the SKU is dropped and looked up again", () => {
  it("INVALID_PRODUCT_ID (the listing was re-created under another FSN) is unavailable; the next push reads the listing again", async () => {
    const t = scripted(TOKEN, listing("a", "FSNOLD"), skuResult("a", "FAILURE", "INVALID_PRODUCT_ID"), listing("a", "FSNNEW"), skuResult("a", "SUCCESS"));
    const flipkart = new FlipkartChannelClient({ baseUrl: "http://flipkart.invalid", credentials: { appId: "app", appSecret: "secret", locationId: "LOC1" }, transport: t });
    expect((await flipkart.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect(await flipkart.setQuantities([{ sku: "a", quantity: 5, version: 3 }])).toEqual([{ ok: true }]);
    expect(t.sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      "GET /oauth-service/oauth/token",
      "GET /sellers/listings/v3/a",
      "POST /sellers/listings/v3/update/inventory",
      "GET /sellers/listings/v3/a",
      "POST /sellers/listings/v3/update/inventory",
    ]);
    expect([productIdOf(t.sent[2], "a"), productIdOf(t.sent[4], "a")]).toEqual(["FSNOLD", "FSNNEW"]);
  });

  it("other per-SKU failures stay rejections and keep the FSN", async () => {
    const t = scripted(TOKEN, listing("a", "FSN1"), skuResult("a", "FAILURE", "INVALID_LOCATION"));
    const flipkart = new FlipkartChannelClient({ baseUrl: "http://flipkart.invalid", credentials: { appId: "app", appSecret: "secret", locationId: "LOC1" }, transport: t });
    expect((await flipkart.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["rejected"]);
    await flipkart.setQuantities([{ sku: "a", quantity: 5, version: 3 }]);
    expect(t.sent.map((r) => r.method)).toEqual(["GET", "GET", "POST", "POST"]);
  });
});
