// Redis restarted without persistence loses the stock, the idempotency records and the outbox. Every
// order for a catalogue SKU then looks like an order for an unknown SKU — dead-lettering it would lose
// the sale's decrement (other channels keep listing the sold units). The service keeps an epoch marker
// in the store: while it is gone, such orders are held in JetStream (retried, never dead-lettered),
// /readyz is 503 and one error says why; an operator restores the stock and confirms with
// POST /admin/stock/restored, and the held orders are applied. Other engine instances follow.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { readDeadLetters } from "@synclag/nats-feed";
import { EngineService, freePort, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfig } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { postOrder, postJson, until, shopifyAndWooConfig } from "./store-loss-support.js";

const LOST = "the stock store lost its data";

async function readiness(url: string): Promise<{ status: number; checks: Record<string, { ok: boolean; detail: string }> }> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { checks?: Record<string, { ok: boolean; detail: string }> };
  return { status: response.status, checks: body.checks ?? {} };
}

/** A counter summed over its label sets. */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const lines = text.split("\n").filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

describe.skipIf(serversMissing())("store data loss (Redis restarted without persistence)", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let config: ServiceConfig;
  let service: EngineService;
  const others: EngineService[] = [];
  const log = captureLog("info");
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    for (const m of [shopify, woo]) m.seed([{ sku: "SKU-1", quantity: 10, version: 1 }]);
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    config = await shopifyAndWooConfig(nats, redis, server.url);
    service = await EngineService.start({ config, logger: log.logger });
    await service.engine.adjustStock({ sku: "SKU-1", quantity: 10, kind: "set" });
  }, 30_000);

  afterAll(async () => {
    for (const s of [...others, service]) await s?.stop().catch(() => undefined);
    shopify.stop();
    woo.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 60_000);

  it("an order for a SKU the store never had is still dead-lettered while the store has its data", async () => {
    expect((await readiness(service.url)).status).toBe(200);
    expect((await postOrder(service.url, 100, "NO-SUCH-SKU", 1)).status).toBe(200);
    await until("dead letter for the unknown SKU", async () => (await readDeadLetters(service.connection)).some((d) => d.orderId === "shopify:100"));
    const [letter] = (await readDeadLetters(service.connection)).filter((d) => d.orderId === "shopify:100");
    expect(letter?.reason).toMatch(/unknown SKU "NO-SUCH-SKU"/);
    expect(log.lines.filter((l) => String(l.msg).includes(LOST))).toEqual([]);
    expect((await readiness(service.url)).status).toBe(200);
  }, 30_000);

  it("holds orders (never dead-letters them), fails /readyz and logs one error after the data is lost; applies them once the stock is restored and confirmed", async () => {
    await redis.kill();
    await redis.restart(); // no persistence: SKU-1 (10 units), the idempotency records, the outbox: gone
    // A buyer's order for SKU-1 now, and a second one later: both must wait for the stock, not be refused.
    expect((await postOrder(service.url, 101, "SKU-1", 1)).status).toBe(200);
    await until("the data loss is logged", async () => log.lines.some((l) => String(l.msg).includes(LOST)));
    const ready = await readiness(service.url);
    expect(ready.status).toBe(503);
    expect(ready.checks.stock).toMatchObject({ ok: false });
    expect(ready.checks.stock?.detail).toContain(LOST);
    expect(ready.checks.redis).toMatchObject({ ok: true });
    // Held: retried by the handler (store_errors_total grows), still not dead-lettered.
    const errorsBefore = await counter(service.url, "synclag_store_errors_total");
    await until("the held order is retried", async () => (await counter(service.url, "synclag_store_errors_total")) >= errorsBefore + 2);
    expect((await postOrder(service.url, 102, "SKU-1", 2)).status).toBe(200);
    await until("the second order is held too", async () => (await counter(service.url, "synclag_store_errors_total")) >= errorsBefore + 5);
    expect((await readDeadLetters(service.connection)).filter((d) => d.orderId === "shopify:101" || d.orderId === "shopify:102")).toEqual([]);
    expect(await counter(service.url, "synclag_orders_invalid_total")).toBe(1); // the NO-SUCH-SKU order above, nothing more
    expect(log.lines.filter((l) => String(l.msg).includes(LOST))).toHaveLength(1);
    expect(log.lines.find((l) => String(l.msg).includes(LOST))).toMatchObject({ level: 50 });

    // A second engine instance started now (a restarted pod) does not take the empty store for a new one.
    const second = await EngineService.start({ config: { ...config, ingest: { ...config.ingest, port: await freePort() } }, logger: captureLog("silent").logger });
    others.push(second);
    expect((await readiness(second.url)).checks.stock).toMatchObject({ ok: false });

    // Confirming the restore before any stock is back is refused: nothing to proceed with.
    const early = await postJson(`${service.url}/admin/stock/restored`, {});
    expect(early.status).toBe(409);
    expect((await readiness(service.url)).status).toBe(503);

    // The operator restores the stock (a count: 10 units) and confirms.
    expect((await postJson(`${service.url}/admin/stock`, { kind: "set", items: [{ sku: "SKU-1", quantity: 10 }] })).status).toBe(200);
    const restored = await postJson(`${service.url}/admin/stock/restored`, {});
    expect(restored.status).toBe(200);
    expect(await restored.json()).toMatchObject({ restored: true, skus: 1 });
    await until("the held orders are applied", async () => (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity === 7);
    await until("ready again", async () => (await readiness(service.url)).status === 200);
    await until("the other instance follows the restore", async () => (await readiness(second.url)).status === 200);
    await until("the other channel shows the truth", async () => woo.model.listing("SKU-1")?.acceptedQuantity === 7);
    expect((await readDeadLetters(service.connection)).filter((d) => d.orderId === "shopify:101" || d.orderId === "shopify:102")).toEqual([]);
    expect(log.lines.some((l) => l.level === 30 && String(l.msg).includes("restored"))).toBe(true);
  }, 120_000);
});
