// Start-up provisioning of the order feed: the orders stream, the dead-letter stream and the durable
// pull consumer — created when missing, checked when present. Idempotent: running it again with the
// same options changes nothing. Easy to get wrong: `streams.add` with a different config fails with a
// vague "already in use" and `consumers.add` silently updates what it can, so every existing resource
// is read and compared field by field first; a difference is an error naming each field (or, with
// `onMismatch: "update"`, an in-place update of the fields nats-server can change). That includes the
// consumer fields the feed never sets but that change what it receives: a `headers_only` consumer
// delivered every order with an empty body (each dead-lettered as malformed JSON: orders lost), and a
// `max_batch` below the pull batch made nats-server refuse every pull (nothing consumed, no error).
// The same holds for stream settings the feed never sets (found by review, each reused silently):
// `allow_rollup_hdrs` (one foreign `Nats-Rollup: all` message purged the unconsumed backlog), `no_ack`
// (every publish timed out although stored), `deny_delete` on the orders stream (the max-deliver path
// could never delete), and `sealed`, `mirror`, `sources`. The first two are fixed in place on update;
// nats-server cannot lift deny_delete or sealed, and a mirror or sourced stream is refused outright.

import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstreamManager,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { millis, nanos, type NatsConnection } from "@nats-io/transport-node";
import { API_CODES, apiErrorCode, NatsFeedError, toNatsFeedError } from "./errors.js";
import { DEFAULT_FEED_OPTIONS, PULL_EXPIRES_MS, resolveFeedOptions, type JetStreamFeedOptions, type ResolvedFeedOptions } from "./feed-options.js";
import { orderSubjects } from "./subjects.js";

/** Oldest nats-server the feed runs on: backoff, nak delays and the max-deliver advisory as used here. */
export const MIN_SERVER_VERSION = "2.9.0";

export interface ProvisionOptions extends JetStreamFeedOptions {
  /** What to do when an existing stream/consumer differs: fail (default) or update the changeable fields. */
  readonly onMismatch?: "error" | "update";
}

export interface ProvisionResult {
  readonly options: ResolvedFeedOptions;
  /** Server version seen, e.g. "2.9.10". */
  readonly serverVersion: string;
  /** One entry per resource: `stream ORDERS`, `stream ORDERS_DLQ`, `consumer ORDERS/engine`. */
  readonly created: readonly string[];
  readonly unchanged: readonly string[];
  readonly updated: readonly string[];
}

export interface ConfigMismatch {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  /** nats-server 2.9 can change this field in place. */
  readonly updatable: boolean;
}

type StreamSettings = Pick<
  StreamConfig,
  | "name"
  | "subjects"
  | "storage"
  | "retention"
  | "discard"
  | "max_msgs"
  | "max_bytes"
  | "max_age"
  | "max_msg_size"
  | "duplicate_window"
  | "num_replicas"
  | "max_msgs_per_subject"
  | "allow_rollup_hdrs"
  | "no_ack"
> & {
  readonly description: string;
  /** Only where the feed deletes messages itself (the orders stream); absent = not compared. */
  readonly deny_delete?: boolean;
};

type ConsumerSettings = Pick<ConsumerConfig, "ack_policy" | "deliver_policy" | "replay_policy"> & {
  readonly durable_name: string;
  readonly ack_wait: number;
  readonly max_deliver: number;
  readonly max_ack_pending: number;
  readonly max_waiting: number;
  readonly backoff?: number[];
  readonly description: string;
};

/**
 * What the feed's pull requests need from the consumer: every pull asks for `pullBatchSize` messages and
 * lives `pullExpiresMs`. A consumer limiting either below that refuses every pull (409).
 */
export interface PullRequirements {
  readonly pullBatchSize: number;
  readonly pullExpiresMs: number;
}

/**
 * Pull requests nats-server keeps waiting per consumer: its own default, stated so that a consumer
 * created with fewer is noticed — every worker keeps a pull request waiting, and one beyond the limit
 * is refused. nats-server 2.9 cannot change it in place.
 */
export const CONSUMER_MAX_WAITING = 512;

export function ordersStreamConfig(o: ResolvedFeedOptions): StreamSettings {
  return {
    name: o.streamName,
    description: "synclag orders: one subject per source channel; work queue (a settled order is removed)",
    subjects: [orderSubjects(o.subjectPrefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_msgs: o.maxMessages,
    max_bytes: o.maxBytes,
    max_age: nanos(o.maxAgeMs),
    max_msg_size: o.maxMessageBytes,
    max_msgs_per_subject: -1,
    duplicate_window: nanos(o.duplicateWindowMs),
    num_replicas: o.replicas,
    allow_rollup_hdrs: false,
    no_ack: false,
    // The max-deliver path and the exhausted-message sweep delete messages the server gave up on.
    deny_delete: false,
  };
}

export function deadLetterStreamConfig(o: ResolvedFeedOptions): StreamSettings {
  return {
    name: o.deadLetterStreamName,
    description: `synclag dead letters of ${o.streamName}: original bytes, reason in Synclag-* headers`,
    subjects: [`${o.deadLetterSubjectPrefix}.*`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    max_msgs: -1,
    max_bytes: o.deadLetterMaxBytes,
    max_age: nanos(o.deadLetterMaxAgeMs),
    max_msg_size: o.deadLetterMaxMessageBytes,
    max_msgs_per_subject: -1,
    duplicate_window: nanos(o.duplicateWindowMs),
    num_replicas: o.replicas,
    allow_rollup_hdrs: false,
    no_ack: false,
    // deny_delete / deny_purge are left to the operator here: the feed never deletes a dead letter.
  };
}

export function consumerConfig(o: ResolvedFeedOptions): ConsumerSettings {
  return {
    durable_name: o.consumerName,
    description: `synclag order workers on ${o.streamName}`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(o.ackWaitMs),
    max_deliver: o.maxDeliver,
    max_ack_pending: o.maxAckPending,
    max_waiting: CONSUMER_MAX_WAITING,
    // nats-server sets ack_wait = backoff[0]; starting the schedule with ackWaitMs keeps both equal.
    ...(o.backoffMs.length > 0 ? { backoff: [o.ackWaitMs, ...o.backoffMs].map((ms) => nanos(ms)) } : {}),
  };
}

const ms = (value: number | undefined): string => (value === undefined ? "unset" : `${millis(value)} ms`);
const plain = (value: unknown): string => (value === undefined || value === "" ? "unset" : JSON.stringify(value));

function compare(
  out: ConfigMismatch[],
  field: string,
  expected: unknown,
  actual: unknown,
  updatable: boolean,
  render: (value: never) => string = plain,
): void {
  const same = JSON.stringify(expected ?? null) === JSON.stringify(actual ?? null);
  if (!same) out.push({ field, expected: render(expected as never), actual: render(actual as never), updatable });
}

/** Differences between the stream the feed needs and the one that exists (pure). */
export function diffStreamConfig(desired: StreamSettings, actual: Partial<StreamConfig>): ConfigMismatch[] {
  const out: ConfigMismatch[] = [];
  compare(out, "storage", desired.storage, actual.storage, false);
  compare(out, "retention", desired.retention, actual.retention, false);
  compare(out, "subjects", [...desired.subjects].sort(), [...(actual.subjects ?? [])].sort(), true);
  compare(out, "discard", desired.discard, actual.discard, true);
  compare(out, "max_msgs", desired.max_msgs, actual.max_msgs, true);
  compare(out, "max_bytes", desired.max_bytes, actual.max_bytes, true);
  compare(out, "max_age", desired.max_age, actual.max_age, true, ms);
  compare(out, "max_msg_size", desired.max_msg_size, actual.max_msg_size, true);
  compare(out, "max_msgs_per_subject", desired.max_msgs_per_subject, actual.max_msgs_per_subject, true);
  compare(out, "duplicate_window", desired.duplicate_window, actual.duplicate_window, true, ms);
  compare(out, "num_replicas", desired.num_replicas, actual.num_replicas, false);
  // Settings the feed never sets that change what the stream keeps or how it answers (found by review:
  // each was silently reused). Unset on the server means false.
  compare(out, "allow_rollup_hdrs (one message with a Nats-Rollup header purges the stream)", desired.allow_rollup_hdrs ?? false, actual.allow_rollup_hdrs ?? false, true);
  compare(out, "no_ack (the stream sends no PubAck: every publish times out although stored)", desired.no_ack ?? false, actual.no_ack ?? false, true);
  if (desired.deny_delete !== undefined) {
    compare(out, "deny_delete (the feed deletes messages the server gave up on; nats-server cannot lift it)", desired.deny_delete, actual.deny_delete ?? false, false);
  }
  compare(out, "sealed (a sealed stream takes no publish, ack or delete and cannot be unsealed)", false, actual.sealed ?? false, false);
  compare(out, "mirror (a mirror takes no publishes)", undefined, actual.mirror?.name, false);
  const sources = (actual.sources ?? []).map((source) => source.name).sort();
  compare(out, "sources (other streams' messages would be mixed in)", undefined, sources.length > 0 ? sources : undefined, false);
  return out;
}

/** A positive limit the feed needs unset, or at least `minimum`; pushes a mismatch otherwise. */
function atLeast(out: ConfigMismatch[], field: string, minimum: number, actual: number | undefined, what: string, render: (value: number) => string = String): void {
  if (actual === undefined || actual <= 0 || actual >= minimum) return;
  out.push({ field, expected: `unset, or at least ${render(minimum)} (${what})`, actual: render(actual), updatable: true });
}

/**
 * The consumer settings that change what the feed's pull requests receive (pure): a headers-only
 * consumer delivers no order bodies; a max_batch or max_expires below the feed's pull makes nats-server
 * refuse every pull. Checked by provisioning and again by the feed each time it starts pulling.
 */
export function diffConsumerReception(actual: Partial<ConsumerConfig>, pull: PullRequirements): ConfigMismatch[] {
  const out: ConfigMismatch[] = [];
  if (actual.headers_only === true) out.push({ field: "headers_only (delivers no order bodies)", expected: "false", actual: "true", updatable: true });
  atLeast(out, "max_batch", pull.pullBatchSize, actual.max_batch, "the feed's pull batch size");
  atLeast(out, "max_expires", nanos(pull.pullExpiresMs), actual.max_expires, "the feed's pull request expiry", (value) => ms(value));
  return out;
}

/** Differences between the consumer the feed needs and the one that exists (pure). */
export function diffConsumerConfig(
  desired: ConsumerSettings,
  actual: Partial<ConsumerConfig>,
  pull: PullRequirements = { pullBatchSize: DEFAULT_FEED_OPTIONS.pullBatchSize, pullExpiresMs: PULL_EXPIRES_MS },
): ConfigMismatch[] {
  const out: ConfigMismatch[] = [];
  compare(out, "ack_policy", desired.ack_policy, actual.ack_policy, false);
  compare(out, "deliver_policy", desired.deliver_policy, actual.deliver_policy, false);
  compare(out, "replay_policy", desired.replay_policy, actual.replay_policy, false);
  compare(out, "deliver_subject (must be a pull consumer)", undefined, actual.deliver_subject || undefined, false);
  compare(out, "filter_subject", undefined, actual.filter_subject || undefined, false);
  compare(out, "ack_wait", desired.ack_wait, actual.ack_wait, true, ms);
  compare(out, "max_deliver", desired.max_deliver, actual.max_deliver, true);
  compare(out, "max_ack_pending", desired.max_ack_pending, actual.max_ack_pending, true);
  const backoff = (value: number[] | undefined) => (value && value.length > 0 ? value.map((v) => millis(v)) : undefined);
  compare(out, "backoff (ms)", backoff(desired.backoff), backoff(actual.backoff), true);
  out.push(...diffConsumerReception(actual, pull));
  // Not set by the feed, so anything but unset is someone else's change: a byte limit per pull request,
  // or a durable consumer the server deletes (with its ack state) after being idle that long.
  compare(out, "max_bytes", undefined, actual.max_bytes || undefined, true);
  compare(out, "inactive_threshold", undefined, actual.inactive_threshold || undefined, true, ms);
  if (actual.max_waiting !== undefined && actual.max_waiting < desired.max_waiting) {
    out.push({ field: "max_waiting", expected: `at least ${desired.max_waiting} (pull requests of every worker)`, actual: String(actual.max_waiting), updatable: false });
  }
  return out;
}

export function describeMismatches(what: string, mismatches: readonly ConfigMismatch[]): string {
  const lines = mismatches.map((m) => `  ${m.field}: expected ${m.expected}, found ${m.actual}${m.updatable ? "" : " (cannot be changed in place)"}`);
  const kind = what.split(" ")[0];
  const fix = mismatches.every((m) => m.updatable)
    ? `Fix the feed options, or update the ${kind} (provisionStreams({ onMismatch: "update" }) changes these fields in place).`
    : `Fix the feed options, or recreate the ${kind} (drain what it still holds first): provisionStreams({ onMismatch: "update" }) refuses to touch a ${kind} with a field that cannot be changed in place.`;
  return `${what} exists with settings the order feed cannot use:\n${lines.join("\n")}\n${fix}`;
}

function parseVersion(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

export function serverVersionSupported(version: string): boolean {
  const [a, b, c] = parseVersion(version);
  const [x, y, z] = parseVersion(MIN_SERVER_VERSION);
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

/** What to do with an existing resource: compare and fail, compare and update, or leave it as it is. */
type Existing = "error" | "update" | "keep";

async function ensureStream(
  jsm: JetStreamManager,
  desired: StreamSettings,
  onMismatch: Existing,
  result: { created: string[]; unchanged: string[]; updated: string[] },
): Promise<void> {
  const label = `stream ${desired.name}`;
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(desired.name)).config;
  } catch (error) {
    if (apiErrorCode(error) !== API_CODES.streamNotFound) throw toNatsFeedError(error, `reading ${label}`);
  }
  if (!existing) {
    try {
      await jsm.streams.add(desired);
      result.created.push(label);
      return;
    } catch (error) {
      // Another worker created it between our info and add: compare with what it created.
      if (apiErrorCode(error) !== API_CODES.streamNameInUse) throw toNatsFeedError(error, `creating ${label}`);
      existing = (await jsm.streams.info(desired.name)).config;
    }
  }
  const mismatches = onMismatch === "keep" ? [] : diffStreamConfig(desired, existing);
  if (mismatches.length === 0) {
    result.unchanged.push(label);
    return;
  }
  if (onMismatch === "error" || mismatches.some((m) => !m.updatable)) {
    throw new NatsFeedError("incompatible-stream", describeMismatches(label, mismatches));
  }
  const { name: _name, storage: _storage, retention: _retention, num_replicas: _replicas, ...changeable } = desired;
  try {
    await jsm.streams.update(desired.name, changeable);
  } catch (error) {
    throw toNatsFeedError(error, `updating ${label}`);
  }
  result.updated.push(label);
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  desired: ConsumerSettings,
  pull: PullRequirements,
  onMismatch: Existing,
  result: { created: string[]; unchanged: string[]; updated: string[] },
): Promise<void> {
  const name = desired.durable_name;
  const label = `consumer ${stream}/${name}`;
  let existing: ConsumerConfig | undefined;
  try {
    existing = (await jsm.consumers.info(stream, name)).config;
  } catch (error) {
    if (apiErrorCode(error) !== API_CODES.consumerNotFound) throw toNatsFeedError(error, `reading ${label}`);
  }
  if (!existing) {
    try {
      await jsm.consumers.add(stream, desired);
    } catch (error) {
      throw toNatsFeedError(error, `creating ${label}`);
    }
    result.created.push(label);
    return;
  }
  const mismatches = onMismatch === "keep" ? [] : diffConsumerConfig(desired, existing, pull);
  if (mismatches.length === 0) {
    result.unchanged.push(label);
    return;
  }
  if (onMismatch === "error" || mismatches.some((m) => !m.updatable)) {
    throw new NatsFeedError("incompatible-consumer", describeMismatches(label, mismatches));
  }
  try {
    await jsm.consumers.update(stream, name, {
      ack_wait: desired.ack_wait,
      max_deliver: desired.max_deliver,
      max_ack_pending: desired.max_ack_pending,
      backoff: desired.backoff ?? [],
      description: desired.description,
      // nats.js merges the update into the existing config: zero/false clears what the feed does not set.
      headers_only: false,
      max_batch: 0,
      max_expires: 0,
      max_bytes: 0,
      inactive_threshold: 0,
    });
  } catch (error) {
    throw toNatsFeedError(error, `updating ${label}`);
  }
  result.updated.push(label);
}

export function pullRequirements(o: Pick<ResolvedFeedOptions, "pullBatchSize">): PullRequirements {
  return { pullBatchSize: o.pullBatchSize, pullExpiresMs: PULL_EXPIRES_MS };
}

/**
 * Creates or checks the orders stream, the dead-letter stream and the durable consumer. Throws
 * `NatsFeedError` with reason `incompatible-stream` / `incompatible-consumer` (each differing field
 * named), `unsupported-server`, `invalid-options`, or a transport reason.
 */
export async function provisionStreams(connection: NatsConnection, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const resolved = resolveFeedOptions(options);
  const serverVersion = connection.info?.version ?? "unknown";
  if (!serverVersionSupported(serverVersion)) {
    throw new NatsFeedError("unsupported-server", `nats-server ${serverVersion} is too old for the order feed: it needs ${MIN_SERVER_VERSION} or newer`);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(connection);
  } catch (error) {
    throw toNatsFeedError(error, "JetStream is not available on this server (start nats-server with -js)");
  }
  const onMismatch = options.onMismatch ?? "error";
  const result = { created: [] as string[], unchanged: [] as string[], updated: [] as string[] };
  await ensureStream(jsm, ordersStreamConfig(resolved), onMismatch, result);
  await ensureStream(jsm, deadLetterStreamConfig(resolved), onMismatch, result);
  await ensureConsumer(jsm, resolved.streamName, consumerConfig(resolved), pullRequirements(resolved), onMismatch, result);
  return { options: resolved, serverVersion, ...result };
}

/**
 * Re-creates whichever of the orders stream, the dead-letter stream and the durable consumer is
 * missing, with exactly the settings `provisionStreams` uses; existing ones are left as they are (the
 * start-up provisioning already checked them). Used by the feed when the server lost them under it
 * (consumer deleted, server restarted with empty storage). Returns the labels of what it created.
 */
export async function recreateMissingResources(jsm: JetStreamManager, resolved: ResolvedFeedOptions): Promise<readonly string[]> {
  const result = { created: [] as string[], unchanged: [] as string[], updated: [] as string[] };
  await ensureStream(jsm, ordersStreamConfig(resolved), "keep", result);
  await ensureStream(jsm, deadLetterStreamConfig(resolved), "keep", result);
  await ensureConsumer(jsm, resolved.streamName, consumerConfig(resolved), pullRequirements(resolved), "keep", result);
  return result.created;
}
