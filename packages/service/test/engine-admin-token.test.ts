// The engine passes its admin token and connection settings to the ingest: `adminToken` guards the admin
// routes (401 without it), `ingest.idleTimeout` closes a connection that sends nothing.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

const TOKEN = "engine-admin-token-0123456789abcdef";

describe.skipIf(serversMissing())("engine service: admin token and connection settings", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let service: EngineService;
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    shopify.seed([{ sku: "SKU-1", quantity: 10, version: 1 }]);
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }], { host: "127.0.0.1", port: 0 });
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port: await freePort(), idleTimeout: "300ms", maxConnections: 50 },
      adminToken: TOKEN,
      channels: [{ kind: "shopify", baseUrl: `${server.url}/shopify` }],
      reconcileInterval: 0,
      shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: captureLog("info").logger });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    shopify.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("refuses /admin/stock without the token (401) and takes it with the token", async () => {
    const body = JSON.stringify({ kind: "set", items: [{ sku: "SKU-1", quantity: 7 }] });
    expect((await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body })).status).toBe(401);
    const taken = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body });
    expect(taken.status).toBe(200);
    expect((await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity).toBe(7);
  });

  it("closes a connection that sends nothing after ingest.idleTimeout", async () => {
    const socket = connect(Number(new URL(service.url).port), "127.0.0.1");
    socket.on("error", () => undefined);
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3_000);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    socket.destroy();
    expect(closed).toBe(true);
  });
});
