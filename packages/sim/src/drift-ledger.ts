// What a run without a reconciler (`engine.reconcileInterval: 0`) leaves unrepaired, listing by listing:
// the units taken off a listing's eventual quantity by sales no engine update has put back since the
// listing's last accepted update. Fed by the simulator as the marketplaces report checkouts and accepted
// updates and as the store settles orders; read by `explainDrift` to excuse exactly that drift.
// Easy to get wrong: a sale takes off what the marketplace *model* takes off, not the order's quantity.
// A checkout while an accepted update is still on its way to buyers takes the sale off that update
// too, clamped at 0 (the units are reserved), so a listing the engine set to 2 and a buyer emptied of
// 3 shown units ends 2 short, not 3. The simulator reads that from the listing's accepted quantity —
// which is what the listing converges to once every accepted update is visible — before and after the
// checkout.

import type { OrderId, Sku } from "@synclag/core";

interface ListingDrift {
  /** Bumped by every accepted update: an absolute quantity that undoes every sale before it. */
  epoch: number;
  /** Units the settled sales since the last accepted update took off beyond what the engine accounts for. */
  units: number;
}

interface OpenOrder {
  readonly listing: ListingDrift;
  readonly epoch: number;
  /** Units the buyer bought. */
  readonly quantity: number;
  /** Units the checkout took off the listing's eventual quantity (`quantity`, or fewer when clamped). */
  readonly took: number;
}

/**
 * Per listing (channel, SKU): the units sales took off it that no engine update put back.
 *
 * - An order whose notification was lost (`lost`): the engine never hears of it, so all it took stays
 *   off until the engine's next accepted update of that listing.
 * - A notified order (`notified`, then `settled` with the store's outcome):
 *   - oversold (`insufficient`): the store's stock does not move, so nothing the engine pushes because
 *     of it is guaranteed — the polling baseline pushes only SKUs whose stock moved, and events push
 *     the truth again (then the accepted update clears it). What it took stays off until then.
 *   - applied: the engine takes `quantity` off its truth; when it then sends the listing nothing (the
 *     source's own sale left it exact, as far as the engine knows) the listing is off by what the
 *     clamp kept the checkout from taking: `took − quantity` (0 unless clamped).
 * - An accepted update (`accepted`) is absolute: every sale before it stops counting.
 *
 * Sales settled after the listing's next accepted update do not count either: that update is later
 * than the checkout, so it already undid it (and an applied order makes the engine push again).
 */
export class DriftLedger {
  private readonly listings = new Map<string, Map<Sku, ListingDrift>>();
  private readonly open = new Map<OrderId, OpenOrder>();

  /** The channel's API accepted an absolute update of the listing (every earlier sale is undone). */
  accepted(channel: string, sku: Sku): void {
    const listing = this.listings.get(channel)?.get(sku);
    if (listing === undefined) return;
    listing.epoch += 1;
    listing.units = 0;
  }

  /** A checkout whose notification is lost: the engine never hears of it. */
  lost(channel: string, sku: Sku, took: number): void {
    this.listing(channel, sku).units += took;
  }

  /** A checkout whose notification is on its way: counted once the store settles it (`settled`). */
  notified(orderId: OrderId, channel: string, sku: Sku, quantity: number, took: number): void {
    const listing = this.listing(channel, sku);
    this.open.set(orderId, { listing, epoch: listing.epoch, quantity, took });
  }

  /** The store's first outcome of a notified order (later deliveries of it are ignored). */
  settled(orderId: OrderId, outcome: "applied" | "insufficient"): void {
    const order = this.open.get(orderId);
    if (order === undefined) return;
    this.open.delete(orderId);
    if (order.listing.epoch !== order.epoch) return; // an accepted update came after the checkout
    order.listing.units += outcome === "insufficient" ? order.took : order.took - order.quantity;
  }

  /** Per channel and SKU, the units left off (listings with none are left out). */
  unrepaired(): Map<string, Map<Sku, number>> {
    const result = new Map<string, Map<Sku, number>>();
    for (const [channel, listings] of this.listings) {
      const units = new Map<Sku, number>();
      for (const [sku, listing] of listings) if (listing.units !== 0) units.set(sku, listing.units);
      if (units.size > 0) result.set(channel, units);
    }
    return result;
  }

  private listing(channel: string, sku: Sku): ListingDrift {
    let listings = this.listings.get(channel);
    if (listings === undefined) this.listings.set(channel, (listings = new Map()));
    let listing = listings.get(sku);
    if (listing === undefined) listings.set(sku, (listing = { epoch: 0, units: 0 }));
    return listing;
  }
}
