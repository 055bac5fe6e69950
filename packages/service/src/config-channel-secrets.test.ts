// Channel secrets: the mocks' test credentials (public, in this repository) are used only for mocks on
// loopback; a channel anywhere else without its own secrets is a configuration error listed with the
// others; --channel / SYNCLAG_CHANNELS choose the channels and keep the file's settings per channel id;
// per-channel secrets can come from the environment.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { createChannelClient, type ChannelClientConfig } from "@synclag/channels";
import { MARKETPLACE_KINDS } from "@synclag/marketplaces";
import { REQUIRED_CREDENTIALS, channelSecrets, loadServiceConfig } from "./config.js";

const REAL_SHOPIFY = "channels:\n  - kind: shopify\n    baseUrl: https://myshop.myshopify.com\n    credentials: { accessToken: shpat_REAL, apiVersion: '2025-01', locationId: '7' }\n    notificationSecret: real-app-secret\n    policy: { bufferUnits: 2 }\n";

describe("channel secrets", () => {
  it("refuses a channel on a real marketplace without its own secrets: the repository's public mock secrets would let anyone forge its webhooks", () => {
    const problems = problemsOf(() => loadServiceConfig({ channel: ["shopify=https://myshop.myshopify.com", "amazon=http://127.0.0.1:9001"] }, {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": not a mock on loopback: give its credentials and notificationSecret in the --config file or in SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS \(a JSON object\) and SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET .*; missing credentials\.accessToken, credentials\.apiVersion, credentials\.locationId and notificationSecret$/);
    // The same from SYNCLAG_CHANNELS, listed with every other problem.
    const env = problemsOf(() => loadServiceConfig({ port: "abc" }, { SYNCLAG_CHANNELS: "shop:shopify=https://myshop.myshopify.com" }));
    expect(env.some((p) => p.startsWith("--port"))).toBe(true);
    expect(env.some((p) => p.startsWith('SYNCLAG_CHANNELS "shop:shopify=https://myshop.myshopify.com": not a mock on loopback') && p.includes("SYNCLAG_CHANNEL_SHOP_CREDENTIALS"))).toBe(true);
  });

  it("names each missing credential of a real channel, and never fills one in from the mocks", () => {
    const path = file("partial.yaml", "channels:\n  - kind: shopify\n    baseUrl: https://myshop.myshopify.com\n    credentials: { accessToken: shpat_REAL }\n");
    const problems = problemsOf(() => loadServiceConfig({ config: path }, {}));
    expect(problems).toEqual([expect.stringMatching(/^channels\.0 \(shopify\): .*missing credentials\.apiVersion, credentials\.locationId and notificationSecret/)]);
    // channelSecrets (what the service starts with) has no mock value for a real channel either.
    const secrets = channelSecrets({ kind: "shopify", baseUrl: "https://myshop.myshopify.com", credentials: { accessToken: "shpat_REAL" } }, { host: "127.0.0.1" });
    expect(secrets.notificationSecret).toBeUndefined();
    expect(Object.values(secrets.credentials)).not.toContain(DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret);
    expect(secrets.credentials).toEqual({ accessToken: "shpat_REAL" });
  });

  it("still gives a mock on loopback the mocks' test credentials", () => {
    for (const baseUrl of ["http://127.0.0.1:9002", "http://localhost:9002/shopify", "http://[::1]:9002"]) {
      const config = loadServiceConfig({ channel: [`shopify=${baseUrl}`] }, {});
      expect(channelSecrets(config.channels[0]!, config.ingest).notificationSecret, baseUrl).toBe(DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret);
    }
  });

  it("uses the mocks' secrets for a loopback base URL only while the ingest listens on loopback too (public ingest: the loopback URL may be a tunnel to a real shop)", () => {
    // An ingest on every interface takes webhooks from anyone: a loopback base URL (an SSH tunnel, a
    // kubectl port-forward to the real shop) must not make it verify them with the public mock secret.
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "hooks.example.com"]) {
      const viaFlag = problemsOf(() => loadServiceConfig({ host, channel: ["shopify=http://127.0.0.1:15001"] }, {}));
      expect(viaFlag, host).toEqual([expect.stringMatching(/^--channel "shopify=http:\/\/127\.0\.0\.1:15001": the ingest listens on .* not on loopback: give its credentials and notificationSecret .*; missing credentials\.accessToken, .* and notificationSecret$/)]);
    }
    const viaEnv = problemsOf(() => loadServiceConfig({}, { SYNCLAG_INGEST_HOST: "0.0.0.0", SYNCLAG_CHANNELS: "woocommerce=http://localhost:15004" }));
    expect(viaEnv.join("\n")).toMatch(/SYNCLAG_CHANNELS "woocommerce=http:\/\/localhost:15004": the ingest listens on 0\.0\.0\.0/);
    expect(channelSecrets({ kind: "shopify", baseUrl: "http://127.0.0.1:15001" }, { host: "0.0.0.0" }).notificationSecret).toBeUndefined();
    // Its own secrets given: fine on any interface.
    const own = loadServiceConfig({ host: "0.0.0.0", channel: ["shopify=http://127.0.0.1:15001"] }, { SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"accessToken":"a","apiVersion":"2025-01","locationId":"1"}', SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "own-secret" });
    expect(channelSecrets(own.channels[0]!, own.ingest).notificationSecret).toBe("own-secret");
    // On loopback (the default host, or given): the mocks' secrets as before.
    for (const host of [undefined, "127.0.0.1", "localhost", "::1", "[::1]"]) {
      const config = loadServiceConfig({ ...(host === undefined ? {} : { host }), channel: ["shopify=http://127.0.0.1:15001"] }, {});
      expect(channelSecrets(config.channels[0]!, config.ingest).notificationSecret, String(host)).toBe(DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret);
    }
  });

  it("takes an eBay channel's secrets as its API token only (its notification keys are fetched by key id)", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_CHANNELS: "ebay=https://api.ebay.com", SYNCLAG_CHANNEL_EBAY_CREDENTIALS: '{"accessToken":"v^1.1#real"}' }))).toEqual([]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_CHANNELS: "ebay=https://api.ebay.com" }))).toEqual([expect.stringMatching(/missing credentials\.accessToken$/)]);
  });

  it("--channel keeps the file's settings for the same channel id (the flag's base URL wins) — it does not drop its secrets", () => {
    const path = file("engine.yaml", REAL_SHOPIFY);
    const config = loadServiceConfig({ config: path, channel: ["shopify=https://other.myshopify.com"] }, {});
    expect(config.channels).toEqual([
      { kind: "shopify", baseUrl: "https://other.myshopify.com", credentials: { accessToken: "shpat_REAL", apiVersion: "2025-01", locationId: "7" }, notificationSecret: "real-app-secret", policy: { bufferUnits: 2 } },
    ]);
    // SYNCLAG_CHANNELS the same way; a channel id the file does not have is added as typed.
    const fromEnv = loadServiceConfig({ config: path }, { SYNCLAG_CHANNELS: "shopify=https://myshop.myshopify.com,amazon=http://127.0.0.1:9001" });
    expect(fromEnv.channels.map((c) => [c.kind, c.notificationSecret ?? null])).toEqual([["shopify", "real-app-secret"], ["amazon", null]]);
  });

  it("names a merged channel's schema problem by the --channel entry and the file entry it was merged with (merge by id), not by its place in the merged list", () => {
    const path = file("engine.yaml", "channels:\n  - kind: amazon\n    baseUrl: http://127.0.0.1:9001\n    policy: { bufferUnits: -1 }\n  - kind: shopify\n    baseUrl: http://127.0.0.1:9002\n");
    const problems = problemsOf(() => loadServiceConfig({ config: path, channel: ["shopify=http://127.0.0.1:9102", "amazon=http://127.0.0.1:9101"] }, {}));
    expect(problems).toEqual([expect.stringMatching(/^--channel "amazon=http:\/\/127\.0\.0\.1:9101" with channels\.0 of .*engine\.yaml \(policy\.bufferUnits\): /)]);
    // A problem of the flag's own value names the flag alone.
    const own = problemsOf(() => loadServiceConfig({ channel: ["amazon=ftp://127.0.0.1:9101"] }, {}));
    expect(own).toEqual([expect.stringMatching(/^--channel "amazon=ftp:\/\/127\.0\.0\.1:9101" \(baseUrl\): must be a http/)]);
  });

  it("refuses a --channel whose kind differs from the file's channel of the same id", () => {
    const path = file("engine.yaml", REAL_SHOPIFY);
    expect(problemsOf(() => loadServiceConfig({ config: path, channel: ["shopify:woocommerce=http://127.0.0.1:9004"] }, {}))).toEqual([
      expect.stringMatching(/^--channel "shopify:woocommerce=http:\/\/127\.0\.0\.1:9004": channel shopify is a shopify channel in .*engine\.yaml, not woocommerce/),
    ]);
  });

  it("takes a channel's secrets from SYNCLAG_CHANNEL_<ID>_CREDENTIALS (JSON) and _NOTIFICATION_SECRET, over the file's", () => {
    const path = file("engine.yaml", REAL_SHOPIFY);
    const config = loadServiceConfig({ config: path }, { SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "rotated", SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"accessToken":"shpat_NEW"}' });
    expect(config.channels[0]).toMatchObject({ credentials: { accessToken: "shpat_NEW", apiVersion: "2025-01", locationId: "7" }, notificationSecret: "rotated" });
    const bad = problemsOf(() => loadServiceConfig({ config: path }, { SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"accessToken": shpat_LEAK}' }));
    expect(bad).toEqual(["SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: must be a JSON object of strings, e.g. {\"accessToken\":\"…\"}"]);
    expect(problemsOf(() => loadServiceConfig({ config: path }, { SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"locationId": 7}' }))).toEqual(["SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: must be a JSON object of strings, e.g. {\"accessToken\":\"…\"}"]);
  });

  it("asks for exactly the credentials each channel client needs (@synclag/channels' own list)", async () => {
    const build = (kind: string, credentials: Record<string, string>) => createChannelClient({ kind, channel: kind, baseUrl: "https://seller.example", credentials } as unknown as ChannelClientConfig);
    for (const kind of MARKETPLACE_KINDS) {
      const all = Object.fromEntries(REQUIRED_CREDENTIALS[kind].map((key) => [key, "x"]));
      await build(kind, all).close();
      for (const key of REQUIRED_CREDENTIALS[kind]) {
        const { [key]: _left, ...rest } = all;
        expect(() => build(kind, rest), `${kind} without ${key}`).toThrow(new RegExp(`missing credential\\(s\\) ${key}`));
      }
    }
  });
});
