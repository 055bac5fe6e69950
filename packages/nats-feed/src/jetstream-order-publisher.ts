// Publishes order events to the orders stream and waits for JetStream's PubAck. The order id becomes
// the Nats-Msg-Id, so a publish retried inside the stream's duplicate window is stored once and
// reported as `duplicate`. Easy to get wrong: a timeout does not mean "not stored" — which is exactly
// why retries reuse the same id; and the duplicate window also answers "duplicate" to a *different*
// event reusing an order id, which then vanished (found by review; issue 3: same id, other lines = a
// conflict). So a duplicate PubAck is checked against what is stored under that id (source channel and
// normalised lines, the store's own fingerprint): the same → `duplicate`; different → `conflict` (not
// stored: the caller dead-letters it, `deadLetterConflict`); the stored message already consumed (a
// work-queue stream deletes it once settled) or unreadable → nothing to compare here, so the event is
// published again under a content-keyed id, `<id>%#<hash>`, and the store — which keeps every applied
// order id — decides: the same order is a duplicate there, another one a conflict (dead-lettered).

import { createHash } from "node:crypto";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  decodeOrderEvent,
  encodeOrderEvent,
  formatProblems,
  MAX_ORDER_EVENT_BYTES,
  normalizeOrder,
  validateOrderEvent,
  type OrderEvent,
  type OrderId,
  type OrderPublisher,
} from "@synclag/core";
import { writeDeadLetter } from "./dead-letter.js";
import { NatsFeedError, toNatsFeedError } from "./errors.js";
import { resolveFeedOptions, type JetStreamFeedOptions, type ResolvedFeedOptions } from "./feed-options.js";
import { messageIdFor, orderSubject } from "./subjects.js";

export interface JetStreamOrderPublisherOptions
  extends Pick<JetStreamFeedOptions, "streamName" | "subjectPrefix" | "deadLetterStreamName" | "deadLetterSubjectPrefix"> {
  readonly connection: NatsConnection;
  /** How long to wait for each PubAck (ms). Default 5 000. */
  readonly ackTimeoutMs?: number;
  /** Attempts per event for retryable failures (timeout, unavailable, stream full). Default 4. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt (ms), doubled per attempt, capped at 4 000. Default 250. */
  readonly retryDelayMs?: number;
  /** PubAcks awaited at once by `publishMany` (the async batch window). Default 512. */
  readonly maxPendingAcks?: number;
  /**
   * Check an order id found in the duplicate window against the stored event (`conflict`, `rechecked`).
   * Default true. False reports a duplicate as it is, with no read and no second message: for a caller
   * that checks conflicts itself — the engine service's ingest keeps each order id's content for the
   * window (OrderIdGuard), so a marketplace retrying an identical webhook after the order was consumed
   * costs no extra message, where this check would re-send it under a content id every time.
   */
  readonly checkDuplicates?: boolean;
}

export interface PublishReceipt {
  /** The stream already held this order (inside the duplicate window); nothing new was stored. */
  readonly duplicate: boolean;
  /** Stream sequence of the stored (or previously stored) message. */
  readonly sequence: number;
  /**
   * With `duplicate`: the stream holds this order id with another source channel or other lines, stored
   * as `sequence`. This event was NOT stored; it is a conflict (issue 3) — dead-letter it
   * (`deadLetterConflict`) and count it, do not retry it.
   */
  readonly conflict: boolean;
  /**
   * The order id was in the duplicate window but its stored message could not be compared (already
   * consumed, or unreadable): the event went out again under a content-keyed message id (`sequence`;
   * `duplicate` when that one was stored before), and the stock store decides — the same order is a
   * duplicate there, another one a conflict (the engine dead-letters it).
   */
  readonly rechecked: boolean;
}

/** The message id an event goes out under when its stored twin cannot be compared: `<id>%#<hash>`. */
export function recheckMessageIdFor(event: OrderEvent): string {
  // `messageIdFor` writes `%` only as `%XX`, so `%#` never occurs in a plain id: no clash with another order.
  return `${messageIdFor(event.orderId)}%#${orderContentHash(event)}`;
}

/**
 * 16 hex digits of SHA-256 over what the store compares for a conflict (source channel and normalised
 * lines): equal for two events the store takes as the same order.
 */
export function orderContentHash(event: Pick<OrderEvent, "sourceChannel" | "lines"> & { readonly orderId: unknown }): string {
  return createHash("sha256").update(orderFingerprint(event)).digest("hex").slice(0, 16);
}

function orderFingerprint(event: Pick<OrderEvent, "sourceChannel" | "lines"> & { readonly orderId: unknown }): string {
  const normal = normalizeOrder(event);
  return normal.ok ? normal.order.fingerprint : JSON.stringify([event.sourceChannel, event.lines]);
}

export type PublishOutcome =
  | ({ readonly ok: true; readonly orderId: OrderId } & PublishReceipt)
  | { readonly ok: false; readonly orderId: OrderId; readonly error: NatsFeedError };

const MAX_RETRY_DELAY_MS = 4_000;

export class JetStreamOrderPublisher implements OrderPublisher {
  private readonly connection: NatsConnection;
  private readonly js: JetStreamClient;
  private manager: Promise<JetStreamManager> | undefined;
  private readonly feed: ResolvedFeedOptions;
  private readonly streamName: string;
  private readonly subjectPrefix: string;
  private readonly ackTimeoutMs: number;
  private readonly checkDuplicates: boolean;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxPendingAcks: number;

  constructor(options: JetStreamOrderPublisherOptions) {
    const resolved = resolveFeedOptions({
      ...(options.streamName === undefined ? {} : { streamName: options.streamName }),
      ...(options.subjectPrefix === undefined ? {} : { subjectPrefix: options.subjectPrefix }),
      ...(options.deadLetterStreamName === undefined ? {} : { deadLetterStreamName: options.deadLetterStreamName }),
      ...(options.deadLetterSubjectPrefix === undefined ? {} : { deadLetterSubjectPrefix: options.deadLetterSubjectPrefix }),
    });
    this.feed = resolved;
    this.connection = options.connection;
    this.js = jetstream(options.connection);
    this.streamName = resolved.streamName;
    this.subjectPrefix = resolved.subjectPrefix;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.checkDuplicates = options.checkDuplicates ?? true;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxPendingAcks = options.maxPendingAcks ?? 512;
    for (const [name, value] of [
      ["ackTimeoutMs", this.ackTimeoutMs],
      ["maxAttempts", this.maxAttempts],
      ["retryDelayMs", this.retryDelayMs],
      ["maxPendingAcks", this.maxPendingAcks],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new NatsFeedError("invalid-options", `${name} must be a positive integer, got ${value}`);
    }
  }

  /**
   * Publishes one event and waits for its PubAck. Refuses (without sending) an event the consumer
   * would dead-letter (`invalid-event`) or one larger than MAX_ORDER_EVENT_BYTES (`oversize`).
   * Unknown fields are sent as they are (consumers ignore them). An order id already in the duplicate
   * window is checked against the stored event: see `PublishReceipt.conflict` and `rechecked`.
   */
  async publish(event: OrderEvent): Promise<PublishReceipt> {
    const bytes = encodeOrderEvent(event);
    if (bytes.byteLength > MAX_ORDER_EVENT_BYTES) {
      throw new NatsFeedError("oversize", `order ${JSON.stringify(event.orderId)} encodes to ${bytes.byteLength} bytes, limit ${MAX_ORDER_EVENT_BYTES}`);
    }
    const checked = validateOrderEvent(event);
    if (!checked.ok) {
      throw new NatsFeedError("invalid-event", `order ${JSON.stringify(event.orderId)} is not a valid order event: ${formatProblems(checked.problems)}`);
    }
    const subject = orderSubject(this.subjectPrefix, event.sourceChannel);
    const msgID = messageIdFor(event.orderId);
    const ack = await this.send(event, subject, bytes, msgID);
    if (!ack.duplicate || !this.checkDuplicates) return { duplicate: ack.duplicate, sequence: ack.seq, conflict: false, rechecked: false };
    const stored = await this.storedFingerprint(ack.seq, msgID);
    if (stored !== undefined) {
      const same = stored === orderFingerprint(event);
      return { duplicate: true, sequence: ack.seq, conflict: !same, rechecked: false };
    }
    const again = await this.send(event, subject, bytes, recheckMessageIdFor(event));
    return { duplicate: again.duplicate, sequence: again.seq, conflict: false, rechecked: true };
  }

  /**
   * Writes the dead letter of an event `publish` reported as a conflict: kind `rejected`, reason
   * `conflict: …` (as the engine writes for a conflict the store finds), the event's bytes as payload,
   * original sequence 0 (it was never stored in the orders stream). A second write for the same event
   * and stored original is a no-op (`duplicate`), so a marketplace retrying the webhook leaves one record.
   */
  async deadLetterConflict(event: OrderEvent, receipt: PublishReceipt): Promise<{ readonly sequence: number; readonly duplicate: boolean }> {
    if (!receipt.conflict) throw new NatsFeedError("invalid-options", `order ${JSON.stringify(event.orderId)}: deadLetterConflict needs a receipt with conflict: true`);
    const reason = `conflict: order id already used with different lines or source channel (${this.streamName} #${receipt.sequence}, published again inside the stream's duplicate window); this event was not stored`;
    const recordId = `dlq:conflict:${this.streamName}:${receipt.sequence}:${orderContentHash(event)}`;
    return writeDeadLetter(
      this.js,
      this.feed,
      { kind: "rejected", reason, orderId: event.orderId, subject: orderSubject(this.subjectPrefix, event.sourceChannel), sequence: 0, timestampNanos: 0n, deliveryCount: 0, data: encodeOrderEvent(event) },
      this.ackTimeoutMs,
      recordId,
    );
  }

  /** Publishes with retries of retryable failures (same message id: a retry is deduplicated). */
  private async send(event: OrderEvent, subject: string, bytes: Uint8Array, msgID: string): Promise<PubAck> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.js.publish(subject, bytes, { msgID, timeout: this.ackTimeoutMs, expect: { streamName: this.streamName } });
      } catch (error) {
        const failure = toNatsFeedError(error, `publishing order ${JSON.stringify(event.orderId)} (attempt ${attempt}/${this.maxAttempts})`);
        if (!failure.retryable || attempt >= this.maxAttempts || this.connection.isClosed()) throw failure;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)));
      }
    }
  }

  /**
   * The fingerprint of the order stored as `sequence` under `msgID`; undefined when it cannot be
   * compared: gone (consumed: a work-queue stream deletes settled messages), stored by someone else
   * under that id without a decodable order event, or not readable right now.
   */
  private async storedFingerprint(sequence: number, msgID: string): Promise<string | undefined> {
    try {
      this.manager ??= jetstreamManager(this.connection, { checkAPI: false, timeout: this.ackTimeoutMs }).catch((error: unknown) => {
        this.manager = undefined;
        throw error;
      });
      const stored = await (await this.manager).streams.getMessage(this.streamName, { seq: sequence });
      if (!stored || stored.header.get("Nats-Msg-Id") !== msgID) return undefined;
      const decoded = decodeOrderEvent(stored.data);
      return decoded.ok ? orderFingerprint(decoded.event) : undefined;
    } catch {
      return undefined; // not found, a header nats.js refuses, a timeout: the store decides instead
    }
  }

  /**
   * Publishes many events with up to `maxPendingAcks` PubAcks outstanding (async batching); resolves
   * with one outcome per event, in input order. A failure of one event does not stop the others.
   */
  async publishMany(events: readonly OrderEvent[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = new Array<PublishOutcome>(events.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < events.length) {
        const index = next++;
        const event = events[index] as OrderEvent;
        try {
          outcomes[index] = { ok: true, orderId: event.orderId, ...(await this.publish(event)) };
        } catch (error) {
          outcomes[index] = { ok: false, orderId: event.orderId, error: toNatsFeedError(error, `publishing order ${JSON.stringify(event.orderId)}`) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxPendingAcks, events.length) }, lane));
    return outcomes;
  }
}
