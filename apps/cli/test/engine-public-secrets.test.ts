// `synclag engine` refuses the mocks' public test secret (in this repository) written out as a real shop's
// notification secret: exit 2 with the usual one readable message, naming the channel and the field and
// where it came from — never the secret. (The rule itself: packages/service/src/config-public-secrets.test.ts.)
import { describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { LONG, expectUsageError, runCli } from "./support.js";

describe("engine: the mocks' public secrets for a channel that is no mock", LONG, () => {
  it("exits 2 naming the channel and the field, without printing the secret", () => {
    const secret = DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret;
    const result = runCli(["engine", "--channel", "shopify=https://myshop.myshopify.com"], {
      env: { SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: JSON.stringify({ accessToken: "shpat_REAL", apiVersion: "2025-01", locationId: "7" }), SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: secret },
    });
    expectUsageError(result, "engine");
    expect(result.stderr).toContain('--channel "shopify=https://myshop.myshopify.com": notificationSecret (from SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET) is a mock marketplace\'s public test secret');
    expect(result.stderr).not.toContain(secret);
  });
});
