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
// advisory path, different for a message stored again after a re-creation. Two ways the copied headers
// kept a message from ever being dead-lettered (retried forever), found by review: nats.js decodes
// headers lazily and throws on a name it refuses (a space, non-ASCII) — so they are read in a try and,
// when unreadable, the raw block is kept base64-encoded instead; and a message within the orders
// stream's size limit but with many headers outgrew the dead-letter stream's once each name got the
// prefix — so an oversize record is written again with as many copied headers as fit, saying how many
// were left out. The original bytes are always kept whole.

import { jetstreamManager, type JetStreamClient, type StoredMsg } from "@nats-io/jetstream";
import { headers as createHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { MAX_ORDER_EVENT_BYTES, type OrderId } from "@synclag/core";
import { NatsFeedError, toNatsFeedError } from "./errors.js";
import { resolveFeedOptions, type JetStreamFeedOptions, type ResolvedFeedOptions } from "./feed-options.js";
import { headerText } from "./subjects.js";

/**
 * Why the feed gave up: `invalid` — the bytes did not decode as an order event; `rejected` — the
 * handler returned `dead-letter`; `retries-exhausted` — the handler asked to retry on the last allowed
 * delivery (or threw), or in the last run the exhausted-message sweep gives a message it found below
 * the consumer's ack floor; `max-deliver` — no delivery was settled before max-deliver ran out (crashed
 * or hung workers), reported by the server's advisory.
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
  /** How many original headers were left out so the record fits the dead-letter stream. */
  headersDropped: "Synclag-Headers-Dropped",
  /** Why the original headers could not be read (then none are copied one by one). */
  headersUnreadable: "Synclag-Headers-Unreadable",
  /** The unreadable original header block, base64 (absent when it could not be fetched or did not fit). */
  headersRaw: "Synclag-Headers-Raw",
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
  /** Set instead of `headers` when nats.js could not decode them (see readOriginalHeaders). */
  readonly unreadableHeaders?: UnreadableHeaders | undefined;
}

export interface UnreadableHeaders {
  /** nats.js's complaint. */
  readonly error: string;
  /** The raw header block as stored, when it could be fetched. */
  readonly raw?: Uint8Array | undefined;
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
  /** The original headers (including the publisher's Nats-Msg-Id), as far as they were kept. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Original headers left out so the record fitted the dead-letter stream; absent when none were. */
  readonly headersDropped?: number;
  /** Why the original headers could not be read; `headersRaw` is their raw block when it was kept. */
  readonly headersUnreadable?: string;
  readonly headersRaw?: Uint8Array;
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

/** Bytes a header line takes on the wire: `Name: value\r\n`. */
function headerLineBytes(name: string, value: string): number {
  return Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
}

/** The original headers (prefixed) and the unreadable-header note, within `budgetBytes` (wire bytes). */
function copiedHeaders(input: DeadLetterInput, budgetBytes: number): { lines: [string, string][]; dropped: number } {
  const lines: [string, string][] = [];
  let dropped = 0;
  let used = 0;
  const keep = (name: string, value: string): boolean => {
    const size = headerLineBytes(name, value);
    if (used + size > budgetBytes) return false;
    used += size;
    lines.push([name, value]);
    return true;
  };
  if (input.unreadableHeaders) {
    const { error, raw } = input.unreadableHeaders;
    const note = headerText(`nats.js could not read the original headers (${error})${raw ? "" : "; the raw block could not be fetched"}`, 300);
    keep(DEAD_LETTER_HEADERS.headersUnreadable, note);
    if (raw && !keep(DEAD_LETTER_HEADERS.headersRaw, Buffer.from(raw).toString("base64"))) dropped++;
  }
  if (input.headers) {
    for (const key of input.headers.keys()) {
      for (const value of input.headers.values(key)) if (!keep(ORIGINAL_HEADER_PREFIX + key, value)) dropped++;
    }
  }
  return { lines, dropped };
}

/**
 * The record's metadata headers, then the original headers under ORIGINAL_HEADER_PREFIX — as many as
 * fit in `copiedHeaderBytes` (wire bytes; default all), the number left out in `Synclag-Headers-Dropped`.
 */
export function deadLetterHeaders(input: DeadLetterInput, copiedHeaderBytes = Number.POSITIVE_INFINITY): MsgHdrs {
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
  const { lines, dropped } = copiedHeaders(input, copiedHeaderBytes);
  if (dropped > 0) h.set(DEAD_LETTER_HEADERS.headersDropped, String(dropped));
  for (const [name, value] of lines) h.append(name, value);
  return h;
}

/**
 * Reads a message's headers, which nats.js decodes only on first access and then may refuse (a header
 * name with a space or non-ASCII characters, written by a non-JS client): the error is returned
 * instead of thrown, so the message can still be dead-lettered.
 */
export function readOriginalHeaders(read: () => MsgHdrs | undefined): { readonly headers?: MsgHdrs; readonly error?: string } {
  try {
    const headers = read();
    return headers === undefined ? {} : { headers };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The raw header block of stored message `sequence`, read with a plain JetStream API request (nats.js's
 * own getMessage decodes the headers and throws on the same names). Undefined when it has none or the
 * request fails.
 */
export async function readRawStoredHeaders(connection: NatsConnection, streamName: string, sequence: number, timeoutMs: number): Promise<Uint8Array | undefined> {
  try {
    const reply = await connection.request(`$JS.API.STREAM.MSG.GET.${streamName}`, JSON.stringify({ seq: sequence }), { timeout: timeoutMs });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { message?: { hdrs?: unknown } };
    const hdrs = body.message?.hdrs;
    return typeof hdrs === "string" && hdrs.length > 0 ? new Uint8Array(Buffer.from(hdrs, "base64")) : undefined;
  } catch {
    return undefined;
  }
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
 * The Nats-Msg-Id of the copy a stopping feed puts back in the orders stream for a last delivery it hands
 * back (see JetStreamFeedSubscription.requeue): `%requeue:<stream>:<sequence>:<stored-at ns>`, one per
 * stored message, so a retried publish of the copy is stored once. Never an order's id: `messageIdFor`
 * writes `%` only as `%XX` (hex digits), so `%r` never starts one.
 */
export function requeueMessageId(streamName: string, sequence: number, timestampNanos: bigint): string {
  return `%requeue:${streamName}:${sequence}:${timestampNanos}`;
}

/** Header of such a copy: which stored message and delivery it was put back for. */
export const REQUEUED_FROM_HEADER = "Synclag-Requeued-From";

/**
 * The headers a dead letter is published with: JetStream's own (`Nats-Msg-Id`, `Nats-Expected-Stream`)
 * FIRST, then the metadata and the copied originals. Easy to get wrong: nats-server 2.9 looks a header
 * up by the first occurrence of its name anywhere in the header block and ignores it unless that
 * occurrence starts a line — with the copied `Synclag-Original-Header-Nats-Msg-Id` ahead of it the
 * record id was never seen, and a second write of the same dead letter was stored again.
 */
export function deadLetterPublishHeaders(messageId: string, deadLetterStreamName: string, input: DeadLetterInput, copiedHeaderBytes = Number.POSITIVE_INFINITY): MsgHdrs {
  const h = createHeaders();
  h.set("Nats-Msg-Id", messageId);
  h.set("Nats-Expected-Stream", deadLetterStreamName);
  const metadata = deadLetterHeaders(input, copiedHeaderBytes);
  for (const key of metadata.keys()) {
    for (const value of metadata.values(key)) h.append(key, value);
  }
  return h;
}

/** Room left for the record's own headers (metadata, id) when copied headers are cut to fit (bytes). */
const RECORD_HEADER_ROOM_BYTES = 2 * 1024;

/**
 * Writes one dead letter and waits for the stream's ack; a second write of the same one is a no-op. A
 * record the dead-letter stream refuses as too large is written again with only the copied headers that
 * fit its configured message size, then with none (the original bytes are always kept).
 */
export async function writeDeadLetter(
  js: JetStreamClient,
  options: Pick<ResolvedFeedOptions, "streamName" | "deadLetterStreamName" | "deadLetterSubjectPrefix" | "deadLetterMaxMessageBytes">,
  input: DeadLetterInput,
  timeoutMs: number,
  /** The record id; default `deadLetterMessageId` of the original (an event never stored needs its own). */
  messageId: string = deadLetterMessageId(options.streamName, input.sequence, input.timestampNanos),
): Promise<{ readonly sequence: number; readonly duplicate: boolean }> {
  const budgets = [Number.POSITIVE_INFINITY, Math.max(0, options.deadLetterMaxMessageBytes - input.data.byteLength - RECORD_HEADER_ROOM_BYTES), 0];
  for (let attempt = 0; ; attempt++) {
    try {
      const ack = await js.publish(`${options.deadLetterSubjectPrefix}.${input.kind}`, input.data, {
        // Not `msgID`/`expect`: nats.js would append those after the copied originals (see above).
        headers: deadLetterPublishHeaders(messageId, options.deadLetterStreamName, input, budgets[attempt]),
        timeout: timeoutMs,
      });
      return { sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      const cause = toNatsFeedError(error, `writing dead letter for ${options.streamName} #${input.sequence}`);
      // Not stored (the stream refused it whole), so the same record id is free for the smaller write.
      if (cause.reason === "oversize" && attempt + 1 < budgets.length) continue;
      throw new NatsFeedError("dead-letter-failed", cause.message, { cause });
    }
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
  const dropped = Number(get(DEAD_LETTER_HEADERS.headersDropped));
  const unreadable = get(DEAD_LETTER_HEADERS.headersUnreadable);
  const raw = get(DEAD_LETTER_HEADERS.headersRaw);
  return {
    kind: isDeadLetterKind(kind) ? kind : "invalid",
    reason: get(DEAD_LETTER_HEADERS.reason),
    ...(orderId ? { orderId } : {}),
    subject: get(DEAD_LETTER_HEADERS.subject),
    streamSequence: Number(get(DEAD_LETTER_HEADERS.sequence)),
    deliveryCount: Number(get(DEAD_LETTER_HEADERS.deliveryCount)),
    data: message.data,
    headers: original,
    ...(dropped > 0 ? { headersDropped: dropped } : {}),
    ...(unreadable ? { headersUnreadable: unreadable } : {}),
    ...(raw ? { headersRaw: new Uint8Array(Buffer.from(raw, "base64")) } : {}),
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
