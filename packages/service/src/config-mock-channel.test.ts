// Which channels get the stand-in `X-Synclag-Version` header: synclag's mocks only — a base URL on
// loopback *and* the mocks' public test credentials (which no real shop accepts). A loopback address alone
// may be a tunnel, port-forward or egress sidecar to a real shop running on its own credentials.
import { describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { MARKETPLACE_KINDS } from "@synclag/marketplaces";
import { channelSecrets, isMockChannel } from "./config.js";

describe("isMockChannel", () => {
  it.each(MARKETPLACE_KINDS)("%s: a loopback channel on the mocks' credentials (filled in as `synclag run` has them) is a mock", (kind) => {
    for (const baseUrl of ["http://127.0.0.1:9101", "http://localhost:9101/shop", "http://[::1]:9101"]) {
      const { credentials } = channelSecrets({ kind, baseUrl }, { host: "127.0.0.1" });
      expect(isMockChannel({ kind, baseUrl }, credentials), baseUrl).toBe(true);
    }
  });

  it("the mocks' credentials elsewhere than on loopback: not a mock the engine may assume (another container numbers its own versions)", () => {
    const woo = DEFAULT_MOCK_CREDENTIALS.woocommerce;
    expect(isMockChannel({ kind: "woocommerce", baseUrl: "http://10.0.0.5:9103" }, { consumerKey: woo.consumerKey, consumerSecret: woo.consumerSecret })).toBe(false);
  });

  it("a loopback channel on credentials of its own (a tunnel to a real shop) is not a mock", () => {
    const baseUrl = "http://127.0.0.1:8443";
    const cases = [
      { kind: "woocommerce", credentials: { consumerKey: "ck_live_1", consumerSecret: "cs_live_1" } },
      // One of the pair is the shop's own: still not the mocks' credentials.
      { kind: "woocommerce", credentials: { consumerKey: DEFAULT_MOCK_CREDENTIALS.woocommerce.consumerKey, consumerSecret: "cs_live_1" } },
      { kind: "shopify", credentials: { accessToken: "shpat_live", apiVersion: "2025-01", locationId: "1" } },
      { kind: "amazon", credentials: { sellerId: "A2SYNCLAGMOCK", marketplaceId: "ATVPDKIKX0DER", accessToken: "Atza|live" } },
      { kind: "flipkart", credentials: { appId: "live-app", appSecret: "live-secret", locationId: "LOC1" } },
      { kind: "ebay", credentials: { accessToken: "v^1.1#live" } },
    ] as const;
    for (const { kind, credentials } of cases) {
      // As the service resolves them: the mocks' values fill in only what is not given.
      const resolved = channelSecrets({ kind, baseUrl, credentials }, { host: "127.0.0.1" }).credentials;
      expect(isMockChannel({ kind, baseUrl }, resolved), JSON.stringify(credentials)).toBe(false);
    }
  });
});
