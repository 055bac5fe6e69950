// @synclag/marketplaces — pure models of the sales channels (Amazon, Shopify, WooCommerce, Flipkart,
// eBay): rate limiters, accepted-vs-visible stock, faults, storefront, order notifications.
// The simulator drives them in virtual time; the HTTP mocks wrap the same models.

// --- Models ---
export { MarketplaceModel } from "./marketplace-model.js";
export type { CheckoutResult, ItemResult, Listing, MarketplaceModelOptions, UpdateCallOptions, UpdateItem, UpdateReply, VisibilityChange } from "./marketplace-model.js";
export { RateLimiter } from "./rate-limiter.js";
export { retryOffsetsMs } from "./notification-schedule.js";
export type { LimiterConfig, LimiterDecision, LimiterState } from "./rate-limiter.js";

export { SHOPIFY_MUTATION_COST, SHOPIFY_READ_BASE_COST, SHOPIFY_READ_PAGE, shopifyReadBudgetCost, shopifyReadPoints } from "./shopify-costs.js";

// --- Profiles ---
export { DEFAULT_PROFILES, MARKETPLACE_KINDS } from "./profiles.js";
export type { MarketplaceKind, MarketplaceProfile, OutageWindow } from "./profiles.js";
