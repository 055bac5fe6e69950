// The order notification each marketplace sends when a buyer checks out: body in the marketplace's
// shape and headers with its signature. Shopify `orders/create`, WooCommerce `order.created` (and the
// `webhook_id=<id>` ping), Flipkart `shipment_created`, eBay `ORDER_CONFIRMATION` (Notification API
// envelope), Amazon `ORDER_CHANGE` (the SQS message body, POSTed with a stand-in HMAC header).
// Easy to get wrong: the event id is the same on every retry and duplicate of one order (that is
// how receivers deduplicate); the delivery id is new per attempt.

import type { KeyObject } from "node:crypto";
import type { MarketplaceKind } from "@synclag/marketplaces";
import type { MockCredentials } from "../credentials.js";
import type { MockOrder } from "../wire/context.js";
import { amazonOrderItemId, ebayLineItemId, flipkartOrderItemId, flipkartShipmentId, shopifyVariantId, wooProductId } from "../wire/ids.js";
import { counterUuid } from "../wire/wire.js";
import { ebayKeyId, ebaySignature, flipkartAuthorization, hmacSha256Base64 } from "./signing.js";

/** Stand-in header of Amazon deliveries (real ORDER_CHANGE notifications arrive through SQS). */
export const AMAZON_SIGNATURE_HEADER = "x-synclag-signature";

export interface NotificationMessage {
  readonly url: string;
  readonly method: "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface NotificationInput {
  readonly kind: MarketplaceKind;
  readonly url: string;
  readonly order: MockOrder;
  /** Catalogue number of the ordered SKU (native product ids derive from it). */
  readonly catalogNumber: number;
  readonly credentials: MockCredentials;
  /** When this attempt is sent (ms since the epoch). */
  readonly sentAtMs: number;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Unique per delivery attempt. */
  readonly deliverySeq: number;
  readonly ebayKey: KeyObject;
  /** The `kid` eBay deliveries name; default: derived from `ebayKey` (`ebayKeyId`). */
  readonly ebayKeyId?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Core's `WooCommerce/<version> Hookshot (WordPress/<version>)`, on pings and deliveries alike. */
const WOO_USER_AGENT = "WooCommerce/9.0.0 Hookshot (WordPress/6.5.0)";

/** Stable id of the event behind an order notification (same on retries and duplicates). */
export function notificationEventId(kind: MarketplaceKind, order: MockOrder): string {
  return counterUuid(0xe0 + ["amazon", "shopify", "woocommerce", "flipkart", "ebay"].indexOf(kind), order.seq);
}

export function buildOrderNotification(input: NotificationInput): NotificationMessage {
  const { kind, order, credentials, url } = input;
  const eventId = notificationEventId(kind, order);
  const deliveryId = counterUuid(0xd0, input.deliverySeq);
  const json = { "content-type": "application/json" };
  switch (kind) {
    case "amazon": {
      const creds = credentials.amazon;
      const body = JSON.stringify({
        NotificationVersion: "1.0",
        NotificationType: "ORDER_CHANGE",
        PayloadVersion: "1.0",
        EventTime: iso(order.createdAtMs),
        Payload: {
          OrderChangeNotification: {
            NotificationLevel: "OrderLevel",
            SellerId: creds.sellerId,
            AmazonOrderId: order.nativeId,
            OrderChangeType: "OrderStatusChange",
            OrderChangeTrigger: { TimeOfOrderChange: iso(order.createdAtMs), ChangeReason: "NewOrder" },
            Summary: {
              MarketplaceId: creds.marketplaceId,
              OrderStatus: "Unshipped",
              PurchaseDate: iso(order.createdAtMs),
              DestinationPostalCode: "98109",
              FulfillmentType: "MFN",
              OrderType: "StandardOrder",
              NumberOfItemsShipped: 0,
              NumberOfItemsUnshipped: order.quantity,
              OrderItems: [{ OrderItemId: amazonOrderItemId(order.seq), SellerSKU: order.sku, SupplySourceId: "synclag-mock-supply-source", OrderItemStatus: "Unshipped", Quantity: order.quantity, QuantityShipped: 0 }],
            },
          },
        },
        NotificationMetadata: { ApplicationId: "amzn1.sp.solution.synclag-mock", SubscriptionId: "synclag-mock-subscription", PublishTime: iso(input.sentAtMs), NotificationId: eventId },
      });
      return { url, method: "POST", body, headers: { ...json, [AMAZON_SIGNATURE_HEADER]: hmacSha256Base64(creds.notificationSecret, body) } };
    }
    case "shopify": {
      const creds = credentials.shopify;
      const id = Number(order.nativeId);
      const body = JSON.stringify({
        id,
        admin_graphql_api_id: `gid://shopify/Order/${id}`,
        name: `#${1000 + order.seq}`,
        created_at: iso(order.createdAtMs),
        financial_status: "paid",
        fulfillment_status: null,
        cancelled_at: null,
        line_items: [{ id: 70_000_000_000 + order.seq, variant_id: shopifyVariantId(input.catalogNumber), sku: order.sku, quantity: order.quantity, title: `Product ${order.sku}` }],
      });
      return {
        url,
        method: "POST",
        body,
        headers: {
          ...json,
          "x-shopify-topic": "orders/create",
          "x-shopify-hmac-sha256": hmacSha256Base64(creds.webhookSecret, body),
          "x-shopify-shop-domain": creds.shopDomain,
          "x-shopify-api-version": creds.apiVersion,
          "x-shopify-webhook-id": deliveryId,
          "x-shopify-event-id": eventId,
          "x-shopify-triggered-at": iso(order.createdAtMs),
        },
      };
    }
    case "woocommerce": {
      const creds = credentials.woocommerce;
      const id = Number(order.nativeId);
      const body = JSON.stringify({
        id,
        number: String(id),
        status: "processing",
        date_created_gmt: iso(order.createdAtMs).replace(/Z$/, ""),
        line_items: [{ id: 90_000 + order.seq, product_id: wooProductId(input.catalogNumber), sku: order.sku, quantity: order.quantity, name: `Product ${order.sku}` }],
      });
      return { url, method: "POST", body, headers: { ...json, "user-agent": WOO_USER_AGENT, ...wooHeaders(creds.webhookSecret, creds.webhookId, body, deliveryId), "x-wc-webhook-topic": "order.created", "x-wc-webhook-resource": "order", "x-wc-webhook-event": "created" } };
    }
    case "flipkart": {
      const creds = credentials.flipkart;
      const body = JSON.stringify({
        eventId,
        eventType: "shipment_created",
        source: "flipkart",
        version: "v3",
        timestamp: iso(order.createdAtMs),
        attributes: {
          shipmentId: flipkartShipmentId(order.seq),
          orderId: order.nativeId,
          locationId: creds.locationId,
          orderItems: [{ orderItemId: flipkartOrderItemId(order.seq), orderId: order.nativeId, sku: order.sku, quantity: order.quantity, status: "APPROVED" }],
        },
      });
      const date = new Date(input.sentAtMs).toUTCString();
      return { url, method: "POST", body, headers: { ...json, x_date: date, x_authorization: flipkartAuthorization(creds.appId, creds.appSecret, date, url, "POST") } };
    }
    case "ebay": {
      const creds = credentials.ebay;
      const body = JSON.stringify({
        metadata: { topic: "ORDER_CONFIRMATION", schemaVersion: "1.0", deprecated: false },
        notification: {
          notificationId: eventId,
          eventDate: iso(order.createdAtMs),
          publishDate: iso(input.sentAtMs),
          publishAttemptCount: input.attempt,
          data: { orderId: order.nativeId, lineItemId: ebayLineItemId(order.seq), sku: order.sku, quantity: order.quantity, marketplaceId: creds.marketplaceId, creationDate: iso(order.createdAtMs) },
        },
      });
      return { url, method: "POST", body, headers: { ...json, "x-ebay-signature": ebaySignature(input.ebayKey, input.ebayKeyId ?? ebayKeyId(input.ebayKey), body) } };
    }
  }
}

function wooHeaders(secret: string, webhookId: number, body: string, deliveryId: string): Record<string, string> {
  return { "x-wc-webhook-source": "https://synclag-mock.example/", "x-wc-webhook-id": String(webhookId), "x-wc-webhook-delivery-id": deliveryId, "x-wc-webhook-signature": hmacSha256Base64(secret, body) };
}

/**
 * WooCommerce's first delivery to a new webhook, as core's `WC_Webhook::deliver_ping()` sends it: a
 * user agent and the form body `webhook_id=<id>` — no X-WC-Webhook-* headers, so *unsigned*. Core only
 * activates the webhook when it gets exactly 200.
 */
export function buildWooPing(url: string, credentials: MockCredentials): NotificationMessage {
  const body = `webhook_id=${credentials.woocommerce.webhookId}`;
  return { url, method: "POST", body, headers: { "user-agent": WOO_USER_AGENT, "content-type": "application/x-www-form-urlencoded" } };
}
