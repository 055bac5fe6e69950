// The mocks' public notification secrets (in this repository) verify a mock's webhooks only: a channel on
// the mocks' public client credentials, behind an ingest no proxy publishes. A loopback base URL alone does
// not say "mock" — a tunnel, port-forward or egress sidecar to a real shop looks like loopback — and an
// ingest on loopback behind a TLS proxy (`ingest.publicUrl`, `ingest.trustForwardedHeaders`) takes webhooks
// from the internet. Found by review: a real shop's forged webhooks were verified with the public secret.
import { describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { OWN, problemsOf } from "./config-test-support.js";
import { REQUIRED_CREDENTIALS, channelSecretProblem, channelSecrets, isMockChannel, loadServiceConfig, serviceConfigSchema } from "./config.js";
import { EngineService } from "./engine-service.js";

/** Every public secret of the mocks: none may verify a channel that is not a mock. */
const MOCK_SECRETS = new Set(MARKETPLACE_KINDS.flatMap((kind) => Object.values(DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>).map(String)).filter((value) => /secret/i.test(value)));

/** Kinds whose notification secret is not one of the client's credentials (Flipkart signs with the app secret; eBay's keys are fetched). */
const SEPARATE_SECRET: readonly MarketplaceKind[] = ["amazon", "shopify", "woocommerce"];

const LOOPBACK = "http://127.0.0.1:15001";

describe("the mocks' public notification secret behind an ingest a proxy publishes", () => {
  it("refuses a loopback egress channel with its own shop credentials but no notification secret when the ingest has a publicUrl (the reviewer's case)", () => {
    const env = {
      SYNCLAG_CHANNELS: `shopify=${LOOPBACK}`,
      SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: JSON.stringify(OWN.shopify),
      SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com",
    };
    expect(problemsOf(() => loadServiceConfig({}, env))).toEqual([
      expect.stringMatching(/^SYNCLAG_CHANNELS "shopify=http:\/\/127\.0\.0\.1:15001": the ingest is reached through a proxy \(ingest\.publicUrl https:\/\/hooks\.example\.com\): give its credentials and notificationSecret .*SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET.*; missing notificationSecret$/),
    ]);
    // Given, it runs — on its own secret.
    const config = loadServiceConfig({}, { ...env, SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "real-app-secret" });
    expect(channelSecrets(config.channels[0]!, config.ingest).notificationSecret).toBe("real-app-secret");
  });

  it("refuses the same behind trusted forwarded headers (a proxy in front) — and a loopback channel given nothing at all", () => {
    const viaForwarded = problemsOf(() => loadServiceConfig({ channel: [`shopify=${LOOPBACK}`] }, { SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS: "true", SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: JSON.stringify(OWN.shopify) }));
    expect(viaForwarded).toEqual([expect.stringMatching(/^--channel "shopify=http:\/\/127\.0\.0\.1:15001": the ingest is reached through a proxy \(ingest\.trustForwardedHeaders\): .*; missing notificationSecret$/)]);
    // Nothing given: as behind an ingest off loopback, the mocks fill in nothing at all.
    const bare = problemsOf(() => loadServiceConfig({ channel: [`shopify=${LOOPBACK}`] }, { SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com" }));
    expect(bare).toEqual([expect.stringMatching(/; missing credentials\.accessToken, credentials\.apiVersion, credentials\.locationId and notificationSecret$/)]);
    expect(channelSecrets({ kind: "shopify", baseUrl: LOOPBACK }, { host: "127.0.0.1", publicUrl: "https://hooks.example.com" })).toEqual({ credentials: {}, notificationSecret: undefined });
    expect(channelSecrets({ kind: "shopify", baseUrl: LOOPBACK }, { host: "127.0.0.1", trustForwardedHeaders: true })).toEqual({ credentials: {}, notificationSecret: undefined });
  });

  it.each(MARKETPLACE_KINDS)("%s: a published ingest takes no mock secret, whatever the channel's credentials", (kind) => {
    for (const ingest of [{ SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com/synclag" }, { SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS: "true" }]) {
      const env = { ...ingest, SYNCLAG_CHANNELS: `${kind}=${LOOPBACK}`, [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_CREDENTIALS`]: JSON.stringify(OWN[kind]) };
      const problems = problemsOf(() => loadServiceConfig({}, env));
      if (SEPARATE_SECRET.includes(kind)) expect(problems, JSON.stringify(ingest)).toEqual([expect.stringMatching(/; missing notificationSecret$/)]);
      else expect(problems, JSON.stringify(ingest)).toEqual([]);
      const secret = problems.length === 0 ? channelSecrets(loadServiceConfig({}, env).channels[0]!, loadServiceConfig({}, env).ingest).notificationSecret : undefined;
      if (secret !== undefined) expect(MOCK_SECRETS.has(secret), secret).toBe(false);
      // Nothing given: every required credential is missing (the mocks' are public).
      const bare = problemsOf(() => loadServiceConfig({}, { ...ingest, SYNCLAG_CHANNELS: `${kind}=${LOOPBACK}` }));
      const missing = [...REQUIRED_CREDENTIALS[kind].map((key) => `credentials.${key}`), ...(SEPARATE_SECRET.includes(kind) ? ["notificationSecret"] : [])];
      expect(bare, JSON.stringify(ingest)).toEqual([expect.stringMatching(new RegExp(`; missing ${missing.slice(0, -1).join(", ")}${missing.length > 1 ? " and " : ""}${missing.at(-1) ?? ""}$`.replace(/\./g, "\\.")))]);
    }
  });

  it("checks a configuration built in code the same way (EngineService.start's check): the ingest's publicUrl and trustForwardedHeaders count", () => {
    const entry = { kind: "shopify" as const, baseUrl: LOOPBACK, credentials: { ...OWN.shopify } };
    expect(channelSecretProblem(entry, "channels.0 (shopify)", { host: "127.0.0.1", publicUrl: "https://hooks.example.com", trustForwardedHeaders: false })).toMatch(/^channels\.0 \(shopify\): the ingest is reached through a proxy .*; missing notificationSecret$/);
    expect(channelSecretProblem(entry, "channels.0 (shopify)", { host: "127.0.0.1", trustForwardedHeaders: true })).toMatch(/missing notificationSecret$/);
  });

  it("EngineService.start refuses such a configuration built in code before connecting to anything", async () => {
    const config = serviceConfigSchema.parse({ logLevel: "silent", natsUrl: "nats://127.0.0.1:1", redisUrl: "redis://127.0.0.1:1", ingest: { publicUrl: "https://hooks.example.com" }, channels: [{ kind: "shopify", baseUrl: LOOPBACK, credentials: { ...OWN.shopify } }] });
    await expect(EngineService.start({ config })).rejects.toMatchObject({ reason: "config", problems: [expect.stringMatching(/^channels\.0 \(shopify\): the ingest is reached through a proxy .*; missing notificationSecret$/)] });
  });
});

describe("the mocks' public notification secret for a loopback channel on credentials of its own", () => {
  it.each(MARKETPLACE_KINDS)("%s: behind an ingest on loopback too, its notification secret must be its own (the loopback URL may be a tunnel to the real shop)", (kind) => {
    const env = { SYNCLAG_CHANNELS: `${kind}=${LOOPBACK}`, [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_CREDENTIALS`]: JSON.stringify(OWN[kind]) };
    const problems = problemsOf(() => loadServiceConfig({}, env));
    if (SEPARATE_SECRET.includes(kind)) {
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^SYNCLAG_CHANNELS "${kind}=http://127\\.0\\.0\\.1:15001": it runs on credentials of its own, not the mocks'.*; missing notificationSecret$`))]);
      // channelSecrets (what the service would start with) never hands it the mocks' secret.
      const secrets = channelSecrets({ kind, baseUrl: LOOPBACK, credentials: { ...OWN[kind] } }, { host: "127.0.0.1" });
      expect(secrets.notificationSecret).toBeUndefined();
      for (const value of Object.values(secrets.credentials)) expect(MOCK_SECRETS.has(value), value).toBe(false);
    } else {
      // Flipkart's secret is its own app secret; eBay's keys come from the shop's own Notification API.
      expect(problems).toEqual([]);
      const config = loadServiceConfig({}, env);
      const secret = channelSecrets(config.channels[0]!, config.ingest).notificationSecret;
      expect(secret).toBe(kind === "flipkart" ? OWN.flipkart.appSecret : undefined);
    }
  });

  it("Flipkart with its own app id but no app secret: the mocks' app secret would verify its notifications — refused, naming credentials.appSecret", () => {
    const problems = problemsOf(() => loadServiceConfig({}, { SYNCLAG_CHANNELS: `flipkart=${LOOPBACK}`, SYNCLAG_CHANNEL_FLIPKART_CREDENTIALS: '{"appId":"live-app"}' }));
    expect(problems).toEqual([expect.stringMatching(/it runs on credentials of its own, not the mocks'.*SYNCLAG_CHANNEL_FLIPKART_CREDENTIALS.*; missing credentials\.appSecret$/)]);
    expect(channelSecrets({ kind: "flipkart", baseUrl: LOOPBACK, credentials: { appId: "live-app" } }, { host: "127.0.0.1" }).notificationSecret).toBeUndefined();
  });

  it("WooCommerce with only one of the pair its own: not a mock, so no mock webhook secret", () => {
    const problems = problemsOf(() => loadServiceConfig({}, { SYNCLAG_CHANNELS: `woocommerce=${LOOPBACK}`, SYNCLAG_CHANNEL_WOOCOMMERCE_CREDENTIALS: '{"consumerKey":"ck_live_1"}' }));
    expect(problems).toEqual([expect.stringMatching(/; missing notificationSecret$/)]);
  });

  it("its own notification secret given (file or environment): accepted, and that is the secret used", () => {
    for (const kind of SEPARATE_SECRET) {
      const config = loadServiceConfig({}, { SYNCLAG_CHANNELS: `${kind}=${LOOPBACK}`, [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_CREDENTIALS`]: JSON.stringify(OWN[kind]), [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_NOTIFICATION_SECRET`]: `${kind}-own-secret` });
      expect(channelSecrets(config.channels[0]!, config.ingest).notificationSecret).toBe(`${kind}-own-secret`);
    }
  });
});

describe("the mocks keep their test secrets (synclag run, the tests, the benchmarks)", () => {
  it.each(MARKETPLACE_KINDS)("%s: a loopback channel on the mocks' credentials behind an ingest on loopback with no proxy gets the mocks' secret", (kind) => {
    for (const given of [{}, { ...(DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>) }]) {
      const credentials = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, String(v)]));
      const config = loadServiceConfig({ channel: [`${kind}=${LOOPBACK}`] }, Object.keys(credentials).length === 0 ? {} : { [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_CREDENTIALS`]: JSON.stringify(credentials) });
      const secrets = channelSecrets(config.channels[0]!, config.ingest);
      expect(isMockChannel(config.channels[0]!, secrets.credentials)).toBe(true);
      const mock = DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number | undefined>;
      const expected = { amazon: mock.notificationSecret, shopify: mock.webhookSecret, woocommerce: mock.webhookSecret, flipkart: mock.appSecret, ebay: undefined }[kind];
      expect(secrets.notificationSecret).toBe(expected);
    }
  });
});
