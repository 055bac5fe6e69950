// @synclag/engine — both strategies (event-driven and polling), written once against the core's
// ports. The simulator and the real service run this same code.

// --- Composition ---
export { Engine } from "./engine.js";
export type { EngineOptions, Strategy } from "./engine.js";

// --- Parts ---
export { Propagator } from "./propagator.js";
export type { ChannelBacklog, ChannelConfig, PropagatorOptions, PublishOptions } from "./propagator.js";
export { OrderProcessor } from "./order-processor.js";
export type { OrderProcessorOptions, StrategyMode } from "./order-processor.js";
export { PollingSyncer } from "./polling-syncer.js";
export type { PollingSyncerOptions } from "./polling-syncer.js";
export { Reconciler } from "./reconciler.js";
export type { ReconcilerOptions } from "./reconciler.js";
export { OutboxRelay } from "./outbox-relay.js";
export type { OutboxRelayOptions } from "./outbox-relay.js";
export { CANCELLATION_REASON, CancellationRelay } from "./cancellation-relay.js";
export type { CancellationRelayOptions, FailingCancellation, HeldCancellation, RefusedCancellation } from "./cancellation-relay.js";

// --- Politeness ---
export { TokenBucket } from "./token-bucket.js";
export type { RateLimit } from "./token-bucket.js";
export { DEFAULT_RETRY_POLICY, backoffDelayMs } from "./backoff.js";
export type { RetryPolicy } from "./backoff.js";
