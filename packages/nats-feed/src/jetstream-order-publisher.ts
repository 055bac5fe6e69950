// Publishes order events to the orders stream and waits for JetStream's PubAck. The order id becomes
// the Nats-Msg-Id, so a publish retried inside the stream's duplicate window is stored once and
// reported as `duplicate`. Easy to get wrong: the duplicate window also drops a *different* event that
// reuses an order id inside the window (it is reported as a duplicate, not as a conflict), and a
// timeout does not mean "not stored" — which is exactly why retries reuse the same id.

import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeOrderEvent, formatProblems, MAX_ORDER_EVENT_BYTES, validateOrderEvent, type OrderEvent, type OrderId, type OrderPublisher } from "@synclag/core";
import { NatsFeedError, toNatsFeedError } from "./errors.js";
import { resolveFeedOptions, type JetStreamFeedOptions } from "./feed-options.js";
import { messageIdFor, orderSubject } from "./subjects.js";

export interface JetStreamOrderPublisherOptions extends Pick<JetStreamFeedOptions, "streamName" | "subjectPrefix"> {
  readonly connection: NatsConnection;
  /** How long to wait for each PubAck (ms). Default 5 000. */
  readonly ackTimeoutMs?: number;
  /** Attempts per event for retryable failures (timeout, unavailable, stream full). Default 4. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt (ms), doubled per attempt, capped at 4 000. Default 250. */
  readonly retryDelayMs?: number;
  /** PubAcks awaited at once by `publishMany` (the async batch window). Default 512. */
  readonly maxPendingAcks?: number;
}

export interface PublishReceipt {
  /** The stream already held this order id (inside the duplicate window); nothing new was stored. */
  readonly duplicate: boolean;
  /** Stream sequence of the stored (or previously stored) message. */
  readonly sequence: number;
}

export type PublishOutcome =
  | ({ readonly ok: true; readonly orderId: OrderId } & PublishReceipt)
  | { readonly ok: false; readonly orderId: OrderId; readonly error: NatsFeedError };

const MAX_RETRY_DELAY_MS = 4_000;

export class JetStreamOrderPublisher implements OrderPublisher {
  private readonly connection: NatsConnection;
  private readonly js: JetStreamClient;
  private readonly streamName: string;
  private readonly subjectPrefix: string;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxPendingAcks: number;

  constructor(options: JetStreamOrderPublisherOptions) {
    const resolved = resolveFeedOptions({
      ...(options.streamName === undefined ? {} : { streamName: options.streamName }),
      ...(options.subjectPrefix === undefined ? {} : { subjectPrefix: options.subjectPrefix }),
    });
    this.connection = options.connection;
    this.js = jetstream(options.connection);
    this.streamName = resolved.streamName;
    this.subjectPrefix = resolved.subjectPrefix;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
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
   * Unknown fields are sent as they are (consumers ignore them).
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
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await this.js.publish(subject, bytes, { msgID, timeout: this.ackTimeoutMs, expect: { streamName: this.streamName } });
        return { duplicate: ack.duplicate, sequence: ack.seq };
      } catch (error) {
        const failure = toNatsFeedError(error, `publishing order ${JSON.stringify(event.orderId)} (attempt ${attempt}/${this.maxAttempts})`);
        if (!failure.retryable || attempt >= this.maxAttempts || this.connection.isClosed()) throw failure;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)));
      }
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
