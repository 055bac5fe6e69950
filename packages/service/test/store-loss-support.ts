// Shared by the tests of a stock-store data loss and its restore (test/store-data-loss, src/store-restore*,
// test/push-verify-race): signed Shopify orders, JSON posts, polling for a condition, readiness.
import { createHmac } from "node:crypto";
import { DEFAULT_MOCK_CREDENTIALS } from "@synclag/mock-marketplaces";

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
