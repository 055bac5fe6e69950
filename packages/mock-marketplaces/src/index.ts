// @synclag/mock-marketplaces — the mock sales channels over real HTTP: per-marketplace wire codecs
// (request decoding → pure model → reply encoding) shared by two shells (a fast node:http server and
// msw handlers via `@synclag/mock-marketplaces/msw`), the buyer storefront, the admin API, and the
// order-notification sender with each marketplace's shape, signature and delivery behaviour.

// --- Running the mocks ---
export { MockServerError, channelListings, isLoopback, startMockMarketplaces } from "./mock-marketplaces.js";
export type { MockChannel, MockMarketplacesOptions, RunningMarketplace, RunningMockMarketplaces } from "./mock-marketplaces.js";
export { MockMarketplace, VERSION_HEADER } from "./mock-marketplace.js";
export type { MockMarketplaceOptions } from "./mock-marketplace.js";
export { MAX_BODY_BYTES, serveMarketplaces } from "./shells/node-http-server.js";
export type { Mount, RunningServer } from "./shells/node-http-server.js";

// --- Credentials ---
export { DEFAULT_MOCK_CREDENTIALS, withCredentialOverrides } from "./credentials.js";
export type { AmazonCredentials, CredentialOverrides, EbayCredentials, FlipkartCredentials, MockCredentials, ShopifyCredentials, WooCommerceCredentials } from "./credentials.js";

// --- Wire layer (shared by both shells) ---
export type { FaultSettings, MockOrder, SeedListing } from "./wire/context.js";
export type { WireOutcome, WireReply, WireRequest } from "./wire/wire.js";
export { ADMIN_PREFIX, STOREFRONT_PREFIX } from "./wire/common.js";
export { AMAZON_CANCEL_STAND_IN_PATH, AMAZON_LISTINGS_PATH } from "./wire/amazon.js";
export { SHOPIFY_REST_LIMIT } from "./wire/shopify.js";

// --- Order notifications ---
export { AMAZON_SIGNATURE_HEADER, buildOrderNotification, buildWooPing } from "./notifications/order-notification.js";
export type { NotificationMessage } from "./notifications/order-notification.js";
export { ebayKeyId, ebaySignature, flipkartAuthorization, hmacSha256Base64 } from "./notifications/signing.js";
export { WebhookSender } from "./notifications/webhook-sender.js";
export type { DeliveryRecord, WebhookSenderOptions } from "./notifications/webhook-sender.js";
