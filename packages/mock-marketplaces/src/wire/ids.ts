// Marketplace-native identifiers derived from a listing's stable catalogue number `n` (1-based, in
// seed order) and an order's sequence number. Deterministic, so two shells (or two runs) seeded the
// same way answer with the same ids. Easy to get wrong: Shopify and WooCommerce ids are *numbers*
// on the wire, Amazon/Flipkart/eBay ids are strings; and order ids must not repeat across restarts of
// a mock a long-running engine talks to — the HTTP composition starts the order sequence at
// `bootOrderSeqStart(start time)`.

/** 2025-01-01T00:00:00Z: order sequences of restarted mocks count from here. */
const ORDER_SEQ_EPOCH_MS = 1_735_689_600_000;
/** Order sequence numbers reserved per millisecond since that epoch: a start collides with an earlier one only if that one averaged more than 10,000 orders/s from its start to this one. */
const ORDER_SEQS_PER_MS = 10;

/** Where a mock started at `startMs` begins its order sequence: later for each later start, so a restart never reuses an order id. */
export function bootOrderSeqStart(startMs: number): number {
  return Math.max(0, Math.floor(startMs) - ORDER_SEQ_EPOCH_MS) * ORDER_SEQS_PER_MS;
}

export const shopifyInventoryItemId = (n: number): number => 40_000_000_000 + n;
export const shopifyInventoryItemGid = (n: number): string => `gid://shopify/InventoryItem/${shopifyInventoryItemId(n)}`;
export const shopifyVariantId = (n: number): number => 30_000_000_000 + n;
export const shopifyLocationGid = (locationId: string): string => `gid://shopify/Location/${locationId}`;
export const shopifyOrderId = (seq: number): number => 5_000_000_000 + seq;

export const wooProductId = (n: number): number => 100 + n;
export const wooOrderId = (seq: number): number => 1_000 + seq;

export const flipkartFsn = (n: number): string => `FSNSYNC${String(n).padStart(9, "0")}`;
export const flipkartOrderId = (seq: number): string => `OD${String(100_000_000_000_000 + seq)}`;
export const flipkartShipmentId = (seq: number): string => `SH${String(seq).padStart(12, "0")}`;
export const flipkartOrderItemId = (seq: number): string => String(200_000_000_000 + seq);

export const ebayOfferId = (n: number): string => String(9_000_000_000 + n);
export const ebayOrderId = (seq: number): string => `12-${String(10_000 + (seq % 90_000)).padStart(5, "0")}-${String(seq).padStart(5, "0")}`;
export const ebayLineItemId = (seq: number): string => String(10_000_000_000 + seq);

export const amazonOrderId = (seq: number): string => `114-${String(1_000_000 + (seq % 9_000_000)).padStart(7, "0")}-${String(seq).padStart(7, "0")}`;
export const amazonOrderItemId = (seq: number): string => String(60_000_000_000_000 + seq);

/** Trailing number of a Shopify gid or a plain numeric string; undefined when it is neither. */
export function trailingNumber(id: unknown): number | undefined {
  const text = typeof id === "number" ? String(id) : typeof id === "string" ? id : "";
  const match = /(\d+)$/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
