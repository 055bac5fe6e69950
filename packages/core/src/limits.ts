// Bounds on every input the store accepts. Lua numbers are doubles and JSON numbers are doubles:
// keeping quantities far below 2^53 keeps every sum exact. Shopify itself rejects > 1e9.

/** Largest quantity of one SKU the store holds or one line may request. */
export const MAX_QUANTITY = 1_000_000_000;
/** SKU length in UTF-8 bytes after NFC normalisation (Amazon allows 40 chars, Shopify 255). */
export const MAX_SKU_BYTES = 200;
export const MAX_ORDER_ID_BYTES = 200;
export const MAX_CHANNEL_ID_BYTES = 64;
/** Lines per order (Shopify caps inventorySetQuantities at 250; orders are far smaller). */
export const MAX_LINES = 100;
