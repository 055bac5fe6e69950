// The ingest's two readiness answers and its drain window, on the server alone. `/readyz/ingest` answers
// what taking a webhook needs (its own checks, not the whole engine's: found by review, a Redis outage
// took every replica out of the webhook balancer although each could still store webhooks). And
// `markShuttingDown` (the stop's `shutdownDelay`) turns both probes 503 while webhooks are still taken
// — found by review: the listener closed at once on SIGTERM, so what a balancer still routed here hit a
// closed port — with `Connection: close` on every answer, so a balancer's pooled connection is not reused.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { OrderEvent } from "@synclag/core";
import { captureLog } from "../test/log-capture.js";
import { startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";

const WOO_SECRET = "synclag-woocommerce-webhook-secret";

function wooOrder(url: string, id: number): Promise<Response> {
  const body = JSON.stringify({ id, status: "processing", date_created_gmt: new Date().toISOString().slice(0, 19), line_items: [{ sku: "SKU-1", quantity: 1 }] });
  const signature = createHmac("sha256", WOO_SECRET).update(body).digest("base64");
  return fetch(`${url}/ingest/woocommerce`, { method: "POST", headers: { "x-wc-webhook-signature": signature, "x-wc-webhook-topic": "order.created", "content-type": "application/json" }, body });
}

async function get(url: string, path: string): Promise<{ status: number; body: unknown; connection: string | null }> {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: (await response.json()) as unknown, connection: response.headers.get("connection") };
}

describe("ingest readiness: /readyz, /readyz/ingest and the drain window", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const published: OrderEvent[] = [];
  async function start(extra: Partial<Pick<IngestServerOptions, "ingestReadiness">>) {
    published.length = 0;
    const { logger } = captureLog("info");
    server = await startIngestServer({
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 64 * 1024,
      channels: [{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET }],
      publish: (event) => {
        published.push(event);
        return Promise.resolve({ duplicate: false });
      },
      metrics: { increment: () => undefined, observe: () => undefined, gauge: () => undefined },
      logger,
      renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
      // The whole engine: the store is down.
      readiness: () => Promise.resolve({ nats: { ok: true, detail: "present" }, redis: { ok: false, detail: "connection refused" } }),
      ...extra,
    });
    return server;
  }

  it("answers /readyz/ingest from its own checks: 200 while /readyz is 503 for the store, 503 when storing a webhook is not possible", async () => {
    let natsOk = true;
    const s = await start({ ingestReadiness: () => Promise.resolve({ nats: { ok: natsOk, detail: natsOk ? "stream ORDERS present" : "no responders" } }) });
    expect(await get(s.url, "/readyz")).toMatchObject({ status: 503, body: { ready: false, checks: { redis: { ok: false } } } });
    expect(await get(s.url, "/readyz/ingest")).toMatchObject({ status: 200, body: { ready: true, scope: "ingest", checks: { nats: { ok: true, detail: "stream ORDERS present" } } } });
    natsOk = false;
    expect(await get(s.url, "/readyz/ingest")).toMatchObject({ status: 503, body: { ready: false, scope: "ingest", checks: { nats: { ok: false, detail: "no responders" } } } });
  });

  it("has no /readyz/ingest route without ingest checks (404, not the whole-engine answer)", async () => {
    const s = await start({});
    expect(await get(s.url, "/readyz/ingest")).toMatchObject({ status: 404, body: { error: "not_found" } });
  });

  it("after markShuttingDown: both probes 503 while a webhook is still taken and published, every answer with Connection: close; then close() refuses connections", async () => {
    const s = await start({ ingestReadiness: () => Promise.resolve({ nats: { ok: true, detail: "stream ORDERS present" } }) });
    expect((await get(s.url, "/readyz/ingest")).connection).not.toBe("close");
    s.markShuttingDown();
    const readyz = await get(s.url, "/readyz");
    const ingestReadyz = await get(s.url, "/readyz/ingest");
    expect(readyz).toEqual({ status: 503, body: { ready: false, detail: expect.stringMatching(/^shutting down: webhooks are still taken/) }, connection: "close" });
    expect(ingestReadyz).toEqual({ status: 503, body: { ready: false, scope: "ingest", detail: expect.stringMatching(/^shutting down: webhooks are still taken/) }, connection: "close" });
    const answer = await wooOrder(s.url, 4_242);
    expect({ status: answer.status, body: (await answer.json()) as unknown, connection: answer.headers.get("connection") }).toEqual({ status: 200, body: { orderId: "woocommerce:4242", duplicate: false }, connection: "close" });
    expect(published.map((e) => e.orderId)).toEqual(["woocommerce:4242"]);
    expect((await get(s.url, "/healthz")).status).toBe(200);

    const url = s.url;
    await s.close();
    server = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
