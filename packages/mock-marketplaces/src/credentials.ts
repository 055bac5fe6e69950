// Credentials and account identifiers the mocks accept and the channel clients send. Defaults make a
// zero-config run work; every field can be overridden. Easy to get wrong: these are test secrets for
// loopback mocks — never real marketplace credentials, and nothing here is read from the environment.

import type { MarketplaceKind } from "@synclag/marketplaces";

export interface AmazonCredentials {
  readonly sellerId: string;
  readonly marketplaceId: string;
  /** LWA access token sent as `x-amz-access-token`. */
  readonly accessToken: string;
  /** Stand-in: HMAC secret of the `X-Synclag-Signature` on ORDER_CHANGE deliveries (real ones come through SQS). */
  readonly notificationSecret: string;
}

export interface ShopifyCredentials {
  readonly shopDomain: string;
  readonly apiVersion: string;
  /** Admin API access token (`X-Shopify-Access-Token`). */
  readonly accessToken: string;
  /** App secret: key of `X-Shopify-Hmac-Sha256`. */
  readonly webhookSecret: string;
  /** Numeric id of the one location the mock stocks (`gid://shopify/Location/<id>`). */
  readonly locationId: string;
}

export interface WooCommerceCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  /** Key of `X-WC-Webhook-Signature`. */
  readonly webhookSecret: string;
  readonly webhookId: number;
}

export interface FlipkartCredentials {
  readonly appId: string;
  readonly appSecret: string;
  readonly locationId: string;
}

export interface EbayCredentials {
  /** User access token (`Authorization: Bearer …`). */
  readonly accessToken: string;
  readonly marketplaceId: string;
  // No key id here: the notification signing key is generated per mock and named after itself (`ebayKeyId`).
}

export interface MockCredentials {
  readonly amazon: AmazonCredentials;
  readonly shopify: ShopifyCredentials;
  readonly woocommerce: WooCommerceCredentials;
  readonly flipkart: FlipkartCredentials;
  readonly ebay: EbayCredentials;
}

export const DEFAULT_MOCK_CREDENTIALS: MockCredentials = {
  amazon: { sellerId: "A2SYNCLAGMOCK", marketplaceId: "ATVPDKIKX0DER", accessToken: "Atza|synclag-mock-access-token", notificationSecret: "synclag-amazon-notification-secret" },
  shopify: { shopDomain: "synclag-mock.myshopify.com", apiVersion: "2025-01", accessToken: "shpat_synclag_mock_token", webhookSecret: "synclag-shopify-app-secret", locationId: "1" },
  woocommerce: { consumerKey: "ck_synclag_mock", consumerSecret: "cs_synclag_mock", webhookSecret: "synclag-woocommerce-webhook-secret", webhookId: 1 },
  flipkart: { appId: "synclag-mock-app", appSecret: "synclag-flipkart-app-secret", locationId: "LOCsynclagmock000001" },
  ebay: { accessToken: "v^1.1#i^1#synclag-mock-user-token", marketplaceId: "EBAY_US" },
};

export type CredentialOverrides = { readonly [K in MarketplaceKind]?: Partial<MockCredentials[K]> };

export function withCredentialOverrides(overrides: CredentialOverrides | undefined): MockCredentials {
  const d = DEFAULT_MOCK_CREDENTIALS;
  return {
    amazon: { ...d.amazon, ...overrides?.amazon },
    shopify: { ...d.shopify, ...overrides?.shopify },
    woocommerce: { ...d.woocommerce, ...overrides?.woocommerce },
    flipkart: { ...d.flipkart, ...overrides?.flipkart },
    ebay: { ...d.ebay, ...overrides?.ebay },
  };
}
