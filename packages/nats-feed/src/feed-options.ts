// Names and limits of the order feed's streams and consumer, with their defaults, validated once.
// Provisioning, the publisher and the consumer all read the same resolved options, so they cannot
// disagree about a subject or a stream name. Easy to get wrong: on nats-server the consumer's
// `backoff` replaces `ack_wait` (the server sets ack_wait = backoff[0]), and `max_deliver` must be
// larger than the number of backoff steps — both are enforced here rather than discovered at runtime.

import { MAX_ORDER_EVENT_BYTES } from "@synclag/core";
import { NatsFeedError } from "./errors.js";

export interface JetStreamFeedOptions {
  /** Orders stream. Default "ORDERS". */
  readonly streamName?: string;
  /** Orders are published on `<subjectPrefix>.<source channel token>`. Default "synclag.orders". */
  readonly subjectPrefix?: string;
  /** Dead-letter stream. Default "ORDERS_DLQ". */
  readonly deadLetterStreamName?: string;
  /** Dead letters are written on `<deadLetterSubjectPrefix>.<kind>`. Default "synclag.dlq". */
  readonly deadLetterSubjectPrefix?: string;
  /** Durable pull consumer shared by every worker. Default "engine". */
  readonly consumerName?: string;
  /** Window in which a repeated Nats-Msg-Id (the order id) is dropped as a duplicate (ms). Default 120 000. */
  readonly duplicateWindowMs?: number;
  /** Oldest unprocessed order kept (ms). Default 7 days. */
  readonly maxAgeMs?: number;
  /** Backlog limit of the orders stream (bytes); beyond it publishes are refused. Default 1 GiB. */
  readonly maxBytes?: number;
  /** Backlog limit of the orders stream (messages); beyond it publishes are refused. Default 10 000 000. */
  readonly maxMessages?: number;
  /** How long dead letters are kept (ms). Default 30 days. */
  readonly deadLetterMaxAgeMs?: number;
  /** Size limit of the dead-letter stream (bytes); beyond it dead-lettering fails and retries. Default 256 MiB. */
  readonly deadLetterMaxBytes?: number;
  /** How long the first delivery may stay unsettled before it is redelivered (ms). Default 30 000. */
  readonly ackWaitMs?: number;
  /** Ack waits of the later deliveries (ms); the last one repeats. Default [60 000, 300 000]. */
  readonly backoffMs?: readonly number[];
  /** Deliveries before an unsettled order is dead-lettered. Default 5; with backoff steps it must exceed 1 + backoffMs.length. */
  readonly maxDeliver?: number;
  /** Deliveries in flight (unsettled) across all workers before the server pauses delivery. Default 1 000. */
  readonly maxAckPending?: number;
  /** Stream replicas (1 on a single server). Default 1. */
  readonly replicas?: number;
  /**
   * Messages one pull request asks for (the client-side buffer). Here rather than on the feed alone
   * because the consumer must allow it: provisioning refuses a consumer whose max_batch is smaller
   * (nats-server answers every such pull with a 409 and nothing is ever delivered). Default 64.
   */
  readonly pullBatchSize?: number;
}

export interface ResolvedFeedOptions {
  readonly streamName: string;
  readonly subjectPrefix: string;
  readonly deadLetterStreamName: string;
  readonly deadLetterSubjectPrefix: string;
  readonly consumerName: string;
  readonly duplicateWindowMs: number;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  readonly maxMessages: number;
  readonly deadLetterMaxAgeMs: number;
  readonly deadLetterMaxBytes: number;
  readonly ackWaitMs: number;
  readonly backoffMs: readonly number[];
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  readonly replicas: number;
  readonly pullBatchSize: number;
  /** Largest stored order message: the event limit plus room for headers (bytes). */
  readonly maxMessageBytes: number;
  /** Largest dead-letter message: the original plus its copied headers and the reason (bytes). */
  readonly deadLetterMaxMessageBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Lifetime of one pull request (ms). Short on purpose: messages naked with a delay are redelivered only
 * into an open pull request, and after a burst of naks the client could sit on a request the server
 * already considers served — the stall lasted the whole default 30 s (seen in the Redis-restart fault
 * test). And stop() waits for the open request to end (so nothing in transit is dropped): this is the
 * longest that wait takes. The consumer's max_expires must allow it (checked by provisioning and the feed).
 */
export const PULL_EXPIRES_MS = 2_000;

/** Room for Nats-Msg-Id, Nats-Expected-Stream and producer headers on top of the event bytes. */
export const HEADER_ALLOWANCE_BYTES = 4 * 1024;

export const DEFAULT_FEED_OPTIONS = {
  streamName: "ORDERS",
  subjectPrefix: "synclag.orders",
  deadLetterStreamName: "ORDERS_DLQ",
  deadLetterSubjectPrefix: "synclag.dlq",
  consumerName: "engine",
  duplicateWindowMs: 2 * 60 * 1000,
  maxAgeMs: 7 * DAY_MS,
  maxBytes: 1024 ** 3,
  maxMessages: 10_000_000,
  deadLetterMaxAgeMs: 30 * DAY_MS,
  deadLetterMaxBytes: 256 * 1024 ** 2,
  ackWaitMs: 30_000,
  backoffMs: [60_000, 300_000],
  maxDeliver: 5,
  maxAckPending: 1_000,
  replicas: 1,
  pullBatchSize: 64,
} as const satisfies Required<JetStreamFeedOptions>;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function invalid(message: string): NatsFeedError {
  return new NatsFeedError("invalid-options", message);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Fills in defaults and checks every value; throws `NatsFeedError("invalid-options")`. */
export function resolveFeedOptions(options: JetStreamFeedOptions = {}): ResolvedFeedOptions {
  const o = { ...DEFAULT_FEED_OPTIONS, ...options };
  for (const [key, value] of [
    ["streamName", o.streamName],
    ["deadLetterStreamName", o.deadLetterStreamName],
    ["consumerName", o.consumerName],
  ] as const) {
    if (!NAME.test(value)) throw invalid(`${key} must match ${NAME} (no dots, spaces or wildcards), got ${JSON.stringify(value)}`);
  }
  for (const [key, value] of [
    ["subjectPrefix", o.subjectPrefix],
    ["deadLetterSubjectPrefix", o.deadLetterSubjectPrefix],
  ] as const) {
    if (!SUBJECT_PREFIX.test(value)) throw invalid(`${key} must be dot-separated tokens of [A-Za-z0-9_-], got ${JSON.stringify(value)}`);
  }
  if (o.streamName === o.deadLetterStreamName) throw invalid("streamName and deadLetterStreamName must differ");
  const a = o.subjectPrefix + ".";
  const b = o.deadLetterSubjectPrefix + ".";
  if (a.startsWith(b) || b.startsWith(a)) {
    throw invalid(`subjectPrefix ${JSON.stringify(o.subjectPrefix)} and deadLetterSubjectPrefix ${JSON.stringify(o.deadLetterSubjectPrefix)} overlap`);
  }
  positiveInteger("duplicateWindowMs", o.duplicateWindowMs);
  positiveInteger("maxAgeMs", o.maxAgeMs);
  positiveInteger("maxBytes", o.maxBytes);
  positiveInteger("maxMessages", o.maxMessages);
  positiveInteger("deadLetterMaxAgeMs", o.deadLetterMaxAgeMs);
  positiveInteger("deadLetterMaxBytes", o.deadLetterMaxBytes);
  positiveInteger("ackWaitMs", o.ackWaitMs);
  positiveInteger("maxAckPending", o.maxAckPending);
  positiveInteger("replicas", o.replicas);
  positiveInteger("pullBatchSize", o.pullBatchSize);
  o.backoffMs.forEach((step, index) => positiveInteger(`backoffMs[${index}]`, step));
  positiveInteger("maxDeliver", o.maxDeliver);
  if (o.backoffMs.length > 0 && o.maxDeliver <= 1 + o.backoffMs.length) {
    throw invalid(`maxDeliver (${o.maxDeliver}) must exceed 1 + backoffMs.length (${1 + o.backoffMs.length}): nats-server refuses it otherwise`);
  }
  if (o.duplicateWindowMs > o.maxAgeMs) throw invalid("duplicateWindowMs must not exceed maxAgeMs");
  const maxMessageBytes = MAX_ORDER_EVENT_BYTES + HEADER_ALLOWANCE_BYTES;
  return {
    streamName: o.streamName,
    subjectPrefix: o.subjectPrefix,
    deadLetterStreamName: o.deadLetterStreamName,
    deadLetterSubjectPrefix: o.deadLetterSubjectPrefix,
    consumerName: o.consumerName,
    duplicateWindowMs: o.duplicateWindowMs,
    maxAgeMs: o.maxAgeMs,
    maxBytes: o.maxBytes,
    maxMessages: o.maxMessages,
    deadLetterMaxAgeMs: o.deadLetterMaxAgeMs,
    deadLetterMaxBytes: o.deadLetterMaxBytes,
    ackWaitMs: o.ackWaitMs,
    backoffMs: [...o.backoffMs],
    maxDeliver: o.maxDeliver,
    maxAckPending: o.maxAckPending,
    replicas: o.replicas,
    pullBatchSize: o.pullBatchSize,
    maxMessageBytes,
    deadLetterMaxMessageBytes: maxMessageBytes + 4 * HEADER_ALLOWANCE_BYTES,
  };
}

/** The server-side ack wait of delivery `deliveryCount` (1-based): ack wait, then the backoff steps. */
export function ackWaitForDelivery(options: Pick<ResolvedFeedOptions, "ackWaitMs" | "backoffMs">, deliveryCount: number): number {
  if (deliveryCount <= 1 || options.backoffMs.length === 0) return options.ackWaitMs;
  return options.backoffMs[Math.min(deliveryCount - 2, options.backoffMs.length - 1)] ?? options.ackWaitMs;
}
