// Dead letters: an order message the feed gave up on, kept in its own stream with the reason. The
// dead-letter message carries the ORIGINAL bytes untouched as its payload (so a replay tool can
// republish them as they were) and the metadata in `Synclag-*` headers; the original headers are
// copied under a prefix. Easy to get wrong: copying `Nats-Msg-Id` (or any `Nats-*` header) verbatim
// would make the dead-letter stream deduplicate or reject the record — hence the prefix, and a
// record id of its own so writing the same dead letter twice is a no-op. That id must also tell apart
// two DIFFERENT messages with the same sequence: a re-created orders stream starts again at 1, and an
// id of stream + sequence alone made JetStream drop the new dead letter as a duplicate of an old one
// (inside the duplicate window) while the feed terminated the original — a lost order. Hence the
// original's storage timestamp (ns) in the id: the same for every redelivery and for the max-deliver
// advisory path, different for a message stored again after a re-creation.

import { jetstreamManager, type JetStreamClient, type StoredMsg } from "@nats-io/jetstream";
import { headers as createHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { MAX_ORDER_EVENT_BYTES, type OrderId } from "@synclag/core";
import { NatsFeedError, toNatsFeedError } from "./errors.js";
import { resolveFeedOptions, type JetStreamFeedOptions, type ResolvedFeedOptions } from "./feed-options.js";
import { headerText } from "./subjects.js";

/**
 * Why the feed gave up: `invalid` — the bytes did not decode as an order event; `rejected` — the
 * handler returned `dead-letter`; `retries-exhausted` — the handler asked to retry on the last allowed
 * delivery (or threw); `max-deliver` — no delivery was settled before max-deliver ran out (crashed or
 * hung workers), reported by the server's advisory.
 */
export type DeadLetterKind = "invalid" | "rejected" | "retries-exhausted" | "max-deliver";

export const DEAD_LETTER_KINDS: readonly DeadLetterKind[] = ["invalid", "rejected", "retries-exhausted", "max-deliver"];

export const DEAD_LETTER_HEADERS = {
  kind: "Synclag-Dead-Letter-Kind",
  reason: "Synclag-Dead-Letter-Reason",
  orderId: "Synclag-Order-Id",
  subject: "Synclag-Original-Subject",
  sequence: "Synclag-Original-Sequence",
  deliveryCount: "Synclag-Delivery-Count",
} as const;

/** Original headers are copied as `Synclag-Original-Header-<name>`. */
export const ORIGINAL_HEADER_PREFIX = "Synclag-Original-Header-";

export interface DeadLetterInput {
  readonly kind: DeadLetterKind;
  readonly reason: string;
  readonly orderId?: OrderId;
  /** Subject the order was published on. */
  readonly subject: string;
  /** Sequence of the order message in the orders stream. */
  readonly sequence: number;
  /**
   * When the orders stream stored the original message (server time, ns since the epoch; JsMsg
   * `timestampNanos`, or `timestampNanosFromIso(stored.timestamp)`). Part of the record id.
   */
  readonly timestampNanos: bigint;
  /** Deliveries so far (1 on the first). */
  readonly deliveryCount: number;
  /** The original payload, byte for byte. */
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

export interface DeadLetterRecord {
  readonly kind: DeadLetterKind;
  readonly reason: string;
  /** Present when the event decoded far enough to have one. */
  readonly orderId?: OrderId;
  readonly subject: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  /** The original payload, byte for byte. */
  readonly data: Uint8Array;
  /** The original headers (including the publisher's Nats-Msg-Id). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Sequence of the record in the dead-letter stream. */
  readonly deadLetterSequence: number;
  /** When the dead-letter stream stored the record (server time, ms since the epoch). */
  readonly deadLetteredAtMs: number;
}

/** The order id of an event that failed validation, if its JSON has a usable one (for searching). */
export function orderIdHint(data: Uint8Array): string | undefined {
  if (data.byteLength > MAX_ORDER_EVENT_BYTES) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    if (typeof value !== "object" || value === null) return undefined;
    const id = (value as { orderId?: unknown }).orderId;
    return typeof id === "string" && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

export function deadLetterHeaders(input: DeadLetterInput): MsgHdrs {
  const h = createHeaders();
  h.set(DEAD_LETTER_HEADERS.kind, input.kind);
  h.set(DEAD_LETTER_HEADERS.reason, headerText(input.reason) || "(no reason given)");
  if (input.orderId !== undefined) {
    const id = headerText(input.orderId, 200);
    if (id) h.set(DEAD_LETTER_HEADERS.orderId, id);
  }
  h.set(DEAD_LETTER_HEADERS.subject, input.subject);
  h.set(DEAD_LETTER_HEADERS.sequence, String(input.sequence));
  h.set(DEAD_LETTER_HEADERS.deliveryCount, String(input.deliveryCount));
  if (input.headers) {
    for (const key of input.headers.keys()) {
      for (const value of input.headers.values(key)) h.append(ORIGINAL_HEADER_PREFIX + key, value);
    }
  }
  return h;
}

/**
 * Parses the RFC 3339 timestamp nats-server gives a stored message (`StoredMsg.timestamp`, up to 9
 * fraction digits) into ns since the epoch, exactly — the same number a delivery's reply subject carries
 * (`JsMsg.timestampNanos`). `Date` would keep only milliseconds.
 */
export function timestampNanosFromIso(text: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  const seconds = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!match || !Number.isFinite(seconds)) throw new NatsFeedError("unexpected", `not an RFC 3339 timestamp: ${JSON.stringify(text.slice(0, 100))}`);
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

/**
 * The dead-letter record's Nats-Msg-Id: `dlq:<stream>:<sequence>:<stored-at ns>`. Deterministic for one
 * stored message (every redelivery, both the handler and the advisory path), distinct for a message
 * stored with the same sequence after the stream was re-created.
 */
export function deadLetterMessageId(streamName: string, sequence: number, timestampNanos: bigint): string {
  return `dlq:${streamName}:${sequence}:${timestampNanos}`;
}

/**
 * The headers a dead letter is published with: JetStream's own (`Nats-Msg-Id`, `Nats-Expected-Stream`)
 * FIRST, then the metadata and the copied originals. Easy to get wrong: nats-server 2.9 looks a header
 * up by the first occurrence of its name anywhere in the header block and ignores it unless that
 * occurrence starts a line — with the copied `Synclag-Original-Header-Nats-Msg-Id` ahead of it the
 * record id was never seen, and a second write of the same dead letter was stored again.
 */
export function deadLetterPublishHeaders(messageId: string, deadLetterStreamName: string, input: DeadLetterInput): MsgHdrs {
  const h = createHeaders();
  h.set("Nats-Msg-Id", messageId);
  h.set("Nats-Expected-Stream", deadLetterStreamName);
  const metadata = deadLetterHeaders(input);
  for (const key of metadata.keys()) {
    for (const value of metadata.values(key)) h.append(key, value);
  }
  return h;
}

/** Writes one dead letter and waits for the stream's ack; a second write of the same one is a no-op. */
export async function writeDeadLetter(
  js: JetStreamClient,
  options: Pick<ResolvedFeedOptions, "streamName" | "deadLetterStreamName" | "deadLetterSubjectPrefix">,
  input: DeadLetterInput,
  timeoutMs: number,
): Promise<{ readonly sequence: number; readonly duplicate: boolean }> {
  try {
    const ack = await js.publish(`${options.deadLetterSubjectPrefix}.${input.kind}`, input.data, {
      // Not `msgID`/`expect`: nats.js would append those after the copied originals (see above).
      headers: deadLetterPublishHeaders(deadLetterMessageId(options.streamName, input.sequence, input.timestampNanos), options.deadLetterStreamName, input),
      timeout: timeoutMs,
    });
    return { sequence: ack.seq, duplicate: ack.duplicate };
  } catch (error) {
    const cause = toNatsFeedError(error, `writing dead letter for ${options.streamName} #${input.sequence}`);
    throw new NatsFeedError("dead-letter-failed", cause.message, { cause });
  }
}

function isDeadLetterKind(value: string): value is DeadLetterKind {
  return (DEAD_LETTER_KINDS as readonly string[]).includes(value);
}

/** Reads a stored dead-letter message back into a record. */
export function parseDeadLetter(message: Pick<StoredMsg, "header" | "data" | "seq" | "time">): DeadLetterRecord {
  const h = message.header;
  const get = (key: string): string => h.get(key);
  const kind = get(DEAD_LETTER_HEADERS.kind);
  const original: Record<string, string[]> = {};
  for (const key of h.keys()) {
    if (key.startsWith(ORIGINAL_HEADER_PREFIX)) original[key.slice(ORIGINAL_HEADER_PREFIX.length)] = h.values(key);
  }
  const orderId = get(DEAD_LETTER_HEADERS.orderId);
  return {
    kind: isDeadLetterKind(kind) ? kind : "invalid",
    reason: get(DEAD_LETTER_HEADERS.reason),
    ...(orderId ? { orderId } : {}),
    subject: get(DEAD_LETTER_HEADERS.subject),
    streamSequence: Number(get(DEAD_LETTER_HEADERS.sequence)),
    deliveryCount: Number(get(DEAD_LETTER_HEADERS.deliveryCount)),
    data: message.data,
    headers: original,
    deadLetterSequence: message.seq,
    deadLetteredAtMs: message.time.getTime(),
  };
}

export interface ReadDeadLettersQuery {
  /** Only records after this dead-letter sequence. Default 0. */
  readonly afterSequence?: number;
  /** Most records returned. Default 1 000. */
  readonly limit?: number;
}

/** Dead letters in stream order (one API request per record: for operators and tests, not hot paths). */
export async function readDeadLetters(
  connection: NatsConnection,
  options: JetStreamFeedOptions = {},
  query: ReadDeadLettersQuery = {},
): Promise<DeadLetterRecord[]> {
  const { deadLetterStreamName } = resolveFeedOptions(options);
  const limit = query.limit ?? 1_000;
  try {
    const jsm = await jetstreamManager(connection, { checkAPI: false });
    const { state } = await jsm.streams.info(deadLetterStreamName);
    const records: DeadLetterRecord[] = [];
    for (let seq = Math.max(state.first_seq, (query.afterSequence ?? 0) + 1); seq <= state.last_seq && records.length < limit; seq++) {
      const message = await jsm.streams.getMessage(deadLetterStreamName, { seq });
      if (message) records.push(parseDeadLetter(message));
    }
    return records;
  } catch (error) {
    throw toNatsFeedError(error, `reading dead letters from ${deadLetterStreamName}`);
  }
}
