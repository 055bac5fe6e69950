// Shared by the tests of a stock-store data loss and its restore (test/store-data-loss, src/store-restore*,
// test/push-verify-race): signed Shopify orders, JSON posts, polling for a condition, readiness, and an
// engine's configuration over two mock channels.
import { createHmac } from "node:crypto";
import { DEFAULT_MOCK_CREDENTIALS, type MockMarketplace, type RunningServer } from "@synclag/mock-marketplaces";
import { freePort, serviceConfigSchema, type EngineService, type PrivateServer, type ServiceConfig } from "../src/index.js";

const SECRET = DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret;

/** A Shopify order webhook (signed as the mock's default secret) for one line. */
export function postOrder(url: string, id: number, sku: string, quantity: number): Promise<Response> {
  const body = JSON.stringify({ id, created_at: new Date().toISOString(), line_items: [{ sku, quantity }] });
  return fetch(`${url}/ingest/shopify`, { method: "POST", headers: { "content-type": "application/json", "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(body).digest("base64") }, body });
}

export function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Polls `condition` every 100 ms (a throw counts as not yet) until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(condition).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function ready(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

/** `/readyz` says the store lost its data (not merely that Redis is unreachable while it restarts). */
export async function seesLoss(url: string): Promise<boolean> {
  const body = (await (await fetch(`${url}/readyz`)).json()) as { checks?: { stock?: { ok: boolean; detail: string } } };
  return body.checks?.stock?.ok === false && body.checks.stock.detail.includes("lost its data");
}

/** An engine over `nats`, `redis` and the mock Shopify and WooCommerce at `mocksUrl`, with no reconciler (only the code under test repairs a listing). */
export async function shopifyAndWooConfig(nats: { readonly url: string }, redis: { readonly url: string }, mocksUrl: string): Promise<ServiceConfig> {
  return serviceConfigSchema.parse({
    natsUrl: nats.url,
    redisUrl: redis.url,
    ingest: { host: "127.0.0.1", port: await freePort() },
    channels: [
      { kind: "shopify", baseUrl: `${mocksUrl}/shopify` },
      { kind: "woocommerce", baseUrl: `${mocksUrl}/woocommerce` },
    ],
    reconcileInterval: 0,
    shutdownTimeout: 10_000,
  });
}

/** The same configuration for a second instance: its own ingest port. */
export async function onAnotherPort(config: ServiceConfig): Promise<ServiceConfig> {
  return { ...config, ingest: { ...config.ingest, port: await freePort() } };
}

/** Stops the engines (last started first), the mock marketplaces and their server, then the private servers. */
export async function closeAll(parts: { readonly engines: readonly (EngineService | undefined)[]; readonly marketplaces: readonly MockMarketplace[]; readonly server: RunningServer | undefined; readonly servers: readonly (PrivateServer | undefined)[] }): Promise<void> {
  for (const engine of [...parts.engines].reverse()) await engine?.stop().catch(() => undefined);
  for (const marketplace of parts.marketplaces) marketplace.stop();
  await parts.server?.close();
  await Promise.all(parts.servers.map((server) => server?.dispose()));
}
