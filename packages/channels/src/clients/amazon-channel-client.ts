// Amazon SP-API Listings Items 2021-08-01 client: one `patchListingsItem` per SKU setting
// `fulfillment_availability` (DEFAULT channel), `searchListingsItems` for reads — up to 20 SKUs a call
// (`identifiers`, `identifiersType=SKU`, `includedData=fulfillmentAvailability`, `pageSize=20`) — and the
// mock's stand-in cancellation (SP-API cancels MFN orders through an order-acknowledgement feed).
// Easy to get wrong: HTTP 200 is not success — `status: "INVALID"` inside it is a rejection; and a
// 429 carries no Retry-After, so the wait comes from the last `x-amzn-RateLimit-Limit` (requests/s).
// A search leaves a SKU without a listing out of its `items`: only a SKU absent from a valid
// `ItemSearchResults` (an `items` list) is "no listing". A 200 that is not search results, a 404 that
// is not SP-API's (a proxy's or CDN's page) and SP-API's own 404 to a search (about the request, not a
// SKU) say nothing about the listings — the read throws, never "no listing", which would skip repairs.
// A search that pages anyway (`nextToken`) is followed: a SKU may be on the next page. A SKU with a
// comma cannot go in the comma-delimited `identifiers` (it would be split in two): it is read alone with
// `getListingsItem`, where SP-API's own 404 (its JSON `errors` list) is "no listing". Search URLs are
// paged by length too, and a page refused 414/431 is split (`lookupInPages`).
// A push answered with a non-SP-API 404 is unavailable (retried), never rejected for good.

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import type { HttpReply } from "../transport.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions, type LookupPaging } from "./http-channel-client.js";

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

/** SKUs one `searchListingsItems` takes (`identifiers`: maxItems 20), asked with the largest `pageSize` (20) so one call answers them all. */
const SEARCH_MAX_SKUS = 20;
/** Search pages: at most 20 SKUs, URL-encoded and joined by literal commas, within the lookup URL budget. */
const SEARCH_PAGING: LookupPaging = { maxCount: SEARCH_MAX_SKUS, encodedLength: (sku) => encodeURIComponent(sku).length, separatorLength: 1 };

/** What one search reply says: the quantities of the SKUs asked that it lists, and the next page's token if any. */
interface SearchPage {
  readonly skus: readonly Sku[];
  readonly found: ReadonlyMap<Sku, number>;
  readonly nextToken?: string;
}

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
    const searchable = skus.filter((sku) => !sku.includes(","));
    if (searchable.length > 0) {
      const pages = await this.lookupInPages(searchable, SEARCH_PAGING, (page) => this.search(page), (reply, page) => this.searchResults(reply, page));
      if ("ok" in pages) throw readError(pages);
      for (let page of pages) {
        for (const [sku, quantity] of page.found) result.set(sku, quantity);
        // Asked with pageSize 20 for at most 20 SKUs, a search fits one page; a server that pages anyway
        // has the SKUs missing here on the next page. Each page lists at least one of them or it is not
        // progress: more follow-ups than SKUs asked is a search that never ends.
        for (let followUps = 0; page.nextToken !== undefined; followUps++) {
          if (followUps >= page.skus.length) throw new ChannelError("unavailable", `amazon read: searchListingsItems for ${page.skus.length} SKUs is still paging after ${followUps} more pages`);
          const reply = await this.search(page.skus, page.nextToken);
          if ("ok" in reply) throw readError(reply);
          const whole = this.classifyStatus(reply);
          if (whole) throw readError(whole);
          const next = this.searchResults(reply, page.skus);
          if ("ok" in next) throw readError(next);
          for (const [sku, quantity] of next.found) result.set(sku, quantity);
          page = next;
        }
      }
    }
    // A comma would split the SKU in the comma-delimited `identifiers`: read alone.
    for (const sku of skus) if (sku.includes(",")) await this.readOne(sku, result);
    return result;
  }

  /** One `searchListingsItems` call for `skus` (a page of `pageToken`); a 404 that is not SP-API's comes back as a failure. */
  private async search(skus: readonly Sku[], pageToken?: string): Promise<HttpReply | Failure> {
    this.stats.readCalls += 1;
    const q = new URLSearchParams({ marketplaceIds: this.credentials.marketplaceId, identifiersType: "SKU", includedData: "fulfillmentAvailability", pageSize: String(SEARCH_MAX_SKUS) });
    if (pageToken !== undefined) q.set("pageToken", pageToken);
    // Literal commas between the encoded SKUs (a comma inside a SKU never gets here).
    const url = this.url(`/listings/2021-08-01/items/${encodeURIComponent(this.credentials.sellerId)}?identifiers=${skus.map(encodeURIComponent).join(",")}&${q.toString()}`);
    const reply = await this.call({ method: "GET", url, headers: this.headers() });
    // SP-API's own 404 goes on to `classifyStatus` (rejected: about the request — a search answers an
    // unlisted SKU by leaving it out of a 200); anyone else's says nothing at all.
    if (!("ok" in reply) && reply.status === 404 && !isSpApiError(reply)) return this.notSpApi(reply, `search of ${skus.length} SKUs`);
    return reply;
  }

  /** A 2xx search reply: `ItemSearchResults` or unreadable (never "no listings"). */
  private searchResults(reply: HttpReply, skus: readonly Sku[]): SearchPage | Failure {
    const parsed = parseJsonBody(reply);
    // Search results carry an `items` list (required in the model); anything else (a proxy's page, a
    // truncated body, a listings item) says nothing about the SKUs — not "no listing", which would skip their repair.
    if (!isRecord(parsed) || !Array.isArray(parsed.items)) return this.unconfirmed(reply, "searchListingsItems read");
    const asked = new Set(skus);
    const found = new Map<Sku, number>();
    for (const item of parsed.items) {
      if (!isRecord(item) || typeof item.sku !== "string" || !asked.has(item.sku)) continue;
      const quantity = defaultQuantity(item);
      if (quantity !== undefined) found.set(item.sku, quantity);
    }
    const token = isRecord(parsed.pagination) ? parsed.pagination.nextToken : undefined;
    return typeof token === "string" && token !== "" ? { skus, found, nextToken: token } : { skus, found };
  }

  /** `getListingsItem` for one SKU (one with a comma): SP-API's own 404 is no listing. */
  private async readOne(sku: Sku, result: Map<Sku, number>): Promise<void> {
    this.stats.readCalls += 1;
    const reply = await this.call({ method: "GET", url: this.url(this.itemPath(sku, "fulfillmentAvailability")), headers: this.headers() });
    if ("ok" in reply) throw new ChannelError(reply.reason, `amazon read ${sku}: ${reply.message}`);
    if (reply.status === 404) {
      if (isSpApiError(reply)) return;
      const f = this.notSpApi(reply, `read ${sku}`);
      throw new ChannelError(f.reason, f.message);
    }
    const whole = this.classifyStatus(reply);
    if (whole) throw new ChannelError(whole.reason, `amazon read ${sku}: ${whole.message}`, whole.retryAfterMs === undefined ? {} : { retryAfterMs: whole.retryAfterMs });
    const parsed = parseJsonBody(reply);
    // A listings item names its SKU (`sku` is required in the model); anything else (a proxy's page, a
    // truncated body) says nothing about the listing — not "no listing", which would skip its repair.
    if (!isRecord(parsed) || (typeof parsed.sku !== "string" && !Array.isArray(parsed.fulfillmentAvailability))) throw this.unreadable(reply, `read ${sku}`);
    const quantity = defaultQuantity(parsed);
    if (quantity !== undefined) result.set(sku, quantity);
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

/** The quantity of a listings item's DEFAULT (merchant-fulfilled) availability; undefined without one. */
function defaultQuantity(item: Record<string, unknown>): number | undefined {
  const entries = Array.isArray(item.fulfillmentAvailability) ? item.fulfillmentAvailability.filter(isRecord) : [];
  const entry = entries.find((e) => e.fulfillmentChannelCode === "DEFAULT");
  return entry && typeof entry.quantity === "number" ? entry.quantity : undefined;
}

function readError(f: Failure): ChannelError {
  return new ChannelError(f.reason, `amazon read: ${f.message}`, f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs });
}

/** SP-API's error reply: `{errors: [{code, message, details?}]}` (the `ErrorList` of its models). */
function isSpApiError(reply: HttpReply): boolean {
  const parsed = parseJsonBody(reply);
  return isRecord(parsed) && Array.isArray(parsed.errors) && parsed.errors.some((e) => isRecord(e) && typeof e.code === "string");
}
