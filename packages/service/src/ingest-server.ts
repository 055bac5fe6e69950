// The service's HTTP face (node:http): marketplace order notifications in (`POST /ingest/<channel>`:
// verify the signature with @synclag/channels, normalise to an OrderEvent, publish to JetStream with the
// order id as message id), stock counts and restocks (`POST /admin/stock`, and
// `POST /admin/stock/restored` after a store data loss), and `/metrics` (Prometheus text), `/healthz`,
// `/readyz` and `/readyz/ingest` out. Listens on loopback by default. The admin routes take JSON only,
// nothing a browser sends cross-site, and either the admin token (`adminToken`) or a local peer — found by
// review: any web page could change the stock through the loopback listener with a text/plain "simple
// request", and DNS rebinding could read the answers. And connections are not held for free: idle ones
// are closed after `idleTimeoutMs` (Node's own timeouts start at the first byte), at most
// `maxConnections` are open, and a request refused before its body was read closes its connection
// rather than reading the rest (a 413 used to read the oversized body for up to requestTimeout).
// Easy to get wrong: answer 2xx only after the PubAck — a marketplace that got 200 never redelivers, so
// a 200 before the event is stored loses the order; and answer 401/400 (not 5xx) for bad signatures and
// malformed bodies, or the marketplace retries a delivery that can never succeed. A 5xx is only safe
// where the marketplace redelivers: WooCommerce never does, so its failed publishes are retried up to
// just below its webhook timeout (`publishRetryMs`) first; and an eBay key that could not be had now is a
// 503, never a 401 (ebay-key-resolver.ts). And bound every wait
// on a client: one that stalls mid-upload must not hold a shutdown past its deadline. Flipkart signs the
// URL it called: behind a TLS-terminating proxy that is the public `https://…` URL, not the
// `http://<Host>` this server sees — give `publicUrl` (or trust the proxy's X-Forwarded-* headers).
// A signed delivery can be replayed (found by review): an order older than the store can deduplicate is
// a 200 "too old", never published (`orderTimeLimits`), and Flipkart's signature — which covers no body
// — is taken with another body only shortly after its first sighting (signature-replay-guard.ts).
// And two readiness answers, not one: the webhook load balancer must keep an instance that can still
// store webhooks (`/readyz/ingest`: NATS, not Redis — orders wait in JetStream) even when the engine
// behind it cannot apply them (`/readyz`); and on a stop, readiness goes 503 *before* the listener
// closes (`markShuttingDown`), so a balancer stops routing here while webhooks are still taken.

import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo, type Socket } from "node:net";
import { FLIPKART_MAX_CLOCK_SKEW_MS, bodyIndependentSignature, verifyAndNormalize, type NotificationVerdict } from "@synclag/channels";
import { checkQuantity, normalizeSku, type ChannelId, type Metrics, type OrderEvent, type Problem } from "@synclag/core";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { isLoopback } from "@synclag/mock-marketplaces";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "@synclag/redis-store";
import type { Logger } from "pino";
import type { EbayKeyLookup } from "./ebay-key-resolver.js";
import { orderContentHash } from "./order-id-guard.js";
import { SignatureReplayGuard } from "./signature-replay-guard.js";

export interface IngestChannel {
  readonly id: ChannelId;
  readonly kind: MarketplaceKind;
  /**
   * HMAC secret / Flipkart app secret / eBay public key; for eBay also a resolver of the public key by
   * the key id the notification names (undefined when it names none), given the sender's address (its
   * look-up budget is per address) — see ebay-key-resolver.ts.
   */
  readonly secret: string | ((keyId: string | undefined, source: string | undefined) => Promise<EbayKeyLookup>);
  readonly appId?: string;
  /**
   * For a marketplace that never redelivers a notification (WooCommerce): how long after the request
   * arrived a failed publish is still retried before the answer is 503 (ms) — keep it below the
   * sender's own timeout. Absent: the first publish failure is answered 503 (the marketplace redelivers).
   */
  readonly publishRetryMs?: number;
}

export interface IngestServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /**
   * The base URL marketplaces call this gateway at, e.g. `https://hooks.example.com` (a path prefix a
   * proxy strips is fine: `https://example.com/synclag`). Flipkart's signature covers the URL it
   * called, checked as `<publicUrl><path and query received>`. Absent: rebuilt from the request.
   */
  readonly publicUrl?: string;
  /**
   * Without `publicUrl`: rebuild the called URL from `X-Forwarded-Proto` and `X-Forwarded-Host` (first
   * value of each). Default false — set it only behind a proxy that sets them, or any client picks the
   * URL its signature is checked against.
   */
  readonly trustForwardedHeaders?: boolean;
  /**
   * How old, and how far ahead of this clock, an order's own time may be (`orderTimeLimits`): an older
   * order is answered 200 `{accepted: "ignored", reason: "too_old"}` and not published — the store no
   * longer recognises its redelivery — one further ahead 503. Default: `orderTimeLimits` of the store's
   * default idempotency TTL (7 days).
   */
  readonly orderTimeLimits?: OrderTimeLimits;
  /**
   * Remembers the signatures that do not cover the body (Flipkart's) and what came with them. Default:
   * one of this process's own (`SignatureReplayGuard` without a store: replicas do not share it).
   */
  readonly signatureReplayGuard?: SignatureReplayGuard;
  /** The clock the notifications' own times are judged by (order time, Flipkart's X_Date), ms. Default `Date.now`. */
  readonly now?: () => number;
  readonly channels: readonly IngestChannel[];
  /** `rechecked`: published again under a distinct message id for the store to check (see order-id-guard.ts). */
  readonly publish: (event: OrderEvent) => Promise<{ readonly duplicate: boolean; readonly rechecked?: boolean }>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly renderMetrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /**
   * `POST /admin/stock`: one item of a stock count or restock (absolute `set`, or `restock` adding
   * units), pushed everywhere. Every item of a request is checked before the first is applied; a
   * rejection means the store failed (answered 503, with the items applied so far).
   */
  readonly adjustStock?: (input: { readonly sku: string; readonly quantity: number; readonly kind: "set" | "restock" }) => Promise<{ readonly ok: boolean; readonly detail: unknown }>;
  /**
   * Why the store takes no stock count for `sku` (normalised, NFC), or undefined: a bundle holds no stock
   * of its own. Checked with every item before any is applied, so such an item applies none of the request.
   */
  readonly stockItemProblem?: (sku: string) => string | undefined;
  /**
   * `POST /admin/stock/restored`: the operator confirms the stock was restored after the store lost its
   * data (see store-epoch.ts); `status` is the HTTP answer (200, or 409 when nothing can proceed yet).
   */
  readonly confirmStockRestored?: () => Promise<{ readonly status: number; readonly body: unknown }>;
  /** Each dependency's readiness; `/readyz` is 200 only when all are ok. */
  readonly readiness: () => Promise<Record<string, { readonly ok: boolean; readonly detail: string }>>;
  /**
   * What taking a webhook needs (`/readyz/ingest`, 200 only when all are ok): whether a notification can
   * be stored durably now, whatever the engine behind can do. Absent: no such route (404).
   */
  readonly ingestReadiness?: () => Promise<Record<string, { readonly ok: boolean; readonly detail: string }>>;
  /** Shortest time between two warnings about refused ingest paths (ms; the counter counts every one). Default 60 000. */
  readonly rejectedLogIntervalMs?: number;
  /** Longest `close()` waits for in-flight requests before it closes their connections (ms). Default 5 000. */
  readonly drainTimeoutMs?: number;
  /**
   * Longest a client may take to send a whole request, headers included (ms); Node then answers 408 and
   * closes the connection. Default 30 000.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Longest a connection stays open with no request in progress (ms): before its first byte — which
   * Node's own request timeouts do not cover — and between kept-alive requests. Default 5 000, or
   * `requestTimeoutMs` when shorter.
   */
  readonly idleTimeoutMs?: number;
  /** Most connections open at once; more are closed at once (counted, logged at most once per interval). Default: `defaultMaxConnections()`. */
  readonly maxConnections?: number;
  /**
   * The bearer token admin requests must carry (`Authorization: Bearer <token>`), from any peer. Absent:
   * admin requests are taken from a loopback peer only, with a Host that cannot be a rebound name.
   */
  readonly adminToken?: string;
}

export interface RunningIngestServer {
  readonly url: string;
  readonly port: number;
  /**
   * The stop's drain window: `/readyz` and `/readyz/ingest` answer 503 from now on (a load balancer stops
   * routing here) while every other route is served as before — webhooks are still taken and stored —
   * and answers carry `Connection: close`, so a balancer's pooled connections are not reused. `close()`
   * stops taking requests.
   */
  markShuttingDown(): void;
  /**
   * Refuses new requests (503 on /readyz first), waits for in-flight ones (at most `drainTimeoutMs`),
   * closes every connection and the listener.
   */
  close(): Promise<void>;
}

/** How old, and how far ahead of the ingest's clock, an order's own time may be (ms). */
export interface OrderTimeLimits {
  readonly maxAgeMs: number;
  readonly maxAheadMs: number;
}

/**
 * Taken off the store's idempotency TTL for the oldest order time accepted. A captured, signed
 * notification can be replayed at any time (Shopify's HMAC, like the others', carries no time), and
 * once the store forgot the order id (its record expires after the TTL) the replay would be applied
 * again. The record is written when the order's first delivery is applied — no earlier than its order
 * time less `MAX_ORDER_TIME_AHEAD_MS` (a delivery further ahead is refused) — so a replay taken at most
 * TTL − margin after the order time still meets it as long as the margin exceeds that bound. The rest of
 * the day is slack: clocks that disagree (this host, Redis, the other replicas) and a replay waiting in
 * JetStream before it is applied (a Redis outage of up to ~23 h). What it costs: a genuine notification
 * delivered more than TTL − 1 day (6 days) after its order is ignored — every marketplace stops
 * retrying long before (Shopify after 4 h).
 */
export const ORDER_AGE_MARGIN_MS = 86_400_000;
/**
 * How far ahead of this clock an order's time may be: clocks on NTP differ by milliseconds, an hour is
 * room for a badly set one. Further ahead is 503 (the marketplace redelivers; once the time is within
 * the bound it is taken). Must stay below `ORDER_AGE_MARGIN_MS` (see there).
 */
export const MAX_ORDER_TIME_AHEAD_MS = 3_600_000;
/**
 * How long after this ingest first saw a signature that does not cover the body (Flipkart's) it is
 * taken with another body: Flipkart's delivery timeout (10 s) — every delivery it signed in that second
 * has arrived by then, or was given up and is retried under a new signature (signature-replay-guard.ts).
 */
export const SIGNATURE_NEW_CLAIMS_MS = DEFAULT_PROFILES.flipkart.notifications.deliveryTimeoutMs ?? 10_000;
/** A body-independent signature is remembered this long past the last instant the verifier takes it. */
const SIGNATURE_KEEP_SLACK_MS = 60_000;

/** The order-time rule for a store that remembers order ids for `idempotencyTtlMs` (see `ORDER_AGE_MARGIN_MS`). */
export function orderTimeLimits(idempotencyTtlMs: number): OrderTimeLimits {
  const maxAgeMs = idempotencyTtlMs - ORDER_AGE_MARGIN_MS;
  if (!(maxAgeMs >= MAX_ORDER_TIME_AHEAD_MS)) throw new RangeError(`the store's idempotency TTL (${idempotencyTtlMs} ms) leaves no room for the order-time rule: it must be at least ${ORDER_AGE_MARGIN_MS + MAX_ORDER_TIME_AHEAD_MS} ms`);
  return { maxAgeMs, maxAheadMs: MAX_ORDER_TIME_AHEAD_MS };
}

class BodyTooLarge extends Error {
  constructor() {
    super("body too large");
    this.name = "BodyTooLarge";
  }
}

/**
 * The body, up to `limit` bytes. Over it (declared or sent): `BodyTooLarge`, and nothing more is read —
 * answer with `replyAndClose`, which closes the connection instead of reading the rest.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        // Stop reading: the answer closes the connection (reading on drained up to requestTimeout of body).
        request.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
    // The connection went away mid-body (the client hung up, or close() cut it off): nothing more comes.
    request.on("close", () => {
      if (!request.complete) reject(new Error("the client closed the connection before the body was complete"));
    });
  });
}

function reply(response: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/**
 * An answer given before the request's body was read (a refusal, a 413): with `Connection: close`, so
 * Node closes the connection once the answer is flushed instead of reading the rest of the body to reach
 * the next request — which anyone could make as long as requestTimeout allows.
 */
function replyAndClose(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.setHeader("connection", "close");
  reply(response, status, body);
}

/**
 * The connection cap by default: 1,000 — plenty for webhooks answered in milliseconds — or half the
 * process's open-file limit when that is lower (16 at least): a cap above the limit protects nothing,
 * and NATS, Redis and the pushes to the channels need descriptors too.
 */
export function defaultMaxConnections(openFileLimit: number | undefined = openFileSoftLimit()): number {
  if (openFileLimit === undefined || !Number.isFinite(openFileLimit)) return 1_000;
  return Math.max(16, Math.min(1_000, Math.floor(openFileLimit / 2)));
}

/** The process's soft open-file limit (Linux `/proc/self/limits`); undefined elsewhere or unlimited. */
function openFileSoftLimit(): number | undefined {
  try {
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** Why an admin request is refused: its status, a reason (the metric's label) and a message for the caller. */
export interface AdminRefusal {
  readonly status: 401 | 403 | 415;
  readonly reason: "cross_site" | "unauthorized" | "not_local" | "host" | "content_type";
  /** The answer's `error`. */
  readonly error: string;
  readonly message: string;
}

/** Headers a proxy adds: a request carrying one came through a proxy, whatever the peer address says. */
const PROXY_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip"] as const;

/** A peer address on loopback, an IPv4-mapped one (`::ffff:127.0.0.1`, a dual-stack listener) included. */
function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return isLoopback(mapped ?? address.toLowerCase());
}

/** A host name as compared: lower case, no brackets, no trailing dot. */
function hostName(text: string): string {
  return text.trim().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
}

/** A URL's host name as compared; undefined when it is no URL. */
function urlHostName(url: string): string | undefined {
  try {
    return hostName(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

/** The name in a Host header (`[::1]:8080` → `::1`, `Example.com.:80` → `example.com`). */
function hostHeaderName(header: string): string {
  const text = header.trim();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(text);
  return hostName(bracketed ? (bracketed[1] as string) : text.replace(/:\d*$/, ""));
}

/** Both sides hashed first: equal lengths for timingSafeEqual, and no early exit on the first byte that differs. */
function sameToken(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Whether an admin request (`POST /admin/*`) is refused, and why. In order: anything a browser sends for
 * another site's page (`Origin` — browsers send it with every POST —, `Sec-Fetch-Site: cross-site` or
 * `same-site`): 403; then, with an admin token, the bearer token (401 without it or with another one);
 * without one, a loopback peer with no proxy's forwarding header (403 `not_local`) and a Host that cannot
 * be a name rebound to this address — loopback names, IP literals, the listen host, `publicUrl`'s host
 * (403 `host`); then a JSON body (`Content-Type: application/json`, 415) — a cross-site page cannot send
 * that without a preflight, which this server never answers. curl and scripts send no Origin.
 * Easy to get wrong: the peer being loopback is no proof of a local operator — a proxy or tunnel on this
 * host forwards from loopback; hence the forwarding headers, the Host check and, there, the token.
 */
export function adminRequestRefusal(request: { readonly headers: IncomingHttpHeaders; readonly remoteAddress: string | undefined }, options: { readonly adminToken?: string | undefined; readonly host: string; readonly publicUrl?: string | undefined }): AdminRefusal | undefined {
  const { headers } = request;
  const fetchSite = firstValue(headers["sec-fetch-site"])?.toLowerCase();
  if (headers.origin !== undefined || fetchSite === "cross-site" || fetchSite === "same-site") {
    return { status: 403, reason: "cross_site", error: "cross_site", message: "admin requests from a web page are refused (Origin or Sec-Fetch-Site present): use curl or a script" };
  }
  if (options.adminToken !== undefined) {
    const presented = /^bearer +(\S+) *$/i.exec(headers.authorization ?? "")?.[1];
    if (presented === undefined || !sameToken(presented, options.adminToken)) return { status: 401, reason: "unauthorized", error: "unauthorized", message: "admin requests need the admin token: Authorization: Bearer <adminToken>" };
  } else {
    if (!isLoopbackPeer(request.remoteAddress) || PROXY_HEADERS.some((name) => headers[name] !== undefined)) {
      return { status: 403, reason: "not_local", error: "not_local", message: "without an admin token (adminToken, SYNCLAG_ADMIN_TOKEN) admin requests are taken from loopback only, not through a proxy" };
    }
    const host = headers.host;
    if (host !== undefined) {
      const name = hostHeaderName(host);
      const allowed = isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost") || name === hostName(options.host) || (options.publicUrl !== undefined && name === urlHostName(options.publicUrl));
      if (!allowed) return { status: 403, reason: "host", error: "host", message: `admin requests are taken for a loopback or IP address Host, the listen host or the public URL's host, not ${JSON.stringify(name.slice(0, 100))} (set adminToken to use other names)` };
    }
  }
  const mediaType = (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") return { status: 415, reason: "content_type", error: "unsupported_media_type", message: "admin requests must be sent as Content-Type: application/json" };
  return undefined;
}

/** A duration for a message: whole days, else whole hours, else seconds. */
function formatDays(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? "" : "s"}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? "" : "s"}`;
  return `${Math.round(ms / 1000)} s`;
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

/**
 * The order id a signed notification names, for the log line of one refused as malformed: the same
 * fields @synclag/channels reads (`<channel>:<native id>`), undefined when it names none.
 */
function claimedOrderId(kind: MarketplaceKind, channel: ChannelId, body: Buffer): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined), value);
  const native =
    kind === "amazon"
      ? at(root, "Payload", "OrderChangeNotification", "AmazonOrderId")
      : kind === "flipkart"
        ? at(root, "attributes", "orderId")
        : kind === "ebay"
          ? typeof at(root, "notification", "data", "orderId") === "string" && typeof at(root, "notification", "data", "lineItemId") === "string"
            ? `${String(at(root, "notification", "data", "orderId"))}:${String(at(root, "notification", "data", "lineItemId"))}`
            : undefined
          : at(root, "id");
  return (typeof native === "string" || typeof native === "number") && String(native) !== "" ? `${channel}:${String(native).slice(0, 200)}` : undefined;
}

/** A pause that ends early when `cut` settles (the server began closing). */
async function pause(ms: number, cut: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), cut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The promise's outcome, or a rejection once `ms` passed (the promise itself runs on). */
async function withinMs<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${Math.max(0, ms)} ms`)), Math.max(0, ms))))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `/readyz` and `/readyz/ingest` during the stop's drain window (markShuttingDown). */
const SHUTTING_DOWN_DETAIL = "shutting down: webhooks are still taken until the drain window (shutdownDelay) ends, then the listener closes";

/** Publish retries for a channel that does not redeliver: first pause, doubled per attempt, capped. */
const PUBLISH_RETRY_FIRST_MS = 250;
const PUBLISH_RETRY_MAX_MS = 2_000;

/** The first value of a (possibly repeated or comma-joined) header. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const first = text?.split(",")[0]?.trim();
  return first === undefined || first === "" ? undefined : first;
}

/**
 * The address a request came from: the peer's; with `trustForwardedHeaders`, the last `X-Forwarded-For`
 * entry — the one the trusted proxy appended (earlier ones are whatever the client sent).
 */
function senderAddress(request: Pick<IncomingMessage, "headers" | "socket">, trustForwardedHeaders: boolean | undefined): string | undefined {
  if (trustForwardedHeaders === true) {
    const header = request.headers["x-forwarded-for"];
    const text = Array.isArray(header) ? header.join(",") : header;
    const last = text?.split(",").pop()?.trim();
    if (last !== undefined && last !== "") return last;
  }
  return request.socket.remoteAddress;
}

/**
 * The URL the marketplace called, as it signed it: `publicUrl` + the path received; else, trusted,
 * the forwarded scheme and host; else `http://<Host>`.
 */
function calledUrl(request: Pick<IncomingMessage, "headers" | "url">, options: { readonly publicUrl?: string | undefined; readonly trustForwardedHeaders?: boolean | undefined; readonly fallbackHost: string }): string {
  const path = request.url ?? "";
  if (options.publicUrl !== undefined) return `${options.publicUrl.replace(/\/+$/, "")}${path}`;
  const host = firstValue(request.headers.host) ?? options.fallbackHost;
  if (options.trustForwardedHeaders === true) {
    const proto = firstValue(request.headers["x-forwarded-proto"])?.toLowerCase();
    const forwardedHost = firstValue(request.headers["x-forwarded-host"]);
    return `${proto === "https" || proto === "http" ? proto : "http"}://${forwardedHost ?? host}${path}`;
  }
  return `http://${host}${path}`;
}

export async function startIngestServer(options: IngestServerOptions): Promise<RunningIngestServer> {
  const channels = new Map(options.channels.map((c) => [c.id, c]));
  const { logger, metrics } = options;
  // Replay protection (the notification's own times, Flipkart's signatures): see orderTimeLimits and signature-replay-guard.ts.
  const clock = options.now ?? Date.now;
  const timeLimits = options.orderTimeLimits ?? orderTimeLimits(DEFAULT_IDEMPOTENCY_TTL_MS);
  const signatureGuard = options.signatureReplayGuard ?? new SignatureReplayGuard({ newClaimsForMs: SIGNATURE_NEW_CLAIMS_MS });
  let closing = false;
  // The drain window before close(): readiness 503, requests still served (markShuttingDown).
  let shuttingDown = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  // close() began: a publish still being retried stops retrying, and the attempt running then is given
  // up at `answerByMs` — just inside the drain, so the 503 is written before the connections are cut.
  let closingStarted: () => void = () => undefined;
  const closingBegan = new Promise<void>((resolve) => (closingStarted = resolve));
  let answerByMs = Infinity;
  /** Rejects once closing began and `answerByMs` passed; `clear()` when the attempt is over. */
  const cutAtClose = (): { readonly promise: Promise<never>; clear(): void } => {
    let timer: NodeJS.Timeout | undefined;
    let cleared = false;
    const promise = closingBegan.then(
      () =>
        new Promise<never>((_, reject) => {
          if (!cleared) timer = setTimeout(() => reject(new Error("the ingest is stopping: the publish attempt did not finish before its drain ends")), Math.max(0, answerByMs - Date.now()));
        }),
    );
    promise.catch(() => undefined);
    return {
      promise,
      clear: () => {
        cleared = true;
        clearTimeout(timer);
      },
    };
  };

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

  // Warnings about what anyone can send (bad signatures, refused admin requests, connections over the
  // cap): the metric counts every one, the log gets at most one line per interval per key, carrying how
  // many were not logged since. Keys are few and fixed — channel ids, reasons —, never request input.
  const lastWarnings = new Map<string, { lastMs: number; unlogged: number }>();
  const warnRateLimited = (key: string, fields: Record<string, unknown>, message: string): void => {
    const now = Date.now();
    let state = lastWarnings.get(key);
    if (state === undefined) lastWarnings.set(key, (state = { lastMs: -Infinity, unlogged: 0 }));
    if (now - state.lastMs < rejectedLogIntervalMs) {
      state.unlogged += 1;
      return;
    }
    logger.warn({ ...fields, notLoggedSinceLast: state.unlogged }, message);
    state.lastMs = now;
    state.unlogged = 0;
  };

  // eBay keys that could not be had (look-up failed or rate-limited): counted always, logged at most once per interval.
  let lastKeyWarningMs = -Infinity;
  let unloggedKeyWarnings = 0;
  const warnKeyUnavailable = (channel: ChannelId, detail: string): void => {
    const now = Date.now();
    if (now - lastKeyWarningMs < rejectedLogIntervalMs) {
      unloggedKeyWarnings += 1;
      return;
    }
    lastKeyWarningMs = now;
    logger.warn({ channel, detail, notLoggedSinceLast: unloggedKeyWarnings }, "notification answered 503: its verification key could not be had now (the marketplace redelivers it)");
    unloggedKeyWarnings = 0;
  };

  const ingest = async (request: IncomingMessage, response: ServerResponse, channelPath: string): Promise<void> => {
    const arrivedAtMs = Date.now();
    let channelId: string;
    try {
      channelId = decodeURIComponent(channelPath);
    } catch {
      rejectPath("bad_path", channelPath);
      replyAndClose(response, 400, { error: "bad_channel_path", message: "the channel in /ingest/<channel> is not valid percent-encoding", known: [...channels.keys()] });
      return;
    }
    const channel = channels.get(channelId);
    if (!channel) {
      rejectPath("unknown_channel", channelPath);
      replyAndClose(response, 404, { error: "unknown_channel", channel: channelId, known: [...channels.keys()] });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "too_large" });
      replyAndClose(response, error instanceof BodyTooLarge ? 413 : 400, { error: error instanceof BodyTooLarge ? "too_large" : "bad_body" });
      return;
    }
    let secret: string | undefined;
    let keyProblem: string | undefined;
    if (typeof channel.secret === "string") secret = channel.secret;
    else {
      const lookup = await channel.secret(ebayKeyId(request.headers["x-ebay-signature"]), senderAddress(request, options.trustForwardedHeaders));
      if (lookup.kind === "unavailable") {
        // Not a bad signature: the key could not be had now. eBay redelivers a notification answered 5xx.
        metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "key_unavailable" });
        warnKeyUnavailable(channel.id, lookup.detail);
        response.setHeader("retry-after", String(Math.ceil(lookup.retryAfterMs / 1000)));
        reply(response, 503, { error: "key_unavailable", message: `the notification's verification key could not be had now: ${lookup.detail}` });
        return;
      }
      if (lookup.kind === "key") secret = lookup.pem;
      else keyProblem = lookup.detail;
    }
    const verdict: NotificationVerdict =
      secret === undefined
        ? { ok: false, reason: "signature", problems: [{ path: "", message: keyProblem ?? "no verification key for this notification" }] }
        : verifyAndNormalize(channel.kind, request.headers, body, secret, {
            channel: channel.id,
            url: calledUrl(request, { publicUrl: options.publicUrl, trustForwardedHeaders: options.trustForwardedHeaders, fallbackHost: `${options.host}:${options.port}` }),
            method: request.method ?? "POST",
            // Flipkart's signature does not cover the body: a stale X_Date is refused as a replay.
            nowMs: clock(),
            ...(channel.appId === undefined ? {} : { appId: channel.appId }),
          });
    // Flipkart's signature does not cover the body (nor does it change within a second): once the
    // deliveries it signed have arrived, it is taken only with what it came with — anything else under
    // it is a captured delivery's headers on another body (signature-replay-guard.ts). Checked for every
    // body it verified, a malformed one too: a captured non-order must not carry a forged order either.
    const unsignedBody = verdict.ok || verdict.reason === "malformed" ? bodyIndependentSignature(channel.kind, request.headers) : undefined;
    if (unsignedBody !== undefined) {
      const claim = verdict.ok && verdict.kind === "order" ? `order:${verdict.event.orderId}#${orderContentHash(verdict.event)}` : `body:${createHash("sha256").update(body).digest("hex")}`;
      const checked = await signatureGuard.check(`${channel.id}\n${unsignedBody.key}`, claim, clock(), unsignedBody.signedAtMs + FLIPKART_MAX_CLOCK_SKEW_MS + SIGNATURE_KEEP_SLACK_MS);
      if (!checked.ok) {
        metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "signature_reused" });
        const orderId = verdict.ok && verdict.kind === "order" ? verdict.event.orderId : claimedOrderId(channel.kind, channel.id, body);
        // Not the order it names in the answer: the caller may be anyone.
        warnRateLimited(`signature_reused:${channel.id}`, { ...(orderId === undefined ? {} : { claimedOrderId: orderId }), channel: channel.id, firstSeenAgoMs: checked.firstSeenAgoMs }, "notification refused (401): its signature headers already came with other notifications — Flipkart's signature does not cover the body: a captured delivery's headers sent with another body, or a delivery that arrived after Flipkart's own timeout (it retries under a new signature)");
        reply(response, 401, { error: "signature_reused", problems: [{ path: "", message: `these X_Date and X_Authorization headers were first seen ${Math.round(checked.firstSeenAgoMs / 1000)} s ago with other notifications: Flipkart's signature does not cover the body, so they are taken only with what they came with` }] });
        return;
      }
    }
    if (!verdict.ok) {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: verdict.reason });
      // A signed notification is the marketplace's own: the order it names is worth a line (an unsigned one's is anyone's).
      const orderId = verdict.reason === "malformed" ? claimedOrderId(channel.kind, channel.id, body) : undefined;
      const fields = { ...(orderId === undefined ? {} : { orderId }), channel: channel.id, reason: verdict.reason, problems: verdict.problems };
      // A bad signature is anyone's request: rate-limited per channel (found by review: a line per request
      // let an anonymous client write the log as fast as it could send). A malformed one is signed: each logged.
      if (verdict.reason === "signature") warnRateLimited(`signature:${channel.id}`, fields, "notification rejected");
      else logger.warn(fields, "notification rejected");
      reply(response, verdict.reason === "signature" ? 401 : 400, { error: verdict.reason, problems: verdict.problems });
      return;
    }
    // Lines left out for having no SKU (tips, gift cards, custom items — or a stocked product whose SKU
    // was left empty by mistake, which then sells stock never subtracted): counted and logged, never silent.
    const skipped = verdict.kind === "order" || verdict.kind === "ignored" ? (verdict.skippedLines ?? []) : [];
    for (const line of skipped) metrics.increment("ingest_lines_skipped_total", { channel: channel.id, reason: line.reason });
    if (skipped.length > 0) logger.info({ channel: channel.id, ...(verdict.kind === "order" ? { orderId: verdict.event.orderId } : { detail: verdict.detail }), skippedLines: skipped }, `order lines left out (${skipped.length}): no SKU or quantity 0`);
    if (verdict.kind !== "order") {
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: verdict.kind === "ignored" && skipped.length > 0 ? "no_stocked_lines" : verdict.kind });
      reply(response, 200, { accepted: verdict.kind, detail: verdict.detail });
      return;
    }
    const event = verdict.event;
    // The order's own time (signed with the body): a notification older than the store can deduplicate
    // is a replay or hopelessly late — a 200, never a retry, since it only gets older; one further ahead
    // than clocks differ is 503, redelivered until its time is within the bound (orderTimeLimits).
    const nowMs = clock();
    const ageMs = nowMs - event.confirmedAtMs;
    if (ageMs > timeLimits.maxAgeMs || -ageMs > timeLimits.maxAheadMs) {
      const tooOld = ageMs > 0;
      const redelivered = channel.publishRetryMs === undefined;
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: tooOld ? "too_old" : "too_far_ahead" });
      const fields = { orderId: event.orderId, channel: channel.id, confirmedAt: new Date(event.confirmedAtMs).toISOString(), ageMs, ...(tooOld ? { maxAgeMs: timeLimits.maxAgeMs } : { maxAheadMs: timeLimits.maxAheadMs, redelivered }) };
      if (tooOld) {
        warnRateLimited(`too_old:${channel.id}`, fields, "order notification ignored (200): its order time is older than the store can deduplicate — a replay of a captured delivery, or a sale delivered days late (then take it off the stock by hand: POST /admin/stock)");
        reply(response, 200, { accepted: "ignored", reason: "too_old", orderId: event.orderId, detail: `order time ${fields.confirmedAt} is more than ${formatDays(timeLimits.maxAgeMs)} old: older than the engine can recognise a redelivery of, so it is not applied` });
        return;
      }
      warnRateLimited(`too_far_ahead:${channel.id}`, fields, `order notification refused (503): its order time is ahead of this host's clock by more than ${formatDays(timeLimits.maxAheadMs)} — check the clocks (NTP)${redelivered ? "" : `; ${channel.kind} does not redeliver: take this sale off the stock by hand (POST /admin/stock)`}`);
      response.setHeader("retry-after", String(Math.max(1, Math.ceil((-ageMs - timeLimits.maxAheadMs) / 1000))));
      reply(response, 503, { error: "order_time_ahead", orderId: event.orderId, message: `order time ${fields.confirmedAt} is more than ${formatDays(timeLimits.maxAheadMs)} ahead of this host's clock: redeliver later` });
      return;
    }
    const outcome = await publishOrder(event, channel, arrivedAtMs);
    if (outcome.ok) {
      const receipt = outcome.receipt;
      metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: receipt.duplicate ? "duplicate" : receipt.rechecked === true ? "rechecked" : "published" });
      if (logger.isLevelEnabled("debug")) logger.debug({ orderId: event.orderId, channel: channel.id, duplicate: receipt.duplicate, attempts: outcome.attempts, sinceConfirmedMs: Date.now() - event.confirmedAtMs }, "order published");
      reply(response, 200, { orderId: event.orderId, duplicate: receipt.duplicate });
      return;
    }
    // Not stored: the marketplace must redeliver, so answer 5xx — and say loudly when it will not.
    metrics.increment("ingest_notifications_total", { channel: channel.id, outcome: "publish_failed" });
    const redelivered = channel.publishRetryMs === undefined;
    // One message to alert on; what it means for this channel in `consequence`.
    const consequence = redelivered
      ? "answered 503: the marketplace redelivers it"
      : `answered 503 after ${Math.round(outcome.waitedMs / 1000)} s of retries: ${channel.kind} does not redeliver — this order is lost unless the publish still completes, or its stock is corrected by hand (POST /admin/stock)`;
    logger.error({ orderId: event.orderId, channel: channel.id, attempts: outcome.attempts, waitedMs: outcome.waitedMs, redelivered, consequence, err: outcome.error }, "publishing the order failed");
    reply(response, 503, { error: "publish_failed", orderId: event.orderId });
  };

  /**
   * Publishes once; for a channel that does not redeliver, again after each retryable failure (capped
   * backoff) until `publishRetryMs` after the request arrived — every attempt bounded by what is left,
   * so a publish that hangs cannot hold the answer past it. When the server closes it stops retrying at
   * once (a pause ends early), and the attempt then running is given up just inside the drain (it may
   * still complete: it runs on), so the answer is a 503 — found by review: WooCommerce saw the connection
   * cut instead, the attempt having held the answer past the drain.
   */
  const publishOrder = async (
    event: OrderEvent,
    channel: IngestChannel,
    arrivedAtMs: number,
  ): Promise<{ ok: true; receipt: Awaited<ReturnType<IngestServerOptions["publish"]>>; attempts: number } | { ok: false; error: unknown; attempts: number; waitedMs: number }> => {
    const deadlineMs = channel.publishRetryMs === undefined ? undefined : arrivedAtMs + channel.publishRetryMs;
    let pauseMs = PUBLISH_RETRY_FIRST_MS;
    for (let attempts = 1; ; attempts++) {
      let error: unknown;
      const cut = deadlineMs === undefined ? undefined : cutAtClose();
      try {
        const receipt = deadlineMs === undefined || cut === undefined ? await options.publish(event) : await withinMs(deadlineMs - Date.now(), Promise.race([options.publish(event), cut.promise]));
        return { ok: true, receipt, attempts };
      } catch (caught) {
        error = caught;
      } finally {
        cut?.clear();
      }
      const leftMs = deadlineMs === undefined ? 0 : deadlineMs - Date.now();
      // A refusal for good (an invalid or oversized event) is not retried; nor anything once closing.
      if (leftMs <= pauseMs || closing || (error as { retryable?: unknown } | null)?.retryable === false) return { ok: false, error, attempts, waitedMs: Date.now() - arrivedAtMs };
      if (attempts === 1) logger.warn({ orderId: event.orderId, channel: channel.id, err: error, retryForMs: leftMs }, `publishing the order failed: retrying (${channel.kind} does not redeliver a notification answered 5xx)`);
      await pause(pauseMs, closingBegan);
      if (closing) return { ok: false, error, attempts, waitedMs: Date.now() - arrivedAtMs };
      pauseMs = Math.min(PUBLISH_RETRY_MAX_MS, pauseMs * 2);
    }
  };

  /** Every item checked before any is applied (the store's own rules: SKU text, quantity for the kind). */
  const checkItems = (items: readonly unknown[], kind: "set" | "restock"): Array<{ sku: string; quantity: number } | { problems: Problem[] }> =>
    items.map((item) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) return { problems: [{ path: "", message: "item must be an object {sku: string, quantity: number}" }] };
      const { sku, quantity } = item as { sku?: unknown; quantity?: unknown };
      const problems: Problem[] = [];
      const normalized = normalizeSku(sku);
      if ("problem" in normalized) problems.push({ path: "sku", message: normalized.problem });
      else {
        const stockProblem = options.stockItemProblem?.(normalized.sku);
        if (stockProblem !== undefined) problems.push({ path: "sku", message: stockProblem });
      }
      const quantityProblem = checkQuantity(quantity, kind === "set");
      if (quantityProblem) problems.push({ path: "quantity", message: quantityProblem });
      return problems.length > 0 ? { problems } : { sku: sku as string, quantity: quantity as number };
    });

  const adminStock = async (request: IncomingMessage, response: ServerResponse, adjust: NonNullable<IngestServerOptions["adjustStock"]>): Promise<void> => {
    const usage = "body must be {items:[{sku, quantity}] (1..10000), kind?: set|restock}";
    let raw: Buffer;
    try {
      raw = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return replyAndClose(response, 413, { error: "too_large", message: `body over ${options.maxBodyBytes} bytes: send the items in smaller requests` });
      return reply(response, 400, { error: "bad_body", message: "the body could not be read" });
    }
    let value: unknown;
    try {
      value = JSON.parse(raw.toString("utf8"));
    } catch {
      return reply(response, 400, { error: "bad_body", message: `body must be JSON: ${usage}` });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return reply(response, 400, { error: "bad_body", message: `body must be a JSON object: ${usage}` });
    const body = value as { items?: unknown; kind?: unknown };
    const kind = body.kind === undefined ? "set" : body.kind;
    if ((kind !== "set" && kind !== "restock") || !Array.isArray(body.items) || body.items.length === 0 || body.items.length > 10_000) {
      return reply(response, 400, { error: "bad_body", message: usage });
    }
    const items = body.items as unknown[];
    // Nothing is applied unless every item is valid: a 400 changes nothing, so re-sending is always safe.
    const checked = checkItems(items, kind);
    if (checked.some((c) => "problems" in c)) {
      const results = checked.map((c) => ("problems" in c ? { ok: false, applied: false, detail: c.problems } : { ok: false, applied: false, detail: "not applied: another item is invalid" }));
      return reply(response, 400, { error: "invalid_items", message: "nothing was applied: every item is checked before any is applied", applied: 0, results });
    }
    // Then in order, each item atomically. Only the store can stop the batch now (Redis failing, or a
    // restock taking a SKU over the maximum): the answer says which items were applied.
    const results: Array<{ ok: boolean; applied: boolean; detail: unknown }> = [];
    let failure: { status: number; error: string } | undefined;
    for (const item of checked as Array<{ sku: string; quantity: number }>) {
      if (failure) {
        results.push({ ok: false, applied: false, detail: "not applied: an earlier item failed" });
        continue;
      }
      try {
        const outcome = await adjust({ sku: item.sku, quantity: item.quantity, kind });
        results.push({ ok: outcome.ok, applied: outcome.ok, detail: outcome.detail });
        if (!outcome.ok) failure = { status: 400, error: "invalid_items" };
      } catch (error) {
        logger.error({ err: error, kind, sku: item.sku }, "stock adjustment over the admin API failed: the store is unavailable");
        results.push({ ok: false, applied: false, detail: `store unavailable: ${error instanceof Error ? error.message : String(error)}` });
        failure = { status: 503, error: "store_unavailable" };
      }
    }
    const applied = results.filter((r) => r.applied).length;
    logger.info({ kind, items: items.length, applied }, "stock adjusted over the admin API");
    if (failure) {
      return reply(response, failure.status, { error: failure.error, message: `${applied} of ${items.length} items applied (in order); re-send only the items not applied`, applied, results });
    }
    reply(response, 200, { applied, results });
  };

  /** Refuses an admin request that may not change the stock (see adminRequestRefusal): true when it answered. */
  const refuseAdmin = (request: IncomingMessage, response: ServerResponse): boolean => {
    const refusal = adminRequestRefusal({ headers: request.headers, remoteAddress: request.socket.remoteAddress }, { adminToken: options.adminToken, host: options.host, publicUrl: options.publicUrl });
    if (refusal === undefined) return false;
    metrics.increment("admin_requests_refused_total", { reason: refusal.reason });
    warnRateLimited("admin", { reason: refusal.reason, status: refusal.status, path: (request.url ?? "").split("?")[0], peer: request.socket.remoteAddress }, "admin request refused");
    replyAndClose(response, refusal.status, { error: refusal.error, message: refusal.message }, refusal.status === 401 ? { "www-authenticate": 'Bearer realm="synclag admin"' } : {});
    return true;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method === "GET" && path === "/healthz") return reply(response, 200, { status: "ok" });
    if (request.method === "GET" && path === "/readyz") {
      if (closing) return reply(response, 503, { ready: false, detail: "shutting down: the listener is closing" });
      if (shuttingDown) return reply(response, 503, { ready: false, detail: SHUTTING_DOWN_DETAIL });
      const checks = await options.readiness();
      const ready = Object.values(checks).every((c) => c.ok);
      return reply(response, ready ? 200 : 503, { ready, checks });
    }
    if (request.method === "GET" && path === "/readyz/ingest" && options.ingestReadiness) {
      if (closing) return reply(response, 503, { ready: false, scope: "ingest", detail: "shutting down: the listener is closing" });
      if (shuttingDown) return reply(response, 503, { ready: false, scope: "ingest", detail: SHUTTING_DOWN_DETAIL });
      const checks = await options.ingestReadiness();
      const ready = Object.values(checks).every((c) => c.ok);
      return reply(response, ready ? 200 : 503, { ready, scope: "ingest", checks });
    }
    if (request.method === "GET" && path === "/metrics") {
      const rendered = await options.renderMetrics();
      return reply(response, 200, rendered.body, rendered.contentType);
    }
    if (path === "/admin/stock/restored" && options.confirmStockRestored) {
      if (request.method !== "POST") return replyAndClose(response, 405, { error: "method_not_allowed" });
      if (refuseAdmin(request, response)) return;
      if (closing) return reply(response, 503, { error: "shutting_down" });
      request.resume();
      const answer = await options.confirmStockRestored();
      return reply(response, answer.status, answer.body);
    }
    if (path === "/admin/stock" && options.adjustStock) {
      if (request.method !== "POST") return replyAndClose(response, 405, { error: "method_not_allowed" });
      if (refuseAdmin(request, response)) return;
      if (closing) return reply(response, 503, { error: "shutting_down" });
      return adminStock(request, response, options.adjustStock);
    }
    const match = /^\/ingest\/([^/]+)$/.exec(path);
    if (match) {
      if (request.method !== "POST") return replyAndClose(response, 405, { error: "method_not_allowed" });
      if (closing) return reply(response, 503, { error: "shutting_down" });
      return ingest(request, response, match[1] as string);
    }
    // Refusals are answered without reading a body (the connection closes), as for every path anyone may send.
    replyAndClose(response, 404, { error: "not_found", routes: ["POST /ingest/<channel>", "POST /admin/stock", "POST /admin/stock/restored", "GET /metrics", "GET /healthz", "GET /readyz", ...(options.ingestReadiness ? ["GET /readyz/ingest"] : [])] });
  };

  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? Math.min(5_000, requestTimeoutMs);
  const maxConnections = options.maxConnections ?? defaultMaxConnections();
  /** Requests in progress per connection: the idle timeout closes only a connection with none. */
  const busy = new WeakMap<Socket, number>();
  // A client that stalls mid-upload is cut off after requestTimeoutMs (408), checked at least every 5 s.
  const server: Server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(5_000, requestTimeoutMs) }, (request, response) => {
    inFlight += 1;
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once("close", () => busy.set(socket, (busy.get(socket) ?? 1) - 1));
    // Stopping soon: a balancer's (or client's) kept-alive connection is not reused after this answer,
    // so its next request opens a new one — routed elsewhere once the balancer dropped this instance.
    if (shuttingDown) response.setHeader("connection", "close");
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
  // Easy to get wrong: Node's headersTimeout and requestTimeout start at a request's first byte, so a
  // connection that sends nothing was held forever (found by review: idle sockets used up the file
  // descriptors and genuine webhooks went unanswered). The socket's idle timer (server.timeout, and
  // keepAliveTimeout between requests) fires here; a connection with a request in progress — an answer
  // waiting on a publish — is left alone: requestTimeout and the handlers' own bounds cover it.
  server.timeout = idleTimeoutMs;
  server.keepAliveTimeout = idleTimeoutMs;
  server.on("timeout", (socket: Socket) => {
    if ((busy.get(socket) ?? 0) === 0) socket.destroy();
  });
  // Over the cap, Node closes a new connection at once ("drop"): counted, logged at most once per interval.
  server.maxConnections = maxConnections;
  server.on("drop", (dropped?: { remoteAddress?: string }) => {
    metrics.increment("ingest_connections_dropped_total");
    warnRateLimited("drop", { maxConnections, peer: dropped?.remoteAddress }, "ingest connection refused: maxConnections reached");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const proxied = options.publicUrl !== undefined || options.trustForwardedHeaders === true;
  if ((options.adjustStock !== undefined || options.confirmStockRestored !== undefined) && options.adminToken === undefined && (!isLoopbackPeer(hostName(options.host)) || proxied)) {
    logger.warn(
      { host: options.host, ...(proxied ? { publicUrl: options.publicUrl, trustForwardedHeaders: options.trustForwardedHeaders } : {}) },
      `no adminToken: /admin/* (stock counts, restore) answer only loopback peers — but ${proxied ? "a proxy fronts this ingest" : `it listens on ${options.host}`}: a proxy, tunnel or sidecar on this host that forwards to it from loopback without X-Forwarded-For lets anyone who reaches it change the stock. Filter /admin/* at the gateway, or set adminToken (SYNCLAG_ADMIN_TOKEN) — docs/engine-service.md, "The admin routes"`,
    );
  }
  return {
    url: `http://${options.host}:${port}`,
    port,
    markShuttingDown: () => {
      shuttingDown = true;
    },
    close: async () => {
      closing = true;
      shuttingDown = true;
      answerByMs = Date.now() + drainTimeoutMs - Math.min(250, Math.floor(drainTimeoutMs / 4));
      closingStarted();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        // Bounded: a client that stalled mid-upload would otherwise hold the whole shutdown.
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          new Promise<true>((resolve) => (drained = () => resolve(true))),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainTimeoutMs))),
        ]);
        clearTimeout(timer);
        if (!finished) logger.warn({ inFlight, drainTimeoutMs }, "ingest: requests still in flight after the drain timeout: their connections are closed");
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
