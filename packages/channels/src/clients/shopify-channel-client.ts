// Shopify Admin API client. GraphQL (default): `inventorySetQuantities` for up to 250 SKUs per call
// with compare-and-set (`changeFromQuantity` = the quantity this client last saw for the SKU), ids
// and reads through `inventoryItems(query: "sku:…")`, `orderCancel`; throttling read from
// `extensions.cost.throttleStatus`. REST (legacy, `api: "rest"`): `inventory_levels/set.json`, one
// SKU per call, 429 + `Retry-After`.
// Easy to get wrong: a throttled GraphQL call may come back as HTTP 200 with `THROTTLED` in `errors`;
// and after a STALE user error the cached quantity is wrong — it is dropped, and the next push of
// that SKU re-reads the current quantity before it compares again.

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions } from "./http-channel-client.js";
import type { HttpReply } from "../transport.js";

export interface ShopifyClientCredentials {
  /** Admin API access token (`X-Shopify-Access-Token`). */
  readonly accessToken: string;
  /** e.g. "2025-01". */
  readonly apiVersion: string;
  /** Numeric id of the location whose `available` quantity is set. */
  readonly locationId: string;
}

export interface ShopifyChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: ShopifyClientCredentials;
  /** Default "graphql". */
  readonly api?: "graphql" | "rest";
  /** Send `changeFromQuantity` (compare-and-set) when the current quantity is known. Default true. */
  readonly compareAndSet?: boolean;
}

const SET_MUTATION = `mutation SynclagSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id changes { name quantityAfterChange item { id sku } } }
    userErrors { code field message }
  }
}`;

const ITEMS_QUERY = `query SynclagInventoryItems($first: Int!, $query: String!, $locationId: ID!) {
  inventoryItems(first: $first, query: $query) {
    nodes { id sku inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } } }
  }
}`;

const CANCEL_MUTATION = `mutation SynclagOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}`;

const STALE_CODES = new Set(["CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"]);
const MAX_PAGE = 250;

interface Known {
  readonly gid: string;
  /** Last quantity seen (read or set); absent after a stale error until re-read. */
  quantity?: number;
}

function skuQuery(skus: readonly Sku[]): string {
  return skus.map((s) => `sku:${JSON.stringify(s)}`).join(" OR ");
}

export class ShopifyChannelClient extends HttpChannelClient {
  readonly maxBatchSize: number;
  private readonly credentials: ShopifyClientCredentials;
  private readonly api: "graphql" | "rest";
  private readonly compareAndSet: boolean;
  private readonly known = new Map<Sku, Known>();

  constructor(options: ShopifyChannelClientOptions) {
    super("shopify", options, DEFAULT_PROFILES.shopify.clientTimeoutMs);
    this.credentials = options.credentials;
    this.api = options.api ?? "graphql";
    this.compareAndSet = options.compareAndSet ?? true;
    this.maxBatchSize = this.api === "rest" ? 1 : DEFAULT_PROFILES.shopify.maxBatchSize;
  }

  private get locationGid(): string {
    return `gid://shopify/Location/${this.credentials.locationId}`;
  }

  private graphqlRequest(query: string, variables: Record<string, unknown>, extraHeaders: Record<string, string> = {}) {
    return this.call({
      method: "POST",
      url: this.url(`/admin/api/${this.credentials.apiVersion}/graphql.json`),
      headers: { "x-shopify-access-token": this.credentials.accessToken, "content-type": "application/json", ...extraHeaders },
      body: JSON.stringify({ query, variables }),
    });
  }

  /** THROTTLED (status 200 or 429) or another top-level GraphQL error, as a whole-call failure. */
  private graphqlFailure(reply: HttpReply, parsed: unknown): Failure | undefined {
    const errors = isRecord(parsed) ? parsed.errors : undefined;
    const throttled = Array.isArray(errors) && errors.some((e) => isRecord(e) && isRecord(e.extensions) && e.extensions.code === "THROTTLED");
    if (throttled || reply.status === 429) {
      const cost = isRecord(parsed) && isRecord(parsed.extensions) && isRecord(parsed.extensions.cost) ? parsed.extensions.cost : undefined;
      const status = cost && isRecord(cost.throttleStatus) ? cost.throttleStatus : undefined;
      const requested = typeof cost?.requestedQueryCost === "number" ? cost.requestedQueryCost : 10;
      const available = typeof status?.currentlyAvailable === "number" ? status.currentlyAvailable : 0;
      const restore = typeof status?.restoreRate === "number" && status.restoreRate > 0 ? status.restoreRate : 50;
      return failure("rate_limited", `shopify THROTTLED: cost ${requested}, ${available} available, restoring ${restore}/s`, Math.max(100, Math.ceil(((requested - available) / restore) * 1000)));
    }
    const whole = this.classifyStatus(reply);
    if (whole) return whole;
    // ACCESS_DENIED (missing scope, uninstalled app) comes as a 200 with top-level errors: about the caller, not the item.
    const denied = Array.isArray(errors) && errors.some((e) => isRecord(e) && isRecord(e.extensions) && e.extensions.code === "ACCESS_DENIED");
    if (denied) return failure("unauthorized", `shopify ACCESS_DENIED: ${JSON.stringify(errors).slice(0, 300)}`);
    if (errors !== undefined) return failure("rejected", `shopify GraphQL error: ${JSON.stringify(errors).slice(0, 300)}`);
    return undefined;
  }

  /** Fills `known` for SKUs without a cached id or quantity; returns a failure for the whole call if the read failed. */
  private async resolve(skus: readonly Sku[], needQuantity: boolean): Promise<Failure | undefined> {
    const missing = skus.filter((s) => {
      const k = this.known.get(s);
      return !k || (needQuantity && k.quantity === undefined);
    });
    for (let i = 0; i < missing.length; i += MAX_PAGE) {
      const page = missing.slice(i, i + MAX_PAGE);
      const reply = await this.graphqlRequest(ITEMS_QUERY, { first: page.length, query: skuQuery(page), locationId: this.locationGid });
      if ("ok" in reply) return reply;
      const parsed = parseJsonBody(reply);
      const bad = this.graphqlFailure(reply, parsed);
      if (bad) return bad;
      const data = isRecord(parsed) && isRecord(parsed.data) && isRecord(parsed.data.inventoryItems) ? parsed.data.inventoryItems : undefined;
      const nodes = data && Array.isArray(data.nodes) ? data.nodes.filter(isRecord) : [];
      for (const node of nodes) {
        if (typeof node.sku !== "string" || typeof node.id !== "string") continue;
        const level = isRecord(node.inventoryLevel) && Array.isArray(node.inventoryLevel.quantities) ? node.inventoryLevel.quantities.filter(isRecord) : [];
        const available = level.find((q) => q.name === "available");
        this.known.set(node.sku, { gid: node.id, ...(typeof available?.quantity === "number" ? { quantity: available.quantity } : {}) });
      }
    }
    return undefined;
  }

  protected async pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const problem = await this.resolve(
      updates.map((u) => u.sku),
      this.api === "graphql" && this.compareAndSet,
    );
    if (problem) return this.repeat(problem, updates.length);
    return this.api === "rest" ? this.pushRest(updates) : this.pushGraphql(updates);
  }

  private async pushGraphql(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const outcomes: (PushOutcome | undefined)[] = updates.map(() => undefined);
    const sent: { index: number; update: QuantityUpdate }[] = [];
    const quantities: Record<string, unknown>[] = [];
    updates.forEach((update, index) => {
      const known = this.known.get(update.sku);
      if (!known) {
        outcomes[index] = failure("rejected", `shopify: no inventory item with SKU ${JSON.stringify(update.sku)}`);
        return;
      }
      sent.push({ index, update });
      quantities.push({ inventoryItemId: known.gid, locationId: this.locationGid, quantity: update.quantity, changeFromQuantity: this.compareAndSet && known.quantity !== undefined ? known.quantity : null });
    });
    if (sent.length > 0) {
      const reply = await this.graphqlRequest(SET_MUTATION, { input: { name: "available", reason: "correction", referenceDocumentUri: "synclag://stock-sync", quantities } }, this.versionHeaders(sent.map((s) => s.update)));
      const whole = "ok" in reply ? reply : this.graphqlFailure(reply, parseJsonBody(reply));
      if (whole) {
        if (whole.reason === "timeout") for (const s of sent) this.forgetQuantity(s.update.sku);
        for (const s of sent) outcomes[s.index] = whole;
      } else {
        const parsed = parseJsonBody(reply as HttpReply);
        const payload = isRecord(parsed) && isRecord(parsed.data) && isRecord(parsed.data.inventorySetQuantities) ? parsed.data.inventorySetQuantities : undefined;
        const userErrors = payload && Array.isArray(payload.userErrors) ? payload.userErrors.filter(isRecord) : [];
        const perEntry = new Map<number, Record<string, unknown>>();
        const general: Record<string, unknown>[] = [];
        for (const error of userErrors) {
          const field = Array.isArray(error.field) ? error.field : [];
          const position = field[0] === "input" && field[1] === "quantities" ? Number(field[2]) : Number.NaN;
          if (Number.isInteger(position)) perEntry.set(position, error);
          else general.push(error);
        }
        sent.forEach(({ index, update }, position) => {
          const error = perEntry.get(position) ?? general[0];
          if (!error) {
            const known = this.known.get(update.sku);
            if (known) known.quantity = update.quantity;
            outcomes[index] = { ok: true };
            return;
          }
          const code = String(error.code);
          if (STALE_CODES.has(code)) {
            this.forgetQuantity(update.sku);
            outcomes[index] = failure("stale", `shopify ${code}: ${String(error.message)}`);
          } else outcomes[index] = failure("rejected", `shopify ${code}: ${String(error.message)}`);
        });
      }
    }
    return outcomes.map((o) => o ?? failure("rejected", "shopify: no outcome"));
  }

  private async pushRest(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    for (const update of updates) {
      const known = this.known.get(update.sku);
      const itemId = known ? Number(/(\d+)$/.exec(known.gid)?.[1]) : Number.NaN;
      if (!known || !Number.isFinite(itemId)) {
        outcomes.push(failure("rejected", `shopify: no inventory item with SKU ${JSON.stringify(update.sku)}`));
        continue;
      }
      const reply = await this.call({
        method: "POST",
        url: this.url(`/admin/api/${this.credentials.apiVersion}/inventory_levels/set.json`),
        headers: { "x-shopify-access-token": this.credentials.accessToken, "content-type": "application/json", ...this.versionHeaders([update]) },
        body: JSON.stringify({ location_id: Number(this.credentials.locationId), inventory_item_id: itemId, available: update.quantity }),
      });
      if ("ok" in reply) outcomes.push(reply);
      else outcomes.push(this.classifyStatus(reply, 500) ?? { ok: true });
    }
    return outcomes;
  }

  private forgetQuantity(sku: Sku): void {
    const known = this.known.get(sku);
    if (known) this.known.set(sku, { gid: known.gid });
  }

  async readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    this.stats.readCalls += 1;
    for (const sku of skus) this.forgetQuantity(sku);
    const problem = await this.resolve(skus, true);
    if (problem) throw new ChannelError(problem.reason, `shopify read: ${problem.message}`, problem.retryAfterMs === undefined ? {} : { retryAfterMs: problem.retryAfterMs });
    const result = new Map<Sku, number>();
    for (const sku of skus) {
      const quantity = this.known.get(sku)?.quantity;
      if (quantity !== undefined) result.set(sku, quantity);
    }
    return result;
  }

  async cancelOrder(orderId: OrderId, reason: string): Promise<PushOutcome> {
    this.stats.cancelCalls += 1;
    const native = this.nativeOrderId(orderId);
    const reply = await this.graphqlRequest(CANCEL_MUTATION, { orderId: `gid://shopify/Order/${native}`, reason: "INVENTORY", refund: true, restock: false, notifyCustomer: true, staffNote: reason });
    if ("ok" in reply) return reply;
    const parsed = parseJsonBody(reply);
    const whole = this.graphqlFailure(reply, parsed);
    if (whole) return whole;
    const payload = isRecord(parsed) && isRecord(parsed.data) && isRecord(parsed.data.orderCancel) ? parsed.data.orderCancel : undefined;
    const errors = payload && Array.isArray(payload.orderCancelUserErrors) ? payload.orderCancelUserErrors.filter(isRecord) : [];
    return errors.length === 0 ? { ok: true } : failure("rejected", `shopify orderCancel: ${errors.map((e) => `${String(e.code)}: ${String(e.message)}`).join("; ")}`);
  }
}
