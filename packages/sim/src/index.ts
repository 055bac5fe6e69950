// @synclag/sim — the deterministic simulator: the engine's own code on virtual-time in-memory
// adapters and marketplace models, ground truth from the marketplace side, checkers, result document.

// --- Running ---
export { compare, describeScenario, parseStrategy, resolveProfile, simulateStrategy } from "./simulate.js";
export type { SimulateOptions } from "./simulate.js";

// --- Result document ---
export { RESULT_SCHEMA_VERSION, blockedMsOf, rateLimitBound } from "./result.js";
export type { ChannelResult, DriftUnrepaired, ResultDocument, StrategyResult } from "./result.js";

// --- Adapters and measurement (for embedding and tests) ---
export { SimOrderFeed } from "./sim-order-feed.js";
export type { DeadLetter, SimOrderFeedOptions } from "./sim-order-feed.js";
export { SimChannelClient, SimChannelError } from "./sim-channel-client.js";
export { notificationTimes } from "./notification-delivery.js";
export type { NotificationPlan, NotificationTimes } from "./notification-delivery.js";
export { GroundTruth } from "./ground-truth.js";
export type { TimelineSeries } from "./ground-truth.js";
export * from "./checkers.js";
