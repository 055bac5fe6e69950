// @synclag/channels — the engine's HTTP ChannelClients, one per marketplace API (Amazon SP-API
// Listings, Shopify Admin GraphQL/REST, WooCommerce REST, Flipkart Seller API, eBay Sell Inventory),
// created by a factory from a kind, a base URL and credentials; and the verifier + normaliser of
// each marketplace's order notifications for the ingest gateway.

// --- Clients ---
export { createChannelClient } from "./create-channel-client.js";
export type { ChannelClientConfig, ClientCredentialsByKind } from "./create-channel-client.js";
export { HttpChannelClient, USER_AGENT, VERSION_HEADER, parseRetryAfter } from "./clients/http-channel-client.js";
export type { HttpChannelClientOptions } from "./clients/http-channel-client.js";
export { AMAZON_CANCEL_STAND_IN_PATH, AmazonChannelClient } from "./clients/amazon-channel-client.js";
export type { AmazonChannelClientOptions, AmazonClientCredentials } from "./clients/amazon-channel-client.js";
export { ShopifyChannelClient } from "./clients/shopify-channel-client.js";
export type { ShopifyChannelClientOptions, ShopifyClientCredentials } from "./clients/shopify-channel-client.js";
export { WooCommerceChannelClient } from "./clients/woocommerce-channel-client.js";
export type { WooCommerceChannelClientOptions, WooCommerceClientCredentials } from "./clients/woocommerce-channel-client.js";
export { FlipkartChannelClient } from "./clients/flipkart-channel-client.js";
export type { FlipkartChannelClientOptions, FlipkartClientCredentials } from "./clients/flipkart-channel-client.js";
export { EbayChannelClient } from "./clients/ebay-channel-client.js";
export type { EbayChannelClientOptions, EbayClientCredentials } from "./clients/ebay-channel-client.js";

// --- Transport ---
export { FetchTransport, UndiciTransport } from "./transport.js";
export type { HttpReply, HttpRequest, HttpTransport, UndiciTransportOptions } from "./transport.js";

// --- Order notifications (ingest side) ---
export { AMAZON_SIGNATURE_HEADER, FLIPKART_MAX_CLOCK_SKEW_MS, bodyIndependentSignature, verifyAndNormalize } from "./notifications/verify-and-normalize.js";
export type { NotificationVerdict, SkippedLine, VerifyOptions } from "./notifications/verify-and-normalize.js";

// --- Errors ---
export { ChannelError } from "./errors.js";
