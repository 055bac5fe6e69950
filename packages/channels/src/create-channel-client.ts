// The factory the composition roots use: a marketplace kind, a base URL and credentials in, the
// matching HTTP ChannelClient out. Easy to get wrong: credentials are per kind and checked here,
// once, so a missing field fails at start-up with its name — not at the first push.

import type { MarketplaceKind } from "@synclag/marketplaces";
import { AmazonChannelClient, type AmazonClientCredentials } from "./clients/amazon-channel-client.js";
import { EbayChannelClient, type EbayClientCredentials } from "./clients/ebay-channel-client.js";
import { FlipkartChannelClient, type FlipkartClientCredentials } from "./clients/flipkart-channel-client.js";
import type { HttpChannelClient, HttpChannelClientOptions } from "./clients/http-channel-client.js";
import { ShopifyChannelClient, type ShopifyClientCredentials } from "./clients/shopify-channel-client.js";
import { WooCommerceChannelClient, type WooCommerceClientCredentials } from "./clients/woocommerce-channel-client.js";
import { ChannelError } from "./errors.js";

export interface ClientCredentialsByKind {
  readonly amazon: AmazonClientCredentials;
  readonly shopify: ShopifyClientCredentials;
  readonly woocommerce: WooCommerceClientCredentials;
  readonly flipkart: FlipkartClientCredentials;
  readonly ebay: EbayClientCredentials;
}

export type ChannelClientConfig = {
  [K in MarketplaceKind]: HttpChannelClientOptions & {
    readonly kind: K;
    readonly credentials: ClientCredentialsByKind[K];
  } & (K extends "shopify" ? { readonly api?: "graphql" | "rest"; readonly compareAndSet?: boolean } : unknown);
}[MarketplaceKind];

const REQUIRED: { readonly [K in MarketplaceKind]: readonly (keyof ClientCredentialsByKind[K])[] } = {
  amazon: ["sellerId", "marketplaceId", "accessToken"],
  shopify: ["accessToken", "apiVersion", "locationId"],
  woocommerce: ["consumerKey", "consumerSecret"],
  flipkart: ["appId", "appSecret", "locationId"],
  ebay: ["accessToken"],
};

export function createChannelClient(config: ChannelClientConfig): HttpChannelClient {
  const required = REQUIRED[config.kind] as readonly string[];
  const credentials = config.credentials as unknown as Record<string, unknown>;
  const missing = required.filter((field) => typeof credentials[field] !== "string" || credentials[field] === "");
  if (missing.length > 0) throw new ChannelError("rejected", `${config.kind} client: missing credential(s) ${missing.join(", ")}`);
  try {
    new URL(config.baseUrl);
  } catch (error) {
    throw new ChannelError("rejected", `${config.kind} client: baseUrl ${JSON.stringify(config.baseUrl)} is not a URL`, { cause: error });
  }
  switch (config.kind) {
    case "amazon":
      return new AmazonChannelClient(config);
    case "shopify":
      return new ShopifyChannelClient(config);
    case "woocommerce":
      return new WooCommerceChannelClient(config);
    case "flipkart":
      return new FlipkartChannelClient(config);
    case "ebay":
      return new EbayChannelClient(config);
  }
}
