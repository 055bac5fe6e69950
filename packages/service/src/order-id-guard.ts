// Ingest's guard against JetStream's duplicate window swallowing a *conflicting* order. Orders are
// published with the order id as Nats-Msg-Id, so a webhook that reuses an id inside the window (2 min) is
// answered "duplicate" and dropped — even when its lines differ, while after the window the same webhook
// reaches the store and is refused as a conflict (warning, `orders_conflict_total`, dead letter). This
// guard makes both behave the same: it remembers, per order id, a hash of the order's canonical content
// (source + normalised lines, the store's own fingerprint); when JetStream reports a duplicate whose
// content differs from what is known to be stored — or is not known at all (memory full, expired, or a
// restarted process) — the event is published again under `<msg id>%#<hash>`, so the store sees it and
// decides: a conflict is refused and dead-lettered, an identical order is an ordinary duplicate.
// Easy to get wrong: identical re-deliveries must keep deduplicating on the plain id (no extra message),
// and the suffix must never equal another order's message id — `messageIdFor` writes `%` only as `%XX`
// (two hex digits), so `%#` cannot occur in a plain id.

import { createHash } from "node:crypto";
import { normalizeOrder, type OrderEvent, type OrderId } from "@synclag/core";

export interface OrderIdGuardOptions {
  /** Publishes under the plain message id (the order id). */
  readonly publish: (event: OrderEvent) => Promise<{ readonly duplicate: boolean }>;
  /** Publishes under the given message id. */
  readonly publishAs: (event: OrderEvent, messageId: string) => Promise<{ readonly duplicate: boolean }>;
  /** The message id of an order id (nats-feed's `messageIdFor`). */
  readonly messageIdFor: (orderId: OrderId) => string;
  /** How long an order id's content is remembered (ms): at least the stream's duplicate window. */
  readonly rememberMs: number;
  /** Most order ids remembered; the oldest are forgotten first (a forgotten id is checked by the store). */
  readonly maxEntries?: number;
  readonly now?: () => number;
  /** An order id came back with other content than the stored one, or unknown content (`known: false`). */
  readonly onRecheck?: (info: { readonly orderId: OrderId; readonly channel: string; readonly messageId: string; readonly known: boolean; readonly duplicate: boolean }) => void;
}

export interface GuardedReceipt {
  readonly duplicate: boolean;
  /** Published again under a distinct message id for the store to check (see the header). */
  readonly rechecked: boolean;
}

/** The canonical content of an order (what the store compares for a conflict), hashed. */
export function orderContentHash(event: OrderEvent): string {
  const normal = normalizeOrder(event);
  const text = normal.ok ? normal.order.fingerprint : JSON.stringify([event.sourceChannel, event.lines]);
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export class OrderIdGuard {
  /** order id → content hash and expiry; insertion order = age (entries are never refreshed in place). */
  private readonly known = new Map<OrderId, { readonly hash: string; readonly expiresAtMs: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: OrderIdGuardOptions) {
    this.maxEntries = options.maxEntries ?? 200_000;
    this.now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.known.size;
  }

  async publish(event: OrderEvent): Promise<GuardedReceipt> {
    const hash = orderContentHash(event);
    const receipt = await this.options.publish(event);
    if (!receipt.duplicate) {
      // Now stored under the plain id: this content is what the duplicate window holds.
      this.remember(event.orderId, hash);
      return { duplicate: false, rechecked: false };
    }
    const known = this.lookup(event.orderId);
    if (known === hash) return { duplicate: true, rechecked: false };
    const messageId = `${this.options.messageIdFor(event.orderId)}%#${hash}`;
    const again = await this.options.publishAs(event, messageId);
    if (known === undefined) this.remember(event.orderId, hash);
    this.options.onRecheck?.({ orderId: event.orderId, channel: event.sourceChannel, messageId, known: known !== undefined, duplicate: again.duplicate });
    return { duplicate: again.duplicate, rechecked: true };
  }

  private lookup(orderId: OrderId): string | undefined {
    const entry = this.known.get(orderId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > this.now()) return entry.hash;
    this.known.delete(orderId);
    return undefined;
  }

  private remember(orderId: OrderId, hash: string): void {
    const now = this.now();
    this.known.delete(orderId);
    this.known.set(orderId, { hash, expiresAtMs: now + this.options.rememberMs });
    // Oldest first: drop the expired, then whatever exceeds the bound.
    for (const [id, entry] of this.known) {
      if (entry.expiresAtMs > now && this.known.size <= this.maxEntries) break;
      this.known.delete(id);
    }
  }
}
