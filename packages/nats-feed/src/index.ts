// @synclag/nats-feed — the OrderFeed port on NATS JetStream (nats-server ≥ 2.9): provisioning of the
// orders and dead-letter streams and the durable pull consumer, the consumer-side feed, the publisher
// used by ingest and the load generator, and dead-letter reading for operators and tests.

// --- Feed and publisher ---
export { JetStreamFeedSubscription, JetStreamOrderFeed } from "./jetstream-order-feed.js";
export type { DeadLetterNotice, FeedStats, JetStreamOrderFeedOptions } from "./jetstream-order-feed.js";
export { JetStreamOrderPublisher, orderContentHash, recheckMessageIdFor } from "./jetstream-order-publisher.js";
export type { JetStreamOrderPublisherOptions, PublishOutcome, PublishReceipt } from "./jetstream-order-publisher.js";

// --- Provisioning and options ---
export {
  MIN_SERVER_VERSION,
  consumerConfig,
  deadLetterStreamConfig,
  diffConsumerConfig,
  diffConsumerReception,
  diffStreamConfig,
  ordersStreamConfig,
  provisionStreams,
  recreateMissingResources,
  serverVersionSupported,
} from "./provision-streams.js";
export type { ConfigMismatch, ProvisionOptions, ProvisionResult, PullRequirements } from "./provision-streams.js";
export { DEFAULT_FEED_OPTIONS, HEADER_ALLOWANCE_BYTES, ackWaitForDelivery, resolveFeedOptions } from "./feed-options.js";
export type { JetStreamFeedOptions, ResolvedFeedOptions } from "./feed-options.js";
export { channelToken, messageIdFor, orderSubject } from "./subjects.js";

// --- Dead letters ---
export { DEAD_LETTER_HEADERS, DEAD_LETTER_KINDS, ORIGINAL_HEADER_PREFIX, parseDeadLetter, readDeadLetters } from "./dead-letter.js";
export type { DeadLetterKind, DeadLetterRecord, ReadDeadLettersQuery } from "./dead-letter.js";

// --- Connection and errors ---
export { connectNats, natsAuthentication, watchConnection } from "./connect-nats.js";
export type { ConnectNatsOptions, NatsConnectionEvent } from "./connect-nats.js";
export { NatsFeedError } from "./errors.js";
export type { NatsFeedErrorReason } from "./errors.js";
