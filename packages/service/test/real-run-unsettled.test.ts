// UnsettledOrders, the real run's count of units sold at a marketplace that the store has not settled
// yet (what a lost sale is measured against): the races of a live run — the level read while an order
// settles, a webhook that outruns the storefront's reply — must neither double-count nor forget units.

import type { ApplyResult } from "@synclag/core";
import { describe, expect, it } from "vitest";
import { UnsettledOrders } from "../src/real-run.js";

const applied = (orderId: string, sku: string, version: number): ApplyResult => ({ kind: "applied", orderId, changes: [{ sku, quantity: 0, version, delta: -1 }] }) as unknown as ApplyResult;
const insufficient = (orderId: string): ApplyResult => ({ kind: "insufficient", orderId, shortages: [] }) as unknown as ApplyResult;

describe("UnsettledOrders", () => {
  it("counts an accepted order's units until its first outcome, per SKU", () => {
    const orders = new UnsettledOrders();
    orders.accepted("shopify:1", "SKU-1", 2);
    orders.accepted("woocommerce:7", "SKU-1", 1);
    orders.accepted("shopify:2", "SKU-2", 1);
    expect(orders.units("SKU-1", 1)).toBe(3);
    orders.settled("shopify:1", applied("shopify:1", "SKU-1", 2));
    orders.settled("woocommerce:7", insufficient("woocommerce:7"));
    expect(orders.units("SKU-1", 2)).toBe(0);
    expect(orders.units("SKU-2", 1)).toBe(1);
  });

  it("still counts an order that settled during a level read older than its version", () => {
    const orders = new UnsettledOrders();
    orders.accepted("shopify:1", "SKU-1", 1);
    const reading = orders.beginRead();
    // The level was read at version 3; the order then applied as version 4 before the count was made.
    orders.settled("shopify:1", applied("shopify:1", "SKU-1", 4));
    expect(orders.units("SKU-1", 3)).toBe(1);
    expect(orders.units("SKU-1", 4)).toBe(0);
    reading.end();
    expect(orders.units("SKU-1", 3)).toBe(0);
  });

  it("forgets nothing and counts nothing twice when the webhook outran the storefront's reply, or came twice", () => {
    const orders = new UnsettledOrders();
    orders.settled("ebay:9:line-1", applied("ebay:9:line-1", "SKU-1", 2));
    orders.accepted("ebay:9", "SKU-1", 1);
    expect(orders.units("SKU-1", 1)).toBe(0);
    orders.accepted("shopify:3", "SKU-1", 1);
    orders.settled("shopify:3", { kind: "duplicate", orderId: "shopify:3", original: insufficient("shopify:3") } as unknown as ApplyResult);
    expect(orders.units("SKU-1", 1)).toBe(0);
  });
});
