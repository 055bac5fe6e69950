// Amazon SP-API Listings Items 2021-08-01 client: one `patchListingsItem` per SKU setting
// `fulfillment_availability` (DEFAULT channel), `getListingsItem` for reads, and the mock's stand-in
// cancellation (SP-API cancels MFN orders through an order-acknowledgement feed).
// Easy to get wrong: HTTP 200 is not success — `status: "INVALID"` inside it is a rejection; and a
// 429 carries no Retry-After, so the wait comes from the last `x-amzn-RateLimit-Limit` (requests/s).
// A read is "no listing" only on SP-API's own 404 (its JSON `errors` list): a 200 that is not a listings
// item or a 404 that is not SP-API's (a proxy's or CDN's page) says nothing about the listing — a read
// throws unavailable, a push is unavailable (retried), never "no listing" (skipped, or rejected for good).

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import type { HttpReply } from "../transport.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions } from "./http-channel-client.js";

export interface AmazonClientCredentials {
  readonly sellerId: string;
  readonly marketplaceId: string;
  /** LWA access token (`x-amz-access-token`). */
  readonly accessToken: string;
}

export interface AmazonChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: AmazonClientCredentials;
  /** Product type sent with patches. Default "PRODUCT". */
  readonly productType?: string;
}

export const AMAZON_CANCEL_STAND_IN_PATH = "/_synclag/stand-in/amazon/orders";

export class AmazonChannelClient extends HttpChannelClient {
  readonly maxBatchSize = 1;
  private readonly credentials: AmazonClientCredentials;
  private readonly productType: string;
  /** Requests per second from the last `x-amzn-RateLimit-Limit` (documented default 5). */
  private rateLimitPerSecond = 5;

  constructor(options: AmazonChannelClientOptions) {
    super("amazon", options, DEFAULT_PROFILES.amazon.clientTimeoutMs);
    this.credentials = options.credentials;
    this.productType = options.productType ?? "PRODUCT";
  }

  private itemPath(sku: Sku, includedData: string): string {
    const q = new URLSearchParams({ marketplaceIds: this.credentials.marketplaceId, includedData });
    return `/listings/2021-08-01/items/${encodeURIComponent(this.credentials.sellerId)}/${encodeURIComponent(sku)}?${q.toString()}`;
  }

  private headers(): Record<string, string> {
    return { "x-amz-access-token": this.credentials.accessToken };
  }

  protected async pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    for (const update of updates) outcomes.push(await this.pushOne(update));
    return outcomes;
  }

  private async pushOne(update: QuantityUpdate): Promise<PushOutcome> {
    const body = JSON.stringify({
      productType: this.productType,
      patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: update.quantity }] }],
    });
    const reply = await this.call({ method: "PATCH", url: this.url(this.itemPath(update.sku, "issues")), headers: { ...this.headers(), "content-type": "application/json", ...this.versionHeaders([update]) }, body });
    if ("ok" in reply) return reply;
    const limit = Number(reply.headers["x-amzn-ratelimit-limit"]);
    if (Number.isFinite(limit) && limit > 0) this.rateLimitPerSecond = limit;
    if (reply.status === 404 && !isSpApiError(reply)) return this.notSpApi(reply, `update of ${update.sku}`);
    const whole = this.classifyStatus(reply, Math.ceil(1000 / this.rateLimitPerSecond));
    if (whole) return whole;
    const parsed = parseJsonBody(reply);
    if (!isRecord(parsed)) return failure("unavailable", `amazon: unreadable 200 reply: ${reply.body.slice(0, 200)}`);
    if (parsed.status === "ACCEPTED" || parsed.status === "VALID") return { ok: true };
    const issues = Array.isArray(parsed.issues) ? parsed.issues.filter(isRecord).map((i) => `${String(i.code)}: ${String(i.message)}`) : [];
    return failure("rejected", `amazon ${String(parsed.status)}: ${issues.join("; ") || "no issues given"}`);
  }

  async readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    const result = new Map<Sku, number>();
    for (const sku of skus) {
      this.stats.readCalls += 1;
      const reply = await this.call({ method: "GET", url: this.url(this.itemPath(sku, "fulfillmentAvailability")), headers: this.headers() });
      if ("ok" in reply) throw new ChannelError(reply.reason, `amazon read ${sku}: ${reply.message}`);
      if (reply.status === 404) {
        if (isSpApiError(reply)) continue;
        const f = this.notSpApi(reply, `read ${sku}`);
        throw new ChannelError(f.reason, f.message);
      }
      const whole = this.classifyStatus(reply);
      if (whole) throw new ChannelError(whole.reason, `amazon read ${sku}: ${whole.message}`, whole.retryAfterMs === undefined ? {} : { retryAfterMs: whole.retryAfterMs });
      const parsed = parseJsonBody(reply);
      // A listings item names its SKU (`sku` is required in the model); anything else (a proxy's page, a
      // truncated body) says nothing about the listing — not "no listing", which would skip its repair.
      if (!isRecord(parsed) || (typeof parsed.sku !== "string" && !Array.isArray(parsed.fulfillmentAvailability))) throw this.unreadable(reply, `read ${sku}`);
      const entries = Array.isArray(parsed.fulfillmentAvailability) ? parsed.fulfillmentAvailability.filter(isRecord) : [];
      const entry = entries.find((e) => e.fulfillmentChannelCode === "DEFAULT");
      if (entry && typeof entry.quantity === "number") result.set(sku, entry.quantity);
    }
    return result;
  }

  /** A 404 that is not SP-API's: from a proxy, a CDN or a wrong base URL, not about the listing. */
  private notSpApi(reply: HttpReply, what: string): Failure {
    const snippet = reply.body.length > 200 ? `${reply.body.slice(0, 200)}…` : reply.body;
    return failure("unavailable", `amazon ${what}: HTTP 404 without SP-API's errors list (a proxy's or CDN's page, or a wrong base URL?) says nothing about the listing: ${snippet === "" ? "(empty body)" : snippet}`);
  }

  async cancelOrder(orderId: OrderId, reason: string): Promise<PushOutcome> {
    this.stats.cancelCalls += 1;
    const native = this.nativeOrderId(orderId);
    const reply = await this.call({ method: "POST", url: this.url(`${AMAZON_CANCEL_STAND_IN_PATH}/${encodeURIComponent(native)}/cancel`), headers: { ...this.headers(), "content-type": "application/json" }, body: JSON.stringify({ reason }) });
    if ("ok" in reply) return reply;
    const whole = this.classifyStatus(reply);
    if (whole) return whole;
    // Confirmed only by the order's cancelled status (a proxy's 200 page is no cancellation).
    const parsed = parseJsonBody(reply);
    return isRecord(parsed) && parsed.status === "Canceled" ? { ok: true } : this.unconfirmed(reply, "cancel");
  }
}

/** SP-API's error reply: `{errors: [{code, message, details?}]}` (the `ErrorList` of its models). */
function isSpApiError(reply: HttpReply): boolean {
  const parsed = parseJsonBody(reply);
  return isRecord(parsed) && Array.isArray(parsed.errors) && parsed.errors.some((e) => isRecord(e) && typeof e.code === "string");
}
