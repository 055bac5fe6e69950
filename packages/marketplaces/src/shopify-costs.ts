// What Shopify's GraphQL Admin API bills the calls synclag makes, in its cost points: one place for the
// HTTP client (which tells the engine what a read costs its updates' budget), the simulator's client and
// the mock (which charge it). Reads and mutations draw on the same bucket (1,000 points, 100 restored per
// second on the standard plan): a catalogue read is what can drain it, not the updates.

/** An `inventoryItems` page: 2 points plus one per SKU asked for (I — the mock's bill; Shopify's calculator is in that range). */
export const SHOPIFY_READ_BASE_COST = 2;
/** A mutation (`inventorySetQuantities`, `orderCancel`): 10 points (D). */
export const SHOPIFY_MUTATION_COST = 10;
/** Most SKUs one `inventoryItems` page asks for (`first` at most 250). */
export const SHOPIFY_READ_PAGE = 250;

/** Points a read of `skus` SKUs costs, paged as the client pages it (`SHOPIFY_READ_PAGE` a page). */
export function shopifyReadPoints(skus: number): number {
  let points = 0;
  for (let left = Math.max(0, Math.floor(skus)); left > 0; left -= SHOPIFY_READ_PAGE) points += SHOPIFY_READ_BASE_COST + Math.min(SHOPIFY_READ_PAGE, left);
  return points;
}

/** The same in update calls (one `inventorySetQuantities` mutation each): what the engine's budget counts (`ChannelClient.readBudgetCost`). */
export function shopifyReadBudgetCost(skus: number): number {
  return shopifyReadPoints(skus) / SHOPIFY_MUTATION_COST;
}
