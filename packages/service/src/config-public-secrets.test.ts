// The mocks' test secrets and client credentials are public (packages/mock-marketplaces, in this
// repository). Filled in, they serve a mock only; written out by hand — copied from the docs or a test — as
// the secret of a channel that is no mock (a real shop's URL, a loopback tunnel to one, an ingest the
// network reaches), they were accepted, and anyone could forge that shop's order webhooks with them (found
// by review). Such a configuration is refused at start, naming the channel and the field, never the value.
import { describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";
import { MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { OWN, file, problemsOf } from "./config-test-support.js";
import { channelSecretProblem, channelSecrets, loadServiceConfig, serviceConfigSchema } from "./config.js";
import { EngineService } from "./engine-service.js";

const m = DEFAULT_MOCK_CREDENTIALS;

/** Every value of the mocks' that authenticates a client or verifies a webhook: none may appear in a problem. */
const PUBLIC_VALUES = [m.amazon.accessToken, m.amazon.notificationSecret, m.shopify.accessToken, m.shopify.webhookSecret, m.woocommerce.consumerKey, m.woocommerce.consumerSecret, m.woocommerce.webhookSecret, m.flipkart.appId, m.flipkart.appSecret, m.ebay.accessToken];

/** The mock's own notification secret of each kind that has one (Flipkart's is its app secret, among the credentials; eBay has none). */
const MOCK_NOTIFICATION_SECRET = { amazon: m.amazon.notificationSecret, shopify: m.shopify.webhookSecret, woocommerce: m.woocommerce.webhookSecret } as const;

const REAL_URL: { readonly [K in MarketplaceKind]: string } = {
  amazon: "https://sellingpartnerapi-na.amazon.com",
  shopify: "https://myshop.myshopify.com",
  woocommerce: "https://shop.example.com",
  flipkart: "https://api.flipkart.net/sellers",
  ebay: "https://api.ebay.com",
};

/** A loopback base URL: a mock, or a tunnel / port-forward / egress sidecar to a real shop. */
const LOOPBACK = "http://127.0.0.1:15001";

const env = (kind: string, values: { credentials?: Record<string, string>; secret?: string }) => ({
  ...(values.credentials === undefined ? {} : { [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_CREDENTIALS`]: JSON.stringify(values.credentials) }),
  ...(values.secret === undefined ? {} : { [`SYNCLAG_CHANNEL_${kind.toUpperCase()}_NOTIFICATION_SECRET`]: values.secret }),
});

function expectNoSecretIn(problems: readonly string[]): void {
  for (const value of PUBLIC_VALUES) expect(problems.join("\n"), "a problem printed a secret").not.toContain(value);
}

describe("the mocks' public secrets written out for a channel that is no mock", () => {
  it.each(Object.keys(MOCK_NOTIFICATION_SECRET) as (keyof typeof MOCK_NOTIFICATION_SECRET)[])("%s: refuses the mock's notification secret for a real shop's URL, naming the channel, the field and where it came from", (kind) => {
    const secret = MOCK_NOTIFICATION_SECRET[kind];
    const viaEnv = problemsOf(() => loadServiceConfig({ channel: [`${kind}=${REAL_URL[kind]}`] }, env(kind, { credentials: OWN[kind], secret })));
    expect(viaEnv).toEqual([
      expect.stringMatching(new RegExp(`^--channel "${kind}=${REAL_URL[kind].replace(/[./]/g, "\\$&")}": notificationSecret \\(from SYNCLAG_CHANNEL_${kind.toUpperCase()}_NOTIFICATION_SECRET\\) is a mock marketplace's public test secret .*anyone could sign this channel's webhooks with it.*its base URL is not on loopback.*SYNCLAG_CHANNEL_${kind.toUpperCase()}_NOTIFICATION_SECRET`)),
    ]);
    expectNoSecretIn(viaEnv);
    // The same from the config file, listed with every other problem.
    const path = file("engine.json", JSON.stringify({ channels: [{ kind, baseUrl: REAL_URL[kind], credentials: OWN[kind], notificationSecret: secret }] }));
    const fromFile = problemsOf(() => loadServiceConfig({ config: path, port: "abc" }, {}));
    expect(fromFile).toHaveLength(2);
    expect(fromFile.some((p) => p.startsWith("--port"))).toBe(true);
    expect(fromFile).toContainEqual(expect.stringMatching(new RegExp(`^channels\\.0 \\(${kind}\\): notificationSecret is a mock marketplace's public test secret`)));
    expectNoSecretIn(fromFile);
    // Its own secret: runs.
    expect(problemsOf(() => loadServiceConfig({ channel: [`${kind}=${REAL_URL[kind]}`] }, env(kind, { credentials: OWN[kind], secret: "the-shops-own-secret" })))).toEqual([]);
  });

  it("refuses any mock's public value as the secret, not only the same kind's (each is as public as the other)", () => {
    for (const secret of [m.woocommerce.webhookSecret, m.flipkart.appSecret, m.amazon.notificationSecret, m.ebay.accessToken]) {
      const problems = problemsOf(() => loadServiceConfig({ channel: [`shopify=${REAL_URL.shopify}`] }, env("shopify", { credentials: OWN.shopify, secret })));
      expect(problems, secret).toEqual([expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": notificationSecret \(from SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET\) is a mock marketplace's public test secret/)]);
    }
  });

  it("refuses the mock's secret given among the credentials where it is what verifies the webhooks (Shopify's webhookSecret, Flipkart's appSecret)", () => {
    const shopify = problemsOf(() => loadServiceConfig({ channel: [`shopify=${REAL_URL.shopify}`] }, env("shopify", { credentials: { ...OWN.shopify, webhookSecret: m.shopify.webhookSecret } })));
    expect(shopify).toEqual([expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": credentials\.webhookSecret \(from SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS\) is a mock marketplace's public test secret .*SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS \(a JSON object\)/)]);
    const flipkart = problemsOf(() => loadServiceConfig({ channel: [`flipkart=${REAL_URL.flipkart}`] }, env("flipkart", { credentials: { ...OWN.flipkart, appSecret: m.flipkart.appSecret } })));
    // Named once, as the webhook secret it is (not once more as a client credential).
    expect(flipkart).toEqual([expect.stringMatching(/^--channel "flipkart=https:\/\/api\.flipkart\.net\/sellers": credentials\.appSecret \(from SYNCLAG_CHANNEL_FLIPKART_CREDENTIALS\) is a mock marketplace's public test secret/)]);
    expectNoSecretIn([...shopify, ...flipkart]);
  });

  it("refuses it for a loopback channel on credentials of its own (a tunnel to a real shop), naming why it is no mock", () => {
    const shopify = problemsOf(() => loadServiceConfig({ channel: [`shopify=${LOOPBACK}`] }, env("shopify", { credentials: OWN.shopify, secret: m.shopify.webhookSecret })));
    expect(shopify).toEqual([expect.stringMatching(/^--channel "shopify=http:\/\/127\.0\.0\.1:15001": notificationSecret \(from SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET\) is a mock marketplace's public test secret .*it runs on credentials of its own, not the mocks'/)]);
    // Flipkart on its own app id with the mock's app secret: the secret that would verify its webhooks is public.
    const flipkart = problemsOf(() => loadServiceConfig({ channel: [`flipkart=${LOOPBACK}`] }, env("flipkart", { credentials: { appId: "live-app", appSecret: m.flipkart.appSecret, locationId: "LOC1" } })));
    expect(flipkart).toEqual([expect.stringMatching(/^--channel "flipkart=http:\/\/127\.0\.0\.1:15001": credentials\.appSecret \(from SYNCLAG_CHANNEL_FLIPKART_CREDENTIALS\) is a mock marketplace's public test secret .*it runs on credentials of its own/)]);
  });

  it("refuses it behind an ingest the network reaches (off loopback, or published by a proxy), even on the mocks' credentials", () => {
    const mockShopify = { accessToken: m.shopify.accessToken, apiVersion: "2025-01", locationId: "1" };
    for (const [flags, variables, why] of [
      [{ host: "0.0.0.0" }, {}, /the ingest listens on 0\.0\.0\.0, not on loopback/],
      [{}, { SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com" }, /the ingest is reached through a proxy \(ingest\.publicUrl https:\/\/hooks\.example\.com\)/],
      [{}, { SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS: "true" }, /the ingest is reached through a proxy \(ingest\.trustForwardedHeaders\)/],
    ] as const) {
      const problems = problemsOf(() => loadServiceConfig({ ...flags, channel: [`shopify=${LOOPBACK}`] }, { ...variables, ...env("shopify", { credentials: mockShopify, secret: m.shopify.webhookSecret }) }));
      expect(problems, why.source).toHaveLength(2);
      expect(problems[0], why.source).toMatch(/^--channel "shopify=http:\/\/127\.0\.0\.1:15001": notificationSecret \(from SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET\) is a mock marketplace's public test secret/);
      expect(problems[0], why.source).toMatch(why);
      expect(problems[1], why.source).toMatch(/^--channel "shopify=http:\/\/127\.0\.0\.1:15001": credentials\.accessToken \(from SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS\) is a mock marketplace's public test credential/);
      expectNoSecretIn(problems);
    }
  });

  it("refuses the mocks' client credentials for a channel the mocks' values never fill in (no real shop accepts them; the mocks there cannot be told from one)", () => {
    const shopify = problemsOf(() => loadServiceConfig({ channel: [`shopify=${REAL_URL.shopify}`] }, env("shopify", { credentials: { ...OWN.shopify, accessToken: m.shopify.accessToken }, secret: "own-secret" })));
    expect(shopify).toEqual([expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": credentials\.accessToken \(from SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS\) is a mock marketplace's public test credential, and this channel is no mock — its base URL is not on loopback: .*SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS \(a JSON object\)$/)]);
    // Several of one channel in one problem; from the file, named by the file's entry.
    const path = file("engine.yaml", `channels:\n  - id: shop\n    kind: woocommerce\n    baseUrl: ${REAL_URL.woocommerce}\n    credentials: { consumerKey: ${m.woocommerce.consumerKey}, consumerSecret: ${m.woocommerce.consumerSecret} }\n    notificationSecret: own-secret\n`);
    const woo = problemsOf(() => loadServiceConfig({ config: path }, {}));
    expect(woo).toEqual([expect.stringMatching(/^channels\.0 \(shop\): credentials\.consumerKey and credentials\.consumerSecret are the mock marketplaces' public test credentials, .*SYNCLAG_CHANNEL_SHOP_CREDENTIALS \(a JSON object\)$/)]);
    // eBay: its token is what its notification keys are fetched with.
    const ebay = problemsOf(() => loadServiceConfig({ channel: [`ebay=${REAL_URL.ebay}`] }, env("ebay", { credentials: { accessToken: m.ebay.accessToken } })));
    expect(ebay).toEqual([expect.stringMatching(/^--channel "ebay=https:\/\/api\.ebay\.com": credentials\.accessToken \(from SYNCLAG_CHANNEL_EBAY_CREDENTIALS\) is a mock marketplace's public test credential/)]);
    expectNoSecretIn([...shopify, ...woo, ...ebay]);
  });

  it("takes one of the mocks' client credentials beside the shop's own on loopback behind a private ingest, where the mocks fill in what is not given anyway — but not the mocks' notification secret", () => {
    const credentials = { consumerKey: m.woocommerce.consumerKey, consumerSecret: "cs_live_1" };
    expect(problemsOf(() => loadServiceConfig({ channel: [`woocommerce=${LOOPBACK}`] }, env("woocommerce", { credentials, secret: "own-secret" })))).toEqual([]);
    expect(problemsOf(() => loadServiceConfig({ channel: [`woocommerce=${LOOPBACK}`] }, env("woocommerce", { credentials, secret: m.woocommerce.webhookSecret })))).toEqual([expect.stringMatching(/notificationSecret \(from SYNCLAG_CHANNEL_WOOCOMMERCE_NOTIFICATION_SECRET\) is a mock marketplace's public test secret/)]);
  });

  it("compares exactly (an HMAC key or token is its exact text): a secret of the shop's own that merely contains a mock's is the shop's", () => {
    for (const secret of [`${m.shopify.webhookSecret}-prod-7f3a9c`, `live-${m.shopify.webhookSecret}`]) {
      expect(problemsOf(() => loadServiceConfig({ channel: [`shopify=${REAL_URL.shopify}`] }, env("shopify", { credentials: OWN.shopify, secret }))), secret).toEqual([]);
    }
  });

  it("lists these with a channel's missing secrets, and with other channels' problems", () => {
    const problems = problemsOf(() =>
      loadServiceConfig({ channel: [`shopify=${REAL_URL.shopify}`, `amazon=${REAL_URL.amazon}`] }, { ...env("shopify", { credentials: { accessToken: m.shopify.accessToken }, secret: m.shopify.webhookSecret }), ...env("amazon", { credentials: OWN.amazon, secret: m.amazon.notificationSecret }) }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": not a mock on loopback: .*; missing credentials\.apiVersion and credentials\.locationId$/),
      expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": notificationSecret .* is a mock marketplace's public test secret/),
      expect.stringMatching(/^--channel "shopify=https:\/\/myshop\.myshopify\.com": credentials\.accessToken .* is a mock marketplace's public test credential/),
      expect.stringMatching(/^--channel "amazon=https:\/\/sellingpartnerapi-na\.amazon\.com": notificationSecret .* is a mock marketplace's public test secret/),
    ]);
    expectNoSecretIn(problems);
  });
});

describe("a mock keeps working exactly as before", () => {
  it.each(MARKETPLACE_KINDS)("%s: on loopback behind a private ingest, with the mocks' secrets filled in or written out", (kind) => {
    for (const baseUrl of ["http://127.0.0.1:9101", "http://localhost:9101/shop", "http://[::1]:9101"]) {
      // Filled in.
      const filled = loadServiceConfig({ channel: [`${kind}=${baseUrl}`] }, {});
      const expected = channelSecrets(filled.channels[0]!, filled.ingest);
      // Written out: every credential of the mock's and its notification secret, as copied from the docs.
      const mock = Object.fromEntries(Object.entries(DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>).map(([k, v]) => [k, String(v)]));
      const secret = kind in MOCK_NOTIFICATION_SECRET ? MOCK_NOTIFICATION_SECRET[kind as keyof typeof MOCK_NOTIFICATION_SECRET] : undefined;
      const written = loadServiceConfig({ channel: [`${kind}=${baseUrl}`] }, env(kind, { credentials: mock, ...(secret === undefined ? {} : { secret }) }));
      expect(channelSecrets(written.channels[0]!, written.ingest).notificationSecret, baseUrl).toBe(expected.notificationSecret);
      if (kind !== "ebay") expect(expected.notificationSecret, baseUrl).toBeDefined();
    }
  });
});

describe("a mock elsewhere than on loopback (another container), declared with mock: true", () => {
  it("takes the mocks' public values written out for a channel that says it is a mock, off loopback and behind an ingest the network reaches", () => {
    const mock = Object.fromEntries(Object.entries(DEFAULT_MOCK_CREDENTIALS.shopify as unknown as Record<string, string | number>).map(([k, v]) => [k, String(v)]));
    const entry = { id: "shop", kind: "shopify", baseUrl: "http://mocks:4000/shopify", credentials: mock, notificationSecret: m.shopify.webhookSecret };
    const undeclared = problemsOf(() => loadServiceConfig({ config: file("engine.json", JSON.stringify({ ingest: { host: "0.0.0.0" }, channels: [entry] })) }, {}));
    expect(undeclared).toHaveLength(2);
    const declared = loadServiceConfig({ config: file("engine.json", JSON.stringify({ ingest: { host: "0.0.0.0" }, channels: [{ ...entry, mock: true }] })) }, {});
    expect(declared.channels[0]?.mock).toBe(true);
    expect(channelSecrets(declared.channels[0]!, declared.ingest).notificationSecret).toBe(m.shopify.webhookSecret);
    // Declared, it still has to be given them: off loopback nothing of the mocks' is filled in.
    const bare = problemsOf(() => loadServiceConfig({ config: file("engine.json", JSON.stringify({ ingest: { host: "0.0.0.0" }, channels: [{ id: "shop", kind: "shopify", baseUrl: "http://mocks:4000/shopify", mock: true }] })) }, {}));
    expect(bare).toEqual([expect.stringMatching(/^channels\.0 \(shop\): .*missing/)]);
    // On credentials of its own it is a real shop whatever it says (a demo's file reused with a shop's
    // token from the environment, found by review): refused, the mocks' secret with it.
    const reused = problemsOf(() => loadServiceConfig({ config: file("engine.json", JSON.stringify({ ingest: { host: "0.0.0.0" }, channels: [{ ...entry, mock: true }] })), channel: ["shop:shopify=https://myshop.myshopify.com"] }, { SYNCLAG_CHANNEL_SHOP_CREDENTIALS: JSON.stringify(OWN.shopify) }));
    expect(reused).toEqual([expect.stringMatching(/^--channel "shop:shopify=https:\/\/myshop\.myshopify\.com": mock: true, but credentials\.accessToken is not the mocks' public test credential \(the shop's own\).*drop mock: true/)]);
    expectNoSecretIn(reused);
    // Only a literal true.
    const loose = problemsOf(() => loadServiceConfig({ config: file("engine.json", JSON.stringify({ channels: [{ ...entry, mock: "yes" }] })) }, {}));
    expect(loose.some((problem) => /channels\.0\.mock/.test(problem))).toBe(true);
  });
});

describe("a configuration built in code (EngineService.start's check)", () => {
  it("channelSecretProblem names the public secret too", () => {
    const entry = { kind: "woocommerce" as const, baseUrl: REAL_URL.woocommerce, credentials: { ...OWN.woocommerce }, notificationSecret: m.woocommerce.webhookSecret };
    const problem = channelSecretProblem(entry, "channels.0 (woocommerce)", { host: "127.0.0.1" });
    expect(problem).toMatch(/^channels\.0 \(woocommerce\): notificationSecret is a mock marketplace's public test secret/);
    expectNoSecretIn([problem ?? ""]);
  });

  it("EngineService.start refuses it before connecting to anything", async () => {
    const config = serviceConfigSchema.parse({ logLevel: "silent", natsUrl: "nats://127.0.0.1:1", redisUrl: "redis://127.0.0.1:1", channels: [{ kind: "woocommerce", baseUrl: REAL_URL.woocommerce, credentials: { ...OWN.woocommerce }, notificationSecret: m.woocommerce.webhookSecret }] });
    await expect(EngineService.start({ config })).rejects.toMatchObject({ reason: "config", problems: [expect.stringMatching(/^channels\.0 \(woocommerce\): notificationSecret is a mock marketplace's public test secret/)] });
  });
});
