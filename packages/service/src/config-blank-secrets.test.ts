// A secret or credential that is only whitespace (an env file's `SECRET= `, a YAML `secret: " "`, a
// Kubernetes Secret holding a line break) is refused as an empty one is: an HMAC keyed with " " is no
// secret at all, and a blank token fails only later, at the marketplace or the server.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { channelSecretProblem, loadServiceConfig } from "./config.js";

const SHOPIFY = { SYNCLAG_CHANNELS: "shopify=https://myshop.myshopify.com", SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"accessToken":"shpat_x","apiVersion":"2025-01","locationId":"7"}' };
const BLANKS = ["", " ", "\t", "\n", " \r\n "];

describe("blank secrets", () => {
  it("refuses a notification secret that is empty or only whitespace, naming the variable it came from", () => {
    expect(problemsOf(() => loadServiceConfig({}, { ...SHOPIFY, SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "real" }))).toEqual([]);
    for (const blank of BLANKS) {
      const problems = problemsOf(() => loadServiceConfig({}, { ...SHOPIFY, SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: blank }));
      expect(problems, JSON.stringify(blank)).toContain('SYNCLAG_CHANNELS "shopify=https://myshop.myshopify.com" (notificationSecret, from SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET): must not be empty or only whitespace');
    }
  });

  it("refuses a blank notification secret in the config file", () => {
    const path = file("engine.yaml", 'channels:\n  - kind: shopify\n    baseUrl: https://myshop.myshopify.com\n    credentials: { accessToken: shpat_x, apiVersion: "2025-01", locationId: "7" }\n    notificationSecret: "  "\n');
    expect(problemsOf(() => loadServiceConfig({ config: path }, {}))).toContain("channels.0.notificationSecret: must not be empty or only whitespace");
  });

  it("refuses a blank credential (file or SYNCLAG_CHANNEL_<ID>_CREDENTIALS), naming where it came from", () => {
    for (const blank of BLANKS) {
      const problems = problemsOf(() => loadServiceConfig({}, { ...SHOPIFY, SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: JSON.stringify({ accessToken: blank, apiVersion: "2025-01", locationId: "7" }), SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "real" }));
      expect(problems, JSON.stringify(blank)).toContain('SYNCLAG_CHANNELS "shopify=https://myshop.myshopify.com" (credentials.accessToken, from SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS): must not be empty or only whitespace');
    }
    // A mock's too: a blank value would override the mock's credential with nothing.
    const path = file("engine.yaml", 'channels:\n  - kind: woocommerce\n    baseUrl: http://127.0.0.1:9004\n    credentials: { consumerKey: " " }\n');
    expect(problemsOf(() => loadServiceConfig({ config: path }, {}))).toContain("channels.0.credentials.consumerKey: must not be empty or only whitespace");
  });

  it("counts a blank secret as missing in a configuration built in code (EngineService.start's check)", () => {
    const entry = { kind: "shopify" as const, baseUrl: "https://myshop.myshopify.com", credentials: { accessToken: "shpat_x", apiVersion: "2025-01", locationId: " " }, notificationSecret: "\t" };
    expect(channelSecretProblem(entry, "channels.0 (shopify)", { host: "127.0.0.1" })).toMatch(/; missing credentials\.locationId and notificationSecret$/);
  });

  it("refuses a NATS token or user name that is only whitespace (as an empty one)", () => {
    for (const blank of [" ", "\t", "\n"]) {
      expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_NATS_TOKEN: blank })), JSON.stringify(blank)).toEqual([expect.stringMatching(/^SYNCLAG_NATS_TOKEN \(nats\.token\): must not be empty or only whitespace$/)]);
      expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_NATS_USER: blank, SYNCLAG_NATS_PASSWORD: "pw" })), JSON.stringify(blank)).toEqual([expect.stringMatching(/^SYNCLAG_NATS_USER \(nats\.user\): must not be empty or only whitespace$/)]);
    }
  });
});
