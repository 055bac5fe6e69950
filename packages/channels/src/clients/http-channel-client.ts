// What every HTTP ChannelClient shares: splitting pushes into the API's batch size, the stand-in
// version header (off unless asked for: only synclag's mocks read it), turning transport errors into
// outcomes, classifying whole-call HTTP failures (429 → rate_limited with Retry-After, 5xx →
// unavailable (with Retry-After when given), 431/414 (request too large) → unavailable,
// 401/403/407/423 → unauthorized, other 4xx → rejected — unless its body is not JSON: a proxy's or CDN's
// page, not the API's answer → unavailable), lookups that put SKUs in the URL paged by length, and counters.
// Easy to get wrong: a whole-call failure is repeated *per item* (the port's contract), and a
// timeout is reported as `timeout` even though the marketplace may have applied the update; and a 2xx
// is success only when its body confirms the operation (`unconfirmed` otherwise).

import type { ChannelClient, ChannelFailureReason, ChannelId, OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { ChannelError } from "../errors.js";
import { UndiciTransport, type HttpReply, type HttpRequest, type HttpTransport } from "../transport.js";

/**
 * Stand-in header carrying the stock versions of a push (real APIs have no such field; synclag's mocks
 * read it for ground truth): one integer for a one-item call, the versions comma-separated in the
 * order of the request body's items for an array body (`7,12,9`), or `sku=version&…` pairs where the
 * body's order is not reliable (Flipkart: an object keyed by SKU, reordered by JS when a SKU looks
 * like a number). In request order a full Shopify batch (250) stays under 5 KB whatever its SKUs.
 */
export const VERSION_HEADER = "x-synclag-version";
export const USER_AGENT = "synclag/0.1.0 (Language=TypeScript; Platform=Node.js)";

export interface HttpChannelClientOptions {
  /** Channel id the engine knows this client by. Default: the marketplace kind. */
  readonly channel?: ChannelId;
  /** Base URL of the marketplace API, e.g. `https://sellingpartnerapi-na.amazon.com` or a mock's URL. */
  readonly baseUrl: string;
  /** Default: a keep-alive `UndiciTransport` owned (and closed) by the client. */
  readonly transport?: HttpTransport;
  /** Per-request budget, ms. Default: the marketplace profile's client timeout. */
  readonly timeoutMs?: number;
  /** Send the stand-in `X-Synclag-Version` header (default false): only for synclag's mock marketplaces. */
  readonly sendVersionHeader?: boolean;
}

export type Failure = Extract<PushOutcome, { ok: false }>;

/** Whole-call refusals about the caller, not the request's items: 401 (token expired), 403, 407 (proxy auth), 423 (account locked). */
const UNAUTHORIZED_STATUSES: ReadonlySet<number> = new Set([401, 403, 407, 423]);
/**
 * Whole-call refusals about the request's size, not its items: 431 (request header fields too large)
 * and 414 (URI too long), from the marketplace or a proxy in front of it. Not a per-item rejection
 * that would give every update of the call up for good.
 */
const TOO_LARGE_STATUSES: ReadonlySet<number> = new Set([414, 431]);

/**
 * Most characters of SKUs (URL-encoded, with their separators) one lookup puts in its URL. Servers refuse
 * long request lines — Apache's default LimitRequestLine is 8190 bytes, nginx's large_client_header_buffers
 * 8 KB, Node's whole header block 16 KB — and a refused lookup retried as is fails the same way forever.
 * 6,000 leaves room for the base URL, the path and the other parameters under the smallest of those; a
 * server with a tighter limit answers 414/431, and the page is split (`lookupInPages`).
 */
export const LOOKUP_URL_BUDGET = 6_000;

/** How a lookup puts SKUs in its URL: at most `maxCount` a call, each `encodedLength(sku)` characters long, joined by `separatorLength` characters. */
export interface LookupPaging {
  readonly maxCount: number;
  readonly encodedLength: (sku: Sku) => number;
  readonly separatorLength: number;
}

/**
 * `skus` in order, in pages of at most `paging.maxCount` whose encoded list stays within `budget`
 * characters; a SKU longer than the budget by itself gets a page of its own.
 */
export function lookupPages(skus: readonly Sku[], paging: LookupPaging, budget: number = LOOKUP_URL_BUDGET): Sku[][] {
  const pages: Sku[][] = [];
  let page: Sku[] = [];
  let length = 0;
  for (const sku of skus) {
    const added = paging.encodedLength(sku) + (page.length > 0 ? paging.separatorLength : 0);
    if (page.length > 0 && (page.length >= paging.maxCount || length + added > budget)) {
      pages.push(page);
      page = [];
      length = 0;
    }
    length += page.length > 0 ? added : paging.encodedLength(sku);
    page.push(sku);
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

export function failure(reason: ChannelFailureReason, message: string, retryAfterMs?: number): Failure {
  return retryAfterMs === undefined ? { ok: false, reason, message } : { ok: false, reason, message, retryAfterMs };
}

/** Longest wait a `Retry-After` may impose (ms): a misconfigured "come back tomorrow" must not park a channel for a day. */
export const RETRY_AFTER_CAP_MS = 600_000;

/** delta-seconds (RFC 9110); decimals accepted because Shopify REST sends `Retry-After: 2.0`. */
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
/** HTTP-date: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT` or the obsolete RFC 850 form `Sunday, 06-Nov-94 08:49:37 GMT`. */
const HTTP_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2}(?:\d{2})? \d{2}:\d{2}:\d{2} GMT$/;
/** The obsolete asctime form `Sun Nov  6 08:49:37 1994` (always GMT). */
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` as delta-seconds or an HTTP date → ms, at most `RETRY_AFTER_CAP_MS`; undefined when
 * absent or anything else (`Number()`/`Date.parse()` alone would take "0x10", "-5" or "5 apples").
 */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === "") return undefined;
  let waitMs: number;
  if (DELTA_SECONDS.test(text)) waitMs = Math.ceil(Number(text) * 1000);
  else if (HTTP_DATE.test(text) || ASCTIME_DATE.test(text)) {
    const at = Date.parse(HTTP_DATE.test(text) ? text : `${text} GMT`);
    if (Number.isNaN(at)) return undefined;
    waitMs = at - nowMs;
  } else return undefined;
  return Math.min(RETRY_AFTER_CAP_MS, Math.max(0, waitMs));
}

export function parseJsonBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return undefined;
  }
}

function isFailure(value: unknown): value is Failure {
  return isRecord(value) && value.ok === false && typeof value.reason === "string";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export abstract class HttpChannelClient implements ChannelClient {
  readonly channel: ChannelId;
  abstract readonly maxBatchSize: number;
  readonly stats = { apiCalls: 0, updateCalls: 0, readCalls: 0, cancelCalls: 0, throttled: 0, serverErrors: 0, timeouts: 0, transportErrors: 0, itemsRejected: 0, stale: 0 };
  protected readonly baseUrl: string;
  protected readonly timeoutMs: number;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly sendVersion: boolean;

  protected constructor(kind: string, options: HttpChannelClientOptions, defaultTimeoutMs: number) {
    this.channel = options.channel ?? kind;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.transport = options.transport ?? new UndiciTransport();
    this.ownsTransport = options.transport === undefined;
    this.sendVersion = options.sendVersionHeader ?? false;
  }

  async setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    for (let i = 0; i < updates.length; i += this.maxBatchSize) {
      const batch = updates.slice(i, i + this.maxBatchSize);
      this.stats.updateCalls += 1;
      const result = await this.pushBatch(batch);
      for (const outcome of result) this.count(outcome);
      outcomes.push(...result);
    }
    return outcomes;
  }

  abstract readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>>;
  abstract cancelOrder(orderId: OrderId, reason: string): Promise<PushOutcome>;

  /** Closes the connection pool if the client created it. */
  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  /** One call of the API's update operation for at most `maxBatchSize` updates; one outcome per update. */
  protected abstract pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]>;

  /** Sends a request; a transport error or timeout comes back as a failure value. */
  protected async call(request: Omit<HttpRequest, "timeoutMs">): Promise<HttpReply | Failure> {
    this.stats.apiCalls += 1;
    try {
      return await this.transport.send({ ...request, headers: { "user-agent": USER_AGENT, accept: "application/json", ...request.headers }, timeoutMs: this.timeoutMs });
    } catch (error) {
      if (error instanceof ChannelError) return failure(error.reason, `${this.channel}: ${error.message}`);
      throw error;
    }
  }

  /** Like `call`, but throws a `ChannelError` for anything but a 2xx/207 reply (reads). */
  protected async callOrThrow(request: Omit<HttpRequest, "timeoutMs">, what: string): Promise<HttpReply> {
    const reply = await this.call(request);
    if ("ok" in reply) throw new ChannelError(reply.reason, `${what}: ${reply.message}`);
    if (reply.status < 200 || reply.status >= 300) {
      const f = this.classifyStatus(reply) ?? failure("rejected", `HTTP ${reply.status}`);
      throw new ChannelError(f.reason, `${this.channel} ${what}: HTTP ${reply.status}: ${f.message}`, f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs });
    }
    return reply;
  }

  /**
   * A lookup of `skus` through calls that put them in the URL: pages built by `lookupPages`; a page
   * answered 414/431 (the URL still too long for this server or a proxy in front of it) is split in two and
   * both halves asked, down to one SKU a call. `send` makes the call for a page; `read` turns its 2xx into
   * the page's result (or a failure). Any other non-2xx (`classifyStatus`) or failure ends the lookup.
   */
  protected async lookupInPages<T>(skus: readonly Sku[], paging: LookupPaging, send: (page: readonly Sku[]) => Promise<HttpReply | Failure>, read: (reply: HttpReply, page: readonly Sku[]) => T | Failure): Promise<T[] | Failure> {
    const results: T[] = [];
    const pending = lookupPages(skus, paging);
    for (let page = pending.shift(); page !== undefined; page = pending.shift()) {
      const reply = await send(page);
      if ("ok" in reply) return reply;
      if (TOO_LARGE_STATUSES.has(reply.status) && page.length > 1) {
        const half = Math.ceil(page.length / 2);
        pending.unshift(page.slice(0, half), page.slice(half));
        continue;
      }
      const whole = this.classifyStatus(reply);
      if (whole) return whole;
      const result = read(reply, page);
      if (isFailure(result)) return result;
      results.push(result);
    }
    return results;
  }

  /**
   * The version header for a call (none unless `sendVersionHeader`): one integer for one update; for
   * more, the versions in `updates`' order — which must be the order of the body's items — or, `by:
   * "sku"`, `sku=version&…` pairs for a body whose item order is not reliable (see `VERSION_HEADER`).
   */
  protected versionHeaders(updates: readonly QuantityUpdate[], by: "position" | "sku" = "position"): Record<string, string> {
    if (!this.sendVersion || updates.length === 0) return {};
    if (updates.length === 1) return { [VERSION_HEADER]: String(updates[0]?.version) };
    if (by === "position") return { [VERSION_HEADER]: updates.map((u) => String(u.version)).join(",") };
    return { [VERSION_HEADER]: new URLSearchParams(updates.map((u): [string, string] => [u.sku, String(u.version)])).toString() };
  }

  /**
   * Whole-call classification shared by every API: 429 → rate_limited (Retry-After or `fallbackRetryMs`),
   * 5xx → unavailable, 431/414 (the request's headers or URL too large) → unavailable, 401/403/407/423
   * → unauthorized (credentials or account: says nothing about the item, so a cancellation must not be
   * given up on it), other non-2xx → rejected; undefined for 2xx/207 (the caller reads the body). Every
   * marketplace API answers its refusals in JSON: an other 4xx whose body is not JSON (a proxy's or CDN's
   * HTML page, an empty body) is not the API's answer and says nothing about the items → unavailable
   * (retried), never a rejection that would give the update up for good.
   */
  protected classifyStatus(reply: HttpReply, fallbackRetryMs = 1_000): Failure | undefined {
    const s = reply.status;
    if (s >= 200 && s < 300) return undefined;
    const snippet = reply.body.length > 300 ? `${reply.body.slice(0, 300)}…` : reply.body;
    if (s === 429) return failure("rate_limited", `${this.channel} throttled (429): ${snippet}`, parseRetryAfter(reply.headers["retry-after"]) ?? fallbackRetryMs);
    // A 503 may say when to come back (maintenance, overload); the outcome carries it like a 429's.
    if (s >= 500 || s === 408) return failure("unavailable", `${this.channel} HTTP ${s}: ${snippet}`, parseRetryAfter(reply.headers["retry-after"]));
    if (UNAUTHORIZED_STATUSES.has(s)) return failure("unauthorized", `${this.channel} HTTP ${s}: ${snippet}`);
    if (TOO_LARGE_STATUSES.has(s)) {
      const what = s === 431 ? "request header fields" : "request URL";
      return failure("unavailable", `${this.channel} HTTP ${s}: the server (or a proxy in front of it) found the ${what} too large — a refusal of the whole call, not of its items: ${snippet}`, parseRetryAfter(reply.headers["retry-after"]));
    }
    if (parseJsonBody(reply) === undefined) {
      return failure("unavailable", `${this.channel} HTTP ${s} whose body is not the API's JSON (a proxy's or CDN's page?) — it says nothing about the items: ${snippet === "" ? "(empty body)" : snippet}`, parseRetryAfter(reply.headers["retry-after"]));
    }
    return failure("rejected", `${this.channel} HTTP ${s}: ${snippet}`);
  }

  /**
   * A 2xx whose body does not confirm the operation (an HTML page from a proxy or a maintenance
   * plugin, an empty body, `data: null`): `unavailable`, never success. Updates are absolute, so the
   * retry this causes is safe; the call may still have been applied, which the retry makes harmless.
   */
  protected unconfirmed(reply: HttpReply, what: string): Failure {
    const snippet = reply.body.length > 200 ? `${reply.body.slice(0, 200)}…` : reply.body;
    return failure("unavailable", `${this.channel} ${what}: the HTTP ${reply.status} reply does not confirm it: ${snippet === "" ? "(empty body)" : snippet}`);
  }

  /** `unconfirmed` as the `ChannelError` a read throws. */
  protected unreadable(reply: HttpReply, what: string): ChannelError {
    const f = this.unconfirmed(reply, what);
    return new ChannelError(f.reason, f.message);
  }

  protected repeat(outcome: PushOutcome, count: number): PushOutcome[] {
    return Array.from({ length: count }, () => outcome);
  }

  protected url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** The marketplace's own order id inside an engine order id (`<channel>:<native>[:<line>]`). */
  protected nativeOrderId(orderId: OrderId): string {
    const prefix = `${this.channel}:`;
    const rest = orderId.startsWith(prefix) ? orderId.slice(prefix.length) : orderId;
    const colon = rest.indexOf(":");
    return colon < 0 ? rest : rest.slice(0, colon);
  }

  private count(outcome: PushOutcome): void {
    if (outcome.ok) return;
    if (outcome.reason === "rate_limited") this.stats.throttled += 1;
    else if (outcome.reason === "unavailable") this.stats.serverErrors += 1;
    else if (outcome.reason === "timeout") this.stats.timeouts += 1;
    else if (outcome.reason === "transport") this.stats.transportErrors += 1;
    else if (outcome.reason === "stale") this.stats.stale += 1;
    else this.stats.itemsRejected += 1;
  }
}
