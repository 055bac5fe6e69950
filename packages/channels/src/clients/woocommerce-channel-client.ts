// WooCommerce REST API v3 client: SKUs resolved to product ids once (`GET /products?sku=a,b`, pages kept
// short enough for the server's URL limit), one
// `PUT /products/{id}` for a single update or `POST /products/batch` for up to 100, order
// cancellation with `PUT /orders/{id} {status: "cancelled"}`. HTTP Basic with the consumer key/secret.
// Easy to get wrong: per-item failures arrive inside a 200 (`update[i].error`, with the HTTP status
// the item would have had in `data.status` — 5xx/429 there are retryable), in request order; and a
// 200 from a WordPress host may be a theme's or a maintenance plugin's HTML page — success needs the
// JSON that confirms it: the product with the id *and* SKU sent. A cached id goes stale when the SKU
// moves to another product (the update then lands on that product) or the product is re-created (404
// `woocommerce_rest_product_invalid_id`): the id is dropped and the SKU looked up again next push.

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions, type LookupPaging } from "./http-channel-client.js";

export interface WooCommerceClientCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
}

export interface WooCommerceChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: WooCommerceClientCredentials;
}

const BASE = "/wp-json/wc/v3";
const PAGE = 100;
/** The `sku` parameter is form-encoded (`%2C` between SKUs): what each SKU costs in the lookup's URL. */
const LOOKUP_PAGING: LookupPaging = { maxCount: PAGE, encodedLength: (sku) => new URLSearchParams([["", sku]]).toString().length - 1, separatorLength: 3 };
/** The error code of an update addressed to a product id that does not exist (404, or inside a batch). */
const INVALID_PRODUCT_ID = "woocommerce_rest_product_invalid_id";

/** An update with the product id cached for its SKU. */
interface Sendable {
  readonly update: QuantityUpdate;
  readonly index: number;
  readonly id: number;
}

export class WooCommerceChannelClient extends HttpChannelClient {
  readonly maxBatchSize = DEFAULT_PROFILES.woocommerce.maxBatchSize;
  private readonly authorization: string;
  private readonly productIds = new Map<Sku, number>();

  constructor(options: WooCommerceChannelClientOptions) {
    super("woocommerce", options, DEFAULT_PROFILES.woocommerce.clientTimeoutMs);
    this.authorization = `Basic ${Buffer.from(`${options.credentials.consumerKey}:${options.credentials.consumerSecret}`).toString("base64")}`;
  }

  /**
   * The products with these SKUs, `GET /products?sku=a,b,…` in pages of at most 100 whose URL stays
   * short enough for the server (WooCommerce SKUs run to 100 characters: a full page of them would pass
   * Apache's and nginx's 8 KB request line), split further if the server still answers 414/431.
   */
  private async products(skus: readonly Sku[]): Promise<Record<string, unknown>[] | Failure> {
    const pages = await this.lookupInPages(
      skus,
      LOOKUP_PAGING,
      (page) => {
        const query = new URLSearchParams({ sku: page.join(","), per_page: String(PAGE) });
        return this.call({ method: "GET", url: this.url(`${BASE}/products?${query.toString()}`), headers: { authorization: this.authorization } });
      },
      (reply) => {
        const parsed = parseJsonBody(reply);
        // Anything but a JSON list says nothing about the SKUs — not "none exist", which would reject them for good.
        return Array.isArray(parsed) ? parsed.filter(isRecord) : this.unconfirmed(reply, "product lookup");
      },
    );
    if ("ok" in pages) return pages;
    const found = pages.flat();
    for (const p of found) if (typeof p.sku === "string" && typeof p.id === "number") this.productIds.set(p.sku, p.id);
    return found;
  }

  protected async pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const missing = updates.map((u) => u.sku).filter((s) => !this.productIds.has(s));
    if (missing.length > 0) {
      const resolved = await this.products(missing);
      if ("ok" in resolved) return this.repeat(resolved, updates.length);
    }
    const outcomes: (PushOutcome | undefined)[] = updates.map((u) => (this.productIds.has(u.sku) ? undefined : failure("rejected", `woocommerce: no product with SKU ${JSON.stringify(u.sku)}`)));
    const sendable = updates.map((update, index) => ({ update, index, id: this.productIds.get(update.sku) })).filter((s): s is Sendable => s.id !== undefined);
    if (sendable.length === 1) {
      const [only] = sendable as [Sendable];
      const reply = await this.call({ method: "PUT", url: this.url(`${BASE}/products/${only.id}`), headers: { authorization: this.authorization, "content-type": "application/json", ...this.versionHeaders([only.update]) }, body: JSON.stringify({ manage_stock: true, stock_quantity: only.update.quantity }) });
      if ("ok" in reply) outcomes[only.index] = reply;
      else {
        const parsed = parseJsonBody(reply);
        if (reply.status === 404 && isRecord(parsed) && parsed.code === INVALID_PRODUCT_ID) outcomes[only.index] = this.staleId(only, `is gone (404 ${INVALID_PRODUCT_ID})`);
        else outcomes[only.index] = this.classifyStatus(reply) ?? (isRecord(parsed) && "id" in parsed ? this.productOutcome(only, parsed) : this.unconfirmed(reply, `product ${only.id} update`));
      }
    } else if (sendable.length > 1) {
      const body = JSON.stringify({ update: sendable.map((s) => ({ id: s.id, manage_stock: true, stock_quantity: s.update.quantity })) });
      const reply = await this.call({ method: "POST", url: this.url(`${BASE}/products/batch`), headers: { authorization: this.authorization, "content-type": "application/json", ...this.versionHeaders(sendable.map((s) => s.update)) }, body });
      const whole = "ok" in reply ? reply : this.classifyStatus(reply);
      if (whole || "ok" in reply) for (const s of sendable) outcomes[s.index] = whole ?? failure("unavailable", "woocommerce: no reply");
      else {
        const parsed = parseJsonBody(reply);
        const results = isRecord(parsed) && Array.isArray(parsed.update) ? parsed.update : [];
        sendable.forEach((s, position) => {
          const item = results[position];
          if (!isRecord(item)) outcomes[s.index] = failure("unavailable", "woocommerce batch: missing item result");
          else if (isRecord(item.error)) outcomes[s.index] = item.error.code === INVALID_PRODUCT_ID ? this.staleId(s, `is gone (batch item ${INVALID_PRODUCT_ID})`) : itemFailure(item.error);
          else outcomes[s.index] = this.productOutcome(s, item);
        });
      }
    }
    return outcomes.map((o) => o ?? failure("rejected", "woocommerce: no outcome"));
  }

  /** Success only when the product returned is the one sent to and still holds the SKU it was looked up by. */
  private productOutcome(sent: Sendable, product: Record<string, unknown>): PushOutcome {
    if (product.id === sent.id && product.sku === sent.update.sku) return { ok: true };
    return this.staleId(sent, `answered as product ${JSON.stringify(product.id)} with SKU ${JSON.stringify(product.sku)} (if the SKU moved to another product, this update set the stock of the product that now has the id)`);
  }

  /**
   * Drops the id cached for the update's SKU — unless a lookup replaced it meanwhile — and reports the
   * update retryable: the next push looks the SKU up again, and is rejected if no product has it.
   */
  private staleId(sent: Sendable, detail: string): Failure {
    if (this.productIds.get(sent.update.sku) === sent.id) this.productIds.delete(sent.update.sku);
    return failure("unavailable", `woocommerce: product ${sent.id}, cached for SKU ${JSON.stringify(sent.update.sku)}, ${detail}; the SKU is looked up again`);
  }

  async readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    this.stats.readCalls += 1;
    const found = await this.products(skus);
    if ("ok" in found) throw new ChannelError(found.reason, `woocommerce read: ${found.message}`, found.retryAfterMs === undefined ? {} : { retryAfterMs: found.retryAfterMs });
    const result = new Map<Sku, number>();
    for (const p of found) if (typeof p.sku === "string" && typeof p.stock_quantity === "number" && skus.includes(p.sku)) result.set(p.sku, p.stock_quantity);
    return result;
  }

  async cancelOrder(orderId: OrderId): Promise<PushOutcome> {
    this.stats.cancelCalls += 1;
    const native = this.nativeOrderId(orderId);
    const reply = await this.call({ method: "PUT", url: this.url(`${BASE}/orders/${encodeURIComponent(native)}`), headers: { authorization: this.authorization, "content-type": "application/json" }, body: JSON.stringify({ status: "cancelled" }) });
    if ("ok" in reply) return reply;
    const parsed = parseJsonBody(reply);
    const confirmed = isRecord(parsed) && parsed.status === "cancelled";
    return this.classifyStatus(reply) ?? (confirmed ? { ok: true } : this.unconfirmed(reply, `order ${native} cancellation`));
  }
}

/** One batch item's `error`: its `data.status` says whether the item failed for good (4xx) or the server did (5xx, 429). */
function itemFailure(error: Record<string, unknown>): Failure {
  const message = `woocommerce ${String(error.code)}: ${String(error.message)}`;
  const status = isRecord(error.data) && typeof error.data.status === "number" ? error.data.status : undefined;
  if (status === 429) return failure("rate_limited", message);
  if (status !== undefined && status >= 500) return failure("unavailable", message);
  return failure("rejected", message);
}
