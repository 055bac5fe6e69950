import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./clients/http-channel-client.js";
import { createChannelClient } from "./create-channel-client.js";
import { ChannelError } from "./errors.js";

describe("createChannelClient", () => {
  it("refuses missing credentials at construction, naming them", () => {
    const make = () => createChannelClient({ kind: "amazon", baseUrl: "http://127.0.0.1:1", credentials: { sellerId: "S", marketplaceId: "", accessToken: "" } });
    expect(make).toThrow(ChannelError);
    expect(make).toThrow(/marketplaceId, accessToken/);
    try {
      make();
    } catch (error) {
      expect(error).toMatchObject({ name: "ChannelError", reason: "rejected", retryable: false });
    }
  });

  it("gives each API its batch size", async () => {
    const base = { baseUrl: "http://127.0.0.1:1" };
    const clients = [
      createChannelClient({ kind: "amazon", ...base, credentials: { sellerId: "S", marketplaceId: "M", accessToken: "T" } }),
      createChannelClient({ kind: "shopify", ...base, credentials: { accessToken: "T", apiVersion: "2025-01", locationId: "1" } }),
      createChannelClient({ kind: "shopify", ...base, api: "rest", credentials: { accessToken: "T", apiVersion: "2025-01", locationId: "1" } }),
      createChannelClient({ kind: "woocommerce", ...base, credentials: { consumerKey: "k", consumerSecret: "s" } }),
      createChannelClient({ kind: "flipkart", ...base, credentials: { appId: "a", appSecret: "s", locationId: "L" } }),
      createChannelClient({ kind: "ebay", ...base, credentials: { accessToken: "T" } }),
    ];
    expect(clients.map((c) => [c.channel, c.maxBatchSize])).toEqual([["amazon", 1], ["shopify", 250], ["shopify", 1], ["woocommerce", 100], ["flipkart", 10], ["ebay", 25]]);
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds, decimal seconds (Shopify's 2.0) and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3_000);
    expect(parseRetryAfter("0.5")).toBe(500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("2026-01-01T00:00:00Z"))).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
