// Shopify Admin API client. GraphQL (default): `inventorySetQuantities` for up to 250 SKUs per call
// with compare-and-set against the quantity this client last saw for the SKU — `compareQuantity` /
// `ignoreCompareQuantity` before API version 2026-01, `changeFromQuantity` from 2026-01 (mandatory
// from 2026-04, when the older fields are removed) — ids and reads through
// `inventoryItems(query: "sku:…")`, `orderCancel`; throttling read from `extensions.cost.throttleStatus`
// (or `Retry-After` on a 429). From 2026-01 the set carries `@idempotent(key:)` (optional there,
// mandatory from 2026-04) with a fresh key on every attempt, retries included: a key seen again makes
// Shopify answer its first reply and apply nothing, so a reused key could report a set that never
// happened (A, B, then A again); repeating a set is harmless instead — an absolute quantity lands the
// same twice, and with compare-and-set the quantity is re-read after an unknown outcome, so a stale
// double apply is refused as STALE. REST (legacy, `api: "rest"`): `inventory_levels/set.json`, one
// SKU per call, 429 + `Retry-After`.
// Easy to get wrong: Shopify reports most failures inside an HTTP 200 — `THROTTLED`,
// `INTERNAL_SERVER_ERROR` ("instead of 500"), `ACCESS_DENIED` in `errors` — so a 200 is success only
// when its `data` confirms the operation; and after a STALE user error (or a reply that leaves open
// whether the set applied) the cached quantity is wrong — it is dropped, and the next push of that
// SKU re-reads the current quantity before it compares again; likewise the cached inventory item id
// after INVALID_INVENTORY_ITEM (item deleted or re-created) or a change reported for the item under
// another SKU (the SKU moved: the set landed on that item) — the next push looks the SKU up again.

import { randomUUID } from "node:crypto";
import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES, SHOPIFY_READ_PAGE, shopifyReadBudgetCost } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import { HttpChannelClient, RETRY_AFTER_CAP_MS, failure, isRecord, parseJsonBody, parseRetryAfter, type Failure, type HttpChannelClientOptions } from "./http-channel-client.js";
import type { HttpReply } from "../transport.js";

export interface ShopifyClientCredentials {
  /** Admin API access token (`X-Shopify-Access-Token`). */
  readonly accessToken: string;
  /** e.g. "2025-01" (or "unstable"); decides the compare-and-set fields sent (see `usesChangeFromQuantity`) and whether the set carries `@idempotent` (2026-01 on). */
  readonly apiVersion: string;
  /** Numeric id of the location whose `available` quantity is set. */
  readonly locationId: string;
}

export interface ShopifyChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: ShopifyClientCredentials;
  /** Default "graphql". */
  readonly api?: "graphql" | "rest";
  /** Compare-and-set (`changeFromQuantity`, or `compareQuantity` before 2026-01) when the current quantity is known. Default true. */
  readonly compareAndSet?: boolean;
}

/** The set mutation; with `idempotencyKey`, under Shopify's `@idempotent(key:)` directive (a literal, as Shopify's examples write it). */
function setMutation(idempotencyKey?: string): string {
  const directive = idempotencyKey === undefined ? "" : ` @idempotent(key: ${JSON.stringify(idempotencyKey)})`;
  return `mutation SynclagSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input)${directive} {
    inventoryAdjustmentGroup { id changes { name quantityAfterChange item { id sku } } }
    userErrors { code field message }
  }
}`;
}

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
/**
 * User errors about the idempotency key, not the item: the key is still being processed
 * (CONCURRENT_REQUEST) or was used with other variables (PARAMETER_MISMATCH). Neither should happen
 * with a fresh key per attempt; both are retryable (the retry carries a new key).
 */
const IDEMPOTENCY_CODES = new Set(["IDEMPOTENCY_CONCURRENT_REQUEST", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]);
/** The user error of an entry whose inventory item id no longer exists. */
const INVALID_INVENTORY_ITEM = "INVALID_INVENTORY_ITEM";
const MAX_PAGE = SHOPIFY_READ_PAGE;
/** orderCancel user errors about Shopify's side, not the order: retry later. */
const CANCEL_RETRYABLE_CODES: ReadonlySet<string> = new Set(["INTERNAL_ERROR"]);
/** orderCancel user errors about the app's permissions, not the order. */
const CANCEL_UNAUTHORIZED_CODES: ReadonlySet<string> = new Set(["NO_REFUND_PERMISSION", "NO_REFUND_TO_STORE_CREDIT_PERMISSION"]);
/** Top-level GraphQL error codes about Shopify's side, not the request: retry later. */
const UNAVAILABLE_CODES = new Set(["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"]);
/** Top-level codes about the caller (missing scope, uninstalled app, frozen or closed shop): not about the item. */
const UNAUTHORIZED_CODES = new Set(["ACCESS_DENIED", "SHOP_INACTIVE"]);
/** First Admin API version whose `InventoryQuantityInput` has `changeFromQuantity`. */
const CHANGE_FROM_QUANTITY_SINCE = "2026-01";
/**
 * First Admin API version whose `inventorySetQuantities` takes the `@idempotent(key:)` directive
 * (shopify.dev: optional from 2026-01, required from 2026-04 — changelog 2025-12-12, "Making
 * idempotency mandatory for inventory adjustments and refund mutations").
 */
const IDEMPOTENT_SINCE = "2026-01";

/** Whether `apiVersion` is `release` or later ("unstable" is the newest). */
function atLeast(apiVersion: string, release: string): boolean {
  if (apiVersion === "unstable") return true;
  return /^\d{4}-\d{2}$/.test(apiVersion) && apiVersion >= release;
}

/**
 * Whether `apiVersion` takes `changeFromQuantity` (2026-01 and later, and "unstable"); older versions
 * reject the field as undefined and take `compareQuantity` / `ignoreCompareQuantity` instead.
 */
function usesChangeFromQuantity(apiVersion: string): boolean {
  return atLeast(apiVersion, CHANGE_FROM_QUANTITY_SINCE);
}

/** Whether `apiVersion` takes `@idempotent` on `inventorySetQuantities` (older versions do not define it for the set). */
function usesIdempotentDirective(apiVersion: string): boolean {
  return atLeast(apiVersion, IDEMPOTENT_SINCE);
}

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

  /**
   * A whole-call failure from the HTTP status or the top-level `errors`: THROTTLED (status 200 or 429)
   * → rate_limited, waiting what `Retry-After` says or else what the cost figures imply;
   * INTERNAL_SERVER_ERROR / SERVICE_UNAVAILABLE → unavailable; ACCESS_DENIED / SHOP_INACTIVE →
   * unauthorized; anything else (MAX_COST_EXCEEDED, a bad query) → rejected.
   */
  private graphqlFailure(reply: HttpReply, parsed: unknown): Failure | undefined {
    const errors = isRecord(parsed) ? parsed.errors : undefined;
    const codes = new Set(Array.isArray(errors) ? errors.map((e) => (isRecord(e) && isRecord(e.extensions) ? e.extensions.code : undefined)).filter((c): c is string => typeof c === "string") : []);
    const detail = () => JSON.stringify(errors).slice(0, 300);
    if (codes.has("THROTTLED") || reply.status === 429) {
      const cost = isRecord(parsed) && isRecord(parsed.extensions) && isRecord(parsed.extensions.cost) ? parsed.extensions.cost : undefined;
      const status = cost && isRecord(cost.throttleStatus) ? cost.throttleStatus : undefined;
      const requested = typeof cost?.requestedQueryCost === "number" ? cost.requestedQueryCost : 10;
      const available = typeof status?.currentlyAvailable === "number" ? status.currentlyAvailable : 0;
      const restore = typeof status?.restoreRate === "number" && status.restoreRate > 0 ? status.restoreRate : 50;
      const computedMs = Math.min(RETRY_AFTER_CAP_MS, Math.max(100, Math.ceil(((requested - available) / restore) * 1000)));
      const headerMs = parseRetryAfter(reply.headers["retry-after"]);
      const basis = headerMs === undefined ? `cost ${requested}, ${available} available, restoring ${restore}/s` : `Retry-After ${reply.headers["retry-after"]}`;
      return failure("rate_limited", `shopify THROTTLED (HTTP ${reply.status}): ${basis}`, headerMs ?? computedMs);
    }
    const whole = this.classifyStatus(reply);
    if (whole) return whole;
    // Shopify answers its own failures "with a 200 and INTERNAL_SERVER_ERROR instead of 500 in most circumstances".
    if ([...codes].some((c) => UNAVAILABLE_CODES.has(c))) return failure("unavailable", `shopify GraphQL error: ${detail()}`, parseRetryAfter(reply.headers["retry-after"]));
    if ([...codes].some((c) => UNAUTHORIZED_CODES.has(c))) return failure("unauthorized", `shopify GraphQL error: ${detail()}`);
    if (errors !== undefined) return failure("rejected", `shopify GraphQL error: ${detail()}`);
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
      // Without a node list the page says nothing — not "no such SKUs", which would reject the pushes for good.
      if (!data || !Array.isArray(data.nodes)) return this.unconfirmed(reply, "inventoryItems read");
      for (const node of data.nodes.filter(isRecord)) {
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
    const sent: { index: number; update: QuantityUpdate; known: Known }[] = [];
    updates.forEach((update, index) => {
      const known = this.known.get(update.sku);
      if (known) sent.push({ index, update, known });
      else outcomes[index] = failure("rejected", `shopify: no inventory item with SKU ${JSON.stringify(update.sku)}`);
    });
    if (sent.length > 0) {
      const input = this.setQuantitiesInput(sent);
      // A fresh key on every attempt, never one saved from an earlier attempt (see the header).
      const key = usesIdempotentDirective(this.credentials.apiVersion) ? randomUUID() : undefined;
      const reply = await this.graphqlRequest(setMutation(key), { input }, this.versionHeaders(sent.map((s) => s.update)));
      const parsed = "ok" in reply ? undefined : parseJsonBody(reply);
      let whole = "ok" in reply ? reply : this.graphqlFailure(reply, parsed);
      const payload = isRecord(parsed) && isRecord(parsed.data) && isRecord(parsed.data.inventorySetQuantities) ? parsed.data.inventorySetQuantities : undefined;
      // `userErrors` is non-null in the schema: a payload without it (or no payload) confirms nothing.
      if (!whole && (!payload || !Array.isArray(payload.userErrors))) whole = this.unconfirmed(reply as HttpReply, "inventorySetQuantities");
      if (whole) {
        // Timed out, or failed in a way that leaves open whether the set applied: the cached quantity may be stale.
        if (whole.reason === "timeout" || whole.reason === "unavailable") for (const s of sent) this.forgetQuantity(s.update.sku);
        for (const s of sent) outcomes[s.index] = whole;
      } else {
        const userErrors = (payload?.userErrors as unknown[]).filter(isRecord);
        const group = isRecord(payload?.inventoryAdjustmentGroup) ? payload.inventoryAdjustmentGroup : undefined;
        const changedItems = (Array.isArray(group?.changes) ? group.changes.filter(isRecord) : []).map((c) => c.item).filter(isRecord);
        const perEntry = new Map<number, Record<string, unknown>>();
        const general: Record<string, unknown>[] = [];
        for (const error of userErrors) {
          const field = Array.isArray(error.field) ? error.field : [];
          const position = field[0] === "input" && field[1] === "quantities" ? Number(field[2]) : Number.NaN;
          if (Number.isInteger(position)) perEntry.set(position, error);
          else general.push(error);
        }
        sent.forEach(({ index, update, known: sentWith }, position) => {
          const error = perEntry.get(position) ?? general[0];
          if (!error) {
            // A set that changed nothing may be missing from `changes`: only a listed change is checked.
            const changed = changedItems.find((item) => item.id === sentWith.gid);
            if (changed && changed.sku !== update.sku) {
              outcomes[index] = this.staleItem(update.sku, sentWith.gid, `changed as the item of SKU ${JSON.stringify(changed.sku)} (the SKU moved: this set changed that item)`);
              return;
            }
            const known = this.known.get(update.sku);
            if (known) known.quantity = update.quantity;
            outcomes[index] = { ok: true };
            return;
          }
          const code = String(error.code);
          if (code === INVALID_INVENTORY_ITEM) outcomes[index] = this.staleItem(update.sku, sentWith.gid, `is gone (${code})`);
          else if (IDEMPOTENCY_CODES.has(code)) outcomes[index] = failure("unavailable", `shopify ${code}: ${String(error.message)}`);
          else if (STALE_CODES.has(code)) {
            this.forgetQuantity(update.sku);
            outcomes[index] = failure("stale", `shopify ${code}: ${String(error.message)}`);
          } else outcomes[index] = failure("rejected", `shopify ${code}: ${String(error.message)}`);
        });
      }
    }
    return outcomes.map((o) => o ?? failure("rejected", "shopify: no outcome"));
  }

  /**
   * The mutation's input in the configured API version's terms. From 2026-01 each entry carries
   * `changeFromQuantity` (the cached quantity, or explicit null to opt out). Before, `compareQuantity`
   * per entry — and since it must be given for every entry unless the whole input sets
   * `ignoreCompareQuantity: true`, a batch with any SKU whose quantity is unknown opts out as a whole
   * (rare: `resolve` reads the quantities it lacks before the push).
   */
  private setQuantitiesInput(sent: readonly { readonly update: QuantityUpdate; readonly known: Known }[]): Record<string, unknown> {
    const input = { name: "available", reason: "correction", referenceDocumentUri: "synclag://stock-sync" };
    const entry = (s: { readonly update: QuantityUpdate; readonly known: Known }) => ({ inventoryItemId: s.known.gid, locationId: this.locationGid, quantity: s.update.quantity });
    if (usesChangeFromQuantity(this.credentials.apiVersion)) {
      return { ...input, quantities: sent.map((s) => ({ ...entry(s), changeFromQuantity: this.compareAndSet && s.known.quantity !== undefined ? s.known.quantity : null })) };
    }
    const compare = this.compareAndSet && sent.every((s) => s.known.quantity !== undefined);
    if (!compare) return { ...input, ignoreCompareQuantity: true, quantities: sent.map(entry) };
    return { ...input, quantities: sent.map((s) => ({ ...entry(s), compareQuantity: s.known.quantity })) };
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
      else {
        const parsed = parseJsonBody(reply);
        const confirmed = isRecord(parsed) && isRecord(parsed.inventory_level);
        outcomes.push(this.classifyStatus(reply, 500) ?? (confirmed ? { ok: true } : this.unconfirmed(reply, "inventory_levels/set")));
      }
    }
    return outcomes;
  }

  /**
   * Drops what is cached for `sku` — unless a lookup replaced the item id meanwhile — and reports the
   * update retryable: the next push looks the SKU up again, and is rejected if no item has it.
   */
  private staleItem(sku: Sku, gid: string, detail: string): Failure {
    if (this.known.get(sku)?.gid === gid) this.known.delete(sku);
    return failure("unavailable", `shopify: inventory item ${gid}, cached for SKU ${JSON.stringify(sku)}, ${detail}; the SKU is looked up again`);
  }

  private forgetQuantity(sku: Sku): void {
    const known = this.known.get(sku);
    if (known) this.known.set(sku, { gid: known.gid });
  }

  /**
   * What `readQuantities` costs the updates' budget, in update calls: under GraphQL both draw on the one
   * cost bucket (a page of n SKUs 2 + n points, an update call 10), so the engine reserves a read there
   * before making it (reconciler.ts). Under REST the updates have REST's call limit of their own: 0.
   */
  readBudgetCost(skus: number): number {
    return this.api === "graphql" ? shopifyReadBudgetCost(skus) : 0;
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
    const listed = payload?.orderCancelUserErrors ?? payload?.userErrors;
    // No payload or no error list: the cancellation is unconfirmed — retry it (cancelling twice is harmless), never count it done.
    if (!Array.isArray(listed)) return this.unconfirmed(reply, "orderCancel");
    const errors = listed.filter(isRecord);
    if (errors.length === 0) return { ok: true };
    // OrderCancelUserErrorCode (shopify.dev): INTERNAL_ERROR "Unexpected internal error happened." is
    // Shopify's side — retried, like the top-level INTERNAL_SERVER_ERROR; NO_REFUND_PERMISSION (and
    // its store-credit twin) is about the app's access ("the user does not have the refund_orders
    // permission"), not the order — `unauthorized`, so the relay backs off instead of giving the order
    // up; the rest (NOT_FOUND, INVALID, …) are about the order. A retryable one listed with others wins.
    const codes = new Set(errors.map((e) => e.code));
    const text = `shopify orderCancel: ${errors.map((e) => `${String(e.code)}: ${String(e.message)}`).join("; ")}`;
    if ([...codes].some((c) => typeof c === "string" && CANCEL_RETRYABLE_CODES.has(c))) return failure("unavailable", text);
    if ([...codes].some((c) => typeof c === "string" && CANCEL_UNAUTHORIZED_CODES.has(c))) return failure("unauthorized", text);
    return failure("rejected", text);
  }
}
