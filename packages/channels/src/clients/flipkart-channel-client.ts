// Flipkart Marketplace Seller API client: OAuth2 client-credentials token (cached until shortly
// before it expires, refreshed once on a 401), SKU → FSN resolved through the listing read, and
// `POST /sellers/listings/v3/update/inventory` for up to 10 SKUs, body keyed by seller SKU.
// Easy to get wrong: per-SKU FAILURE inside a 200 is a rejection of that SKU only; WARNING is success;
// and INVALID_PRODUCT_ID means the cached FSN is stale (the listing was re-created): it is dropped and
// the SKU read again on the next push, instead of being rejected for good. A listing read whose 200 is
// not the API's JSON (a proxy's page) says nothing about the SKUs: unavailable, not "no listing".

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import type { HttpReply, HttpRequest } from "../transport.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions } from "./http-channel-client.js";

export interface FlipkartClientCredentials {
  readonly appId: string;
  readonly appSecret: string;
  /** Seller location id (`LOC…`) whose inventory is set. */
  readonly locationId: string;
}

export interface FlipkartChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: FlipkartClientCredentials;
  /** Token endpoint base URL when it differs from `baseUrl` (Flipkart's is on api.flipkart.net). */
  readonly tokenBaseUrl?: string;
}

const TOKEN_MARGIN_MS = 60_000;
/** The per-SKU error of an update whose `product_id` is not the listing's FSN. */
const INVALID_PRODUCT_ID = "INVALID_PRODUCT_ID";

export class FlipkartChannelClient extends HttpChannelClient {
  readonly maxBatchSize = DEFAULT_PROFILES.flipkart.maxBatchSize;
  private readonly credentials: FlipkartClientCredentials;
  private readonly tokenBaseUrl: string;
  private token: { value: string; expiresAtMs: number } | undefined;
  private readonly fsns = new Map<Sku, string>();

  constructor(options: FlipkartChannelClientOptions) {
    super("flipkart", options, DEFAULT_PROFILES.flipkart.clientTimeoutMs);
    this.credentials = options.credentials;
    this.tokenBaseUrl = (options.tokenBaseUrl ?? options.baseUrl).replace(/\/+$/, "");
  }

  private async bearer(): Promise<string | Failure> {
    if (this.token && this.token.expiresAtMs > Date.now()) return this.token.value;
    const basic = Buffer.from(`${this.credentials.appId}:${this.credentials.appSecret}`).toString("base64");
    const reply = await this.call({ method: "GET", url: `${this.tokenBaseUrl}/oauth-service/oauth/token?grant_type=client_credentials&scope=Seller_Api`, headers: { authorization: `Basic ${basic}` } });
    if ("ok" in reply) return reply;
    const whole = this.classifyStatus(reply);
    if (whole) return { ...whole, message: `flipkart token: ${whole.message}` };
    const parsed = parseJsonBody(reply);
    if (!isRecord(parsed) || typeof parsed.access_token !== "string") return failure("unavailable", "flipkart token: reply without access_token");
    const lifetimeMs = (typeof parsed.expires_in === "number" ? parsed.expires_in : 3600) * 1000;
    this.token = { value: parsed.access_token, expiresAtMs: Date.now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) };
    return this.token.value;
  }

  /** A call with the bearer token; on 401 the token is refreshed once and the call repeated. */
  private async authorized(request: Omit<HttpRequest, "timeoutMs" | "headers"> & { headers?: Record<string, string> }): Promise<HttpReply | Failure> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.bearer();
      if (typeof token !== "string") return token;
      const reply = await this.call({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } });
      if ("ok" in reply || reply.status !== 401 || attempt === 1) return reply;
      this.token = undefined;
    }
    return failure("unauthorized", "flipkart: unauthorized");
  }

  /** The listing read, `GET /sellers/listings/v3/a,b,…` in pages of at most 10 whose URL fits the server (split further on 414/431). */
  private async listings(skus: readonly Sku[]): Promise<Map<Sku, number> | Failure> {
    const quantities = new Map<Sku, number>();
    const pages = await this.lookupInPages(
      skus,
      { maxCount: this.maxBatchSize, encodedLength: (sku) => encodeURIComponent(sku).length, separatorLength: 1 },
      (page) => this.authorized({ method: "GET", url: this.url(`/sellers/listings/v3/${page.map(encodeURIComponent).join(",")}`) }),
      (reply) => {
        const parsed = parseJsonBody(reply);
        // The listing read answers `{available: {sku: …}, invalid: […]}`; without either it says nothing about
        // the SKUs (a proxy's page, a truncated body) — not "no listing", which would reject the pushes for good.
        if (!isRecord(parsed) || !(isRecord(parsed.available) || Array.isArray(parsed.invalid) || isRecord(parsed.invalid))) return this.unconfirmed(reply, "listing read");
        const available = isRecord(parsed.available) ? parsed.available : {};
        for (const [sku, listing] of Object.entries(available)) {
          if (!isRecord(listing)) continue;
          if (typeof listing.product_id === "string") this.fsns.set(sku, listing.product_id);
          const locations = Array.isArray(listing.locations) ? listing.locations.filter(isRecord) : [];
          const here = locations.find((l) => l.id === this.credentials.locationId);
          if (typeof here?.inventory === "number") quantities.set(sku, here.inventory);
        }
        return true;
      },
    );
    return "ok" in pages ? pages : quantities;
  }

  protected async pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const missing = updates.map((u) => u.sku).filter((s) => !this.fsns.has(s));
    if (missing.length > 0) {
      const resolved = await this.listings(missing);
      if ("ok" in resolved) return this.repeat(resolved, updates.length);
    }
    const body: Record<string, unknown> = {};
    const sentFsns = new Map<Sku, string>();
    for (const u of updates) {
      const fsn = this.fsns.get(u.sku);
      if (fsn !== undefined) sentFsns.set(u.sku, fsn);
    }
    const sendable = updates.filter((u) => sentFsns.has(u.sku));
    for (const u of sendable) body[u.sku] = { product_id: sentFsns.get(u.sku), locations: [{ id: this.credentials.locationId, status: "ENABLED", inventory: u.quantity }] };
    let results: Record<string, unknown> = {};
    let whole: Failure | undefined;
    if (sendable.length > 0) {
      const reply = await this.authorized({ method: "POST", url: this.url("/sellers/listings/v3/update/inventory"), headers: { "content-type": "application/json", ...this.versionHeaders(sendable, "sku") }, body: JSON.stringify(body) });
      whole = "ok" in reply ? reply : this.classifyStatus(reply);
      if (!whole) {
        const parsed = parseJsonBody(reply as HttpReply);
        if (isRecord(parsed)) results = parsed;
        else whole = this.unconfirmed(reply as HttpReply, "inventory update");
      }
    }
    return updates.map((u) => {
      const fsn = sentFsns.get(u.sku);
      if (fsn === undefined) return failure("rejected", `flipkart: no listing for seller SKU ${JSON.stringify(u.sku)}`);
      if (whole) return whole;
      const r = results[u.sku];
      if (!isRecord(r)) return failure("unavailable", `flipkart: no result for ${u.sku}`);
      if (r.status === "SUCCESS" || r.status === "WARNING") return { ok: true };
      const errors = [...(Array.isArray(r.errors) ? r.errors : []), ...(Array.isArray(r.attribute_errors) ? r.attribute_errors : [])].filter(isRecord);
      const detail = `flipkart ${String(r.status)}: ${errors.map((e) => `${String(e.code)}: ${String(e.description)}`).join("; ")}`;
      if (!errors.some((e) => e.code === INVALID_PRODUCT_ID)) return failure("rejected", detail);
      // Retryable: the next push reads the listing again, and is rejected if the SKU has none.
      if (this.fsns.get(u.sku) === fsn) this.fsns.delete(u.sku);
      return failure("unavailable", `${detail} (FSN ${fsn}, cached for SKU ${JSON.stringify(u.sku)}, is stale; the SKU is looked up again)`);
    });
  }

  async readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    this.stats.readCalls += 1;
    const result = await this.listings(skus);
    if (!(result instanceof Map)) throw new ChannelError(result.reason, `flipkart read: ${result.message}`, result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs });
    return result;
  }

  async cancelOrder(orderId: OrderId): Promise<PushOutcome> {
    this.stats.cancelCalls += 1;
    const native = this.nativeOrderId(orderId);
    const reply = await this.authorized({ method: "POST", url: this.url("/sellers/v3/shipments/cancel"), headers: { "content-type": "application/json" }, body: JSON.stringify({ shipments: [{ orderId: native, reason: "not_enough_inventory" }] }) });
    if ("ok" in reply) return reply;
    const whole = this.classifyStatus(reply);
    if (whole) return whole;
    const parsed = parseJsonBody(reply);
    const first = isRecord(parsed) && Array.isArray(parsed.shipments) ? parsed.shipments.find(isRecord) : undefined;
    return first?.status === "SUCCESS" ? { ok: true } : failure("rejected", `flipkart cancel: ${String(first?.errorMessage ?? "failed")}`);
  }
}
