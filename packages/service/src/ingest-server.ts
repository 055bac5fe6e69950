// The service's HTTP face (node:http): marketplace order notifications in (`POST /ingest/<channel>`:
// verify the signature with @synclag/channels, normalise to an OrderEvent, publish to JetStream with the
// order id as message id), stock counts and restocks (`POST /admin/stock`), and `/metrics` (Prometheus
// text), `/healthz`, `/readyz` out. Listens on loopback by default: the admin route has no auth.
// Easy to get wrong: answer 2xx only after the PubAck — a marketplace that got 200 never redelivers, so
// a 200 before the event is stored loses the order; and answer 401/400 (not 5xx) for bad signatures and
// malformed bodies, or the marketplace retries a delivery that can never succeed.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyAndNormalize, type NotificationVerdict } from "@synclag/channels";
import type { ChannelId, Metrics, OrderEvent } from "@synclag/core";
import type { MarketplaceKind } from "@synclag/marketplaces";
import type { Logger } from "pino";

export interface IngestChannel {
  readonly id: ChannelId;
  readonly kind: MarketplaceKind;
  /** HMAC secret / Flipkart app secret; for eBay a resolver of the public key by key id. */
  readonly secret: string | ((keyId: string) => Promise<string | undefined>);
  readonly appId?: string;
}

export interface IngestServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly channels: readonly IngestChannel[];
  /** `rechecked`: published again under a distinct message id for the store to check (see order-id-guard.ts). */
  readonly publish: (event: OrderEvent) => Promise<{ readonly duplicate: boolean; readonly rechecked?: boolean }>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly renderMetrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /** `POST /admin/stock`: a stock count or restock (absolute `set`, or `restock` adding units), pushed everywhere. */
  readonly adjustStock?: (input: { readonly sku: string; readonly quantity: number; readonly kind: "set" | "restock" }) => Promise<{ readonly ok: boolean; readonly detail: unknown }>;
  /** Each dependency's readiness; `/readyz` is 200 only when all are ok. */
  readonly readiness: () => Promise<Record<string, { readonly ok: boolean; readonly detail: string }>>;
  /** Shortest time between two warnings about refused ingest paths (ms; the counter counts every one). Default 60 000. */
  readonly rejectedLogIntervalMs?: number;
}

export interface RunningIngestServer {
  readonly url: string;
  readonly port: number;
  /** Refuses new requests (503 on /readyz first), waits for in-flight ones, closes the listener. */
  close(): Promise<void>;
}

class BodyTooLarge extends Error {
  constructor() {
    super("body too large");
    this.name = "BodyTooLarge";
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** eBay's signature header names the key; the verifier needs its PEM. */
function ebayKeyId(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string") return undefined;
  try {
    const envelope = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as { kid?: unknown };
    return typeof envelope.kid === "string" ? envelope.kid : undefined;
  } catch {
    return undefined;
  }
}

export async function startIngestServer(options: IngestServerOptions): Promise<RunningIngestServer> {
  const channels = new Map(options.channels.map((c) => [c.id, c]));
  const { logger, metrics } = options;
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  // Webhooks to a path that is no channel: a misconfigured marketplace, or a scanner. Counted always,
  // logged at most once per interval (with how many were not logged) — the path is arbitrary input.
  const rejectedLogIntervalMs = options.rejectedLogIntervalMs ?? 60_000;
  let lastRejectedLogMs = -Infinity;
  let unloggedRejections = 0;
  const rejectPath = (reason: "unknown_channel" | "bad_path", channelPath: string): void => {
    metrics.increment("ingest_rejected_total", { reason });
    const now = Date.now();
    if (now - lastRejectedLogMs < rejectedLogIntervalMs) {
      unloggedRejections += 1;
      return;
    }
    lastRejectedLogMs = now;
    logger.warn({ reason, channelPath: channelPath.slice(0, 200), known: [...channels.keys()], notLoggedSinceLast: unloggedRejections }, reason === "unknown_channel" ? "webhook to an unknown channel refused (404)" : "webhook path is not valid percent-encoding (400)");
    unloggedRejections = 0;
  };

  const ingest = async (request: IncomingMessage, response: ServerResponse, channelPath: string): Promise<void> => {
    let channelId: string;
    try {
      channelId = decodeURIComponent(channelPath);
    } catch {
      rejectPath("bad_path", channelPath);
      request.resume();
      reply(response, 400, { error: "bad_channel_path", message: "the channel in /ingest/<channel> is not valid percent-encoding", known: [...channels.keys()] });
      return;
    }
    const channel = channels.get(channelId);
    if (!channel) {
      rejectPath("unknown_channel", channelPath);
      request.resume();
      reply(response, 404, { error: "unknown_channel", channel: channelId, known: [...channels.keys()] });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "too_large" });
      reply(response, error instanceof BodyTooLarge ? 413 : 400, { error: error instanceof BodyTooLarge ? "too_large" : "bad_body" });
      return;
    }
    const secret = typeof channel.secret === "string" ? channel.secret : await channel.secret(ebayKeyId(request.headers["x-ebay-signature"]) ?? "");
    const verdict: NotificationVerdict =
      secret === undefined
        ? { ok: false, reason: "signature", problems: [{ path: "", message: "no verification key for this notification" }] }
        : verifyAndNormalize(channel.kind, request.headers, body, secret, {
            channel: channel.id,
            url: `http://${request.headers.host ?? `${options.host}:${options.port}`}${request.url ?? ""}`,
            method: request.method ?? "POST",
            // Flipkart's signature does not cover the body: a stale X_Date is refused as a replay.
            nowMs: Date.now(),
            ...(channel.appId === undefined ? {} : { appId: channel.appId }),
          });
    if (!verdict.ok) {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: verdict.reason });
      logger.warn({ channel: channel.id, reason: verdict.reason, problems: verdict.problems }, "notification rejected");
      reply(response, verdict.reason === "signature" ? 401 : 400, { error: verdict.reason, problems: verdict.problems });
      return;
    }
    if (verdict.kind !== "order") {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: verdict.kind });
      reply(response, 200, { accepted: verdict.kind, detail: verdict.detail });
      return;
    }
    const event = verdict.event;
    try {
      const receipt = await options.publish(event);
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: receipt.duplicate ? "duplicate" : receipt.rechecked === true ? "rechecked" : "published" });
      if (logger.isLevelEnabled("debug")) logger.debug({ orderId: event.orderId, channel: channel.id, duplicate: receipt.duplicate, sinceConfirmedMs: Date.now() - event.confirmedAtMs }, "order published");
      reply(response, 200, { orderId: event.orderId, duplicate: receipt.duplicate });
    } catch (error) {
      // Not stored: the marketplace must redeliver, so answer 5xx.
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "publish_failed" });
      logger.error({ orderId: event.orderId, channel: channel.id, err: error }, "publishing the order failed");
      reply(response, 503, { error: "publish_failed", orderId: event.orderId });
    }
  };

  const adminStock = async (request: IncomingMessage, response: ServerResponse, adjust: NonNullable<IngestServerOptions["adjustStock"]>): Promise<void> => {
    let value: unknown;
    try {
      value = JSON.parse((await readBody(request, options.maxBodyBytes)).toString("utf8"));
    } catch {
      return reply(response, 400, { error: "bad_body", message: "body must be JSON: {items:[{sku, quantity}], kind?: set|restock}" });
    }
    const body = value as { items?: unknown; kind?: unknown };
    const kind = body.kind === undefined ? "set" : body.kind;
    if ((kind !== "set" && kind !== "restock") || !Array.isArray(body.items) || body.items.length === 0 || body.items.length > 10_000) {
      return reply(response, 400, { error: "bad_body", message: "body must be {items:[{sku, quantity}] (1..10000), kind?: set|restock}" });
    }
    const results: unknown[] = [];
    for (const item of body.items as Array<{ sku?: unknown; quantity?: unknown }>) {
      if (typeof item.sku !== "string" || typeof item.quantity !== "number") {
        results.push({ ok: false, detail: "item must be {sku: string, quantity: number}" });
        continue;
      }
      results.push(await adjust({ sku: item.sku, quantity: item.quantity, kind }));
    }
    logger.info({ kind, items: body.items.length }, "stock adjusted over the admin API");
    reply(response, results.every((r) => (r as { ok: boolean }).ok) ? 200 : 400, { results });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method === "GET" && path === "/healthz") return reply(response, 200, { status: "ok" });
    if (request.method === "GET" && path === "/readyz") {
      if (closing) return reply(response, 503, { ready: false, detail: "shutting down" });
      const checks = await options.readiness();
      const ready = Object.values(checks).every((c) => c.ok);
      return reply(response, ready ? 200 : 503, { ready, checks });
    }
    if (request.method === "GET" && path === "/metrics") {
      const rendered = await options.renderMetrics();
      return reply(response, 200, rendered.body, rendered.contentType);
    }
    if (path === "/admin/stock" && options.adjustStock) {
      if (request.method !== "POST") return reply(response, 405, { error: "method_not_allowed" });
      if (closing) return reply(response, 503, { error: "shutting_down" });
      return adminStock(request, response, options.adjustStock);
    }
    const match = /^\/ingest\/([^/]+)$/.exec(path);
    if (match) {
      if (request.method !== "POST") return reply(response, 405, { error: "method_not_allowed" });
      if (closing) return reply(response, 503, { error: "shutting_down" });
      return ingest(request, response, match[1] as string);
    }
    reply(response, 404, { error: "not_found", routes: ["POST /ingest/<channel>", "POST /admin/stock", "GET /metrics", "GET /healthz", "GET /readyz"] });
  };

  const server: Server = createServer((request, response) => {
    inFlight += 1;
    handle(request, response)
      .catch((error: unknown) => {
        logger.error({ err: error }, "ingest request failed");
        if (!response.headersSent) reply(response, 500, { error: "internal" });
        else response.destroy();
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
