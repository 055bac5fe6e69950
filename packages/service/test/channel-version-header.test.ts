// The stand-in `X-Synclag-Version` header goes to synclag's mocks only: the engine service sends it to
// a channel whose base URL is on loopback (where `synclag run` and the tests put the mocks) and that runs
// on the mocks' public test credentials (which no real shop accepts), and not to a channel anywhere else,
// nor to one on loopback with credentials of its own — a port-forward, ssh -L tunnel or egress sidecar to
// a real shop. A real marketplace has no use for the header.
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace, VERSION_HEADER, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

/** An address of this machine that is not loopback (the mock is reached there as if it were elsewhere). */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;

const woo = DEFAULT_MOCK_CREDENTIALS.woocommerce;
/** A real shop's own keys (what a channel reached through a tunnel on loopback is configured with). */
const SHOP_KEYS = { consumerKey: "ck_live_0123456789", consumerSecret: "cs_live_0123456789" };

/**
 * A mock WooCommerce that keeps the version header of every update call it receives. `acceptingShopKeys`:
 * it stands in for a real shop behind a tunnel — it takes the shop's own keys (swapped for the mock's).
 */
function recordingWoo(acceptingShopKeys = false) {
  const marketplace = new MockMarketplace({ kind: "woocommerce", seed: 1 });
  marketplace.seed([{ sku: "SKU-1", quantity: 10, version: 0 }]);
  const headers: (string | undefined)[] = [];
  const receive = marketplace.receive.bind(marketplace);
  const shopAuthorization = `Basic ${Buffer.from(`${SHOP_KEYS.consumerKey}:${SHOP_KEYS.consumerSecret}`).toString("base64")}`;
  const mockAuthorization = `Basic ${Buffer.from(`${woo.consumerKey}:${woo.consumerSecret}`).toString("base64")}`;
  marketplace.receive = (request) => {
    if (request.method === "PUT" || request.path.endsWith("/batch")) headers.push(request.headers[VERSION_HEADER]);
    if (!acceptingShopKeys) return receive(request);
    if (request.headers.authorization !== shopAuthorization) throw new Error(`the shop behind the tunnel got other keys: ${String(request.headers.authorization)}`);
    return receive({ ...request, headers: { ...request.headers, authorization: mockAuthorization } });
  };
  return { marketplace, headers };
}

describe.skipIf(serversMissing() || lanAddress === undefined)("version header by channel address (real NATS, Redis, HTTP mocks)", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let service: EngineService;
  const local = recordingWoo();
  // Elsewhere than on loopback the mocks' public credentials and secret are refused (a channel there
  // cannot be told from a real shop): it runs on a shop's own keys, as a real one would.
  const lan = recordingWoo(true);
  const tunnel = recordingWoo(true);

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    server = await serveMarketplaces(
      [
        { prefix: "/local", marketplace: local.marketplace },
        { prefix: "/lan", marketplace: lan.marketplace },
        { prefix: "/tunnel", marketplace: tunnel.marketplace },
      ],
      { host: "0.0.0.0", port: 0 },
    );
    const port = Number(new URL(server.url).port);
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port: await freePort() },
      channels: [
        { id: "local", kind: "woocommerce", baseUrl: `http://127.0.0.1:${port}/local` },
        { id: "lan", kind: "woocommerce", baseUrl: `http://${lanAddress}:${port}/lan`, credentials: SHOP_KEYS, notificationSecret: "lan-webhook-secret" },
        // A real shop's own keys, reached through a local port-forward.
        { id: "tunnel", kind: "woocommerce", baseUrl: `http://127.0.0.1:${port}/tunnel`, credentials: SHOP_KEYS, notificationSecret: "live-webhook-secret" },
      ],
      reconcileInterval: 0,
      shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: captureLog("warn").logger });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    local.marketplace.stop();
    lan.marketplace.stop();
    tunnel.marketplace.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("is sent to a channel on loopback on the mocks' credentials (a mock: its ground truth carries the engine's version), not to one elsewhere nor to one on loopback with its own credentials (a tunnel to a real shop)", async () => {
    await service.engine.adjustStock({ sku: "SKU-1", quantity: 7, kind: "set", reason: "count" });
    const deadline = Date.now() + 15_000;
    const landed = (m: MockMarketplace) => m.model.listing("SKU-1")?.acceptedQuantity === 7;
    while (!(landed(local.marketplace) && landed(lan.marketplace) && landed(tunnel.marketplace))) {
      if (Date.now() > deadline) throw new Error("the pushes did not land in time");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const version = (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.version;
    expect(version).toBeGreaterThan(0);
    expect(local.headers.at(-1)).toBe(String(version));
    expect(local.marketplace.model.listing("SKU-1")?.acceptedVersion).toBe(version);
    expect(lan.headers.length).toBeGreaterThan(0);
    expect(lan.headers.every((h) => h === undefined)).toBe(true);
    expect(tunnel.headers.length).toBeGreaterThan(0);
    expect(tunnel.headers.every((h) => h === undefined)).toBe(true);
  });
});
