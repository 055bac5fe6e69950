// The one error type of the NATS boundary. Every failure the feed, the publisher or provisioning
// reports is a `NatsFeedError` whose `reason` decides `retryable`, with the nats.js error kept as
// `cause`. Easy to get wrong: a JetStream API error is not one thing — "message too large" must not
// be retried, "stream full" or "no ack in time" may be (same Nats-Msg-Id, so a retry is deduplicated).

import { SynclagError } from "@synclag/core";
import { JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from "@nats-io/transport-node";

export type NatsFeedErrorReason =
  | "invalid-options" // a configuration value is out of range (programmer error)
  | "invalid-event" // the publisher refused an event the consumer would dead-letter
  | "oversize" // the encoded event exceeds MAX_ORDER_EVENT_BYTES / the stream's max_msg_size
  | "timeout" // no PubAck / API reply in time: the message may or may not be stored
  | "unavailable" // JetStream not reachable (not enabled on the server, disconnected)
  | "stream-not-found" // the stream is missing (never provisioned, deleted, or the server lost its storage)
  | "stream-full" // the stream's limits refuse new messages (discard: new)
  | "wrong-stream" // the subject is captured by another stream than the configured one
  | "rejected" // any other JetStream API refusal
  | "closed" // the connection is closed or draining
  | "unsupported-server" // nats-server older than the feed needs
  | "incompatible-stream" // an existing stream's settings differ from the configured ones
  | "incompatible-consumer" // an existing consumer's settings differ from the configured ones
  | "consumer-not-found" // the durable consumer is missing (consume() before provisioning, or deleted on the server)
  | "dead-letter-failed" // the dead-letter record could not be written (the message is retried)
  | "settle-failed" // ack / nak / term could not be sent
  | "handler-failed" // the handler threw (the message is retried)
  | "heartbeats-missed" // a pull request got no heartbeat from the server while connected (nats.js checks the consumer)
  | "pull-backpressure" // nats-server turned a pull away for now (the consumer holds max_waiting pulls): the feed backs off and pulls again
  | "delete-denied" // the orders stream refuses message deletes (deny_delete, sealed): a configuration error, never retried
  | "unauthorized" // nats-server refused the connection's credentials (Authorization Violation, an expired JWT)
  | "unexpected";

const RETRYABLE: ReadonlySet<NatsFeedErrorReason> = new Set([
  "timeout",
  "unavailable",
  "stream-not-found",
  "stream-full",
  "dead-letter-failed",
  "settle-failed",
  "handler-failed",
  "heartbeats-missed",
  "pull-backpressure",
]);

export class NatsFeedError extends SynclagError {
  declare readonly reason: NatsFeedErrorReason;

  constructor(reason: NatsFeedErrorReason, message: string, options?: { cause?: unknown }) {
    super(reason, message, { ...(options?.cause === undefined ? {} : { cause: options.cause }), retryable: RETRYABLE.has(reason) });
    this.name = "NatsFeedError";
  }
}

/** JetStream API error codes the feed tells apart (nats-server's errors.json). */
export const API_CODES = {
  streamNotFound: 10059,
  consumerNotFound: 10014,
  streamNameInUse: 10058,
  messageSizeExceeded: 10054,
  expectedStreamMismatch: 10060,
  /** "message delete failed": the text says why ("message delete not permitted" = deny_delete). */
  messageDeleteFailed: 10057,
  /** "invalid operation on sealed stream". */
  streamSealed: 10109,
} as const;

/** The stream refuses to delete messages by its configuration (deny_delete, sealed): retrying cannot help. */
export function isDeleteDenied(error: unknown): boolean {
  const code = apiErrorCode(error);
  if (code === API_CODES.streamSealed) return true;
  return code === API_CODES.messageDeleteFailed && /not permitted/i.test(messageOf(error));
}

export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The NoRespondersError somewhere in `error`'s cause chain (nats.js wraps it once or twice). */
function noResponders(error: unknown): NoRespondersError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof NoRespondersError) return e;
  }
  return undefined;
}

/**
 * "No responders" means something different per subject: on the JetStream API (`$JS.…API.…`) JetStream
 * itself is off; on a publish subject no stream stores that subject (nats.js still words both
 * "jetstream is not enabled", which sent operators looking in the wrong place).
 */
function fromNoResponders(error: unknown, cause: NoRespondersError | undefined, context: string): NatsFeedError {
  const subject = cause?.subject;
  if (subject !== undefined && subject !== "" && !subject.startsWith("$JS.")) {
    return new NatsFeedError(
      "stream-not-found",
      `${context}: no stream stores subject '${subject}' (the stream is missing: deleted, never provisioned, or the server lost its storage)`,
      { cause: error },
    );
  }
  return new NatsFeedError("unavailable", `${context}: JetStream is not enabled on the server (no responders${subject ? ` on '${subject}'` : ""}; start nats-server with -js)`, {
    cause: error,
  });
}

/**
 * What a 409 that ended a pull request means (nats.js throws the server's status description, lower-
 * cased, as a JetStreamStatusError). nats-server refuses a pull asking for more than the consumer
 * allows — "Exceeded MaxRequestBatch of N", "Exceeded MaxRequestExpires of D", "Exceeded
 * MaxRequestMaxBytes of B" — and it refuses every such pull: `incompatible`, an operator must fix the
 * consumer. So did "Exceeded MaxAckPending" on servers before 2.9 (a pull batch above max_ack_pending:
 * every full-size pull). "Exceeded MaxWaiting" says the consumer already holds max_waiting pull
 * requests (other workers', or stale ones until they expire): `backpressure` — a later pull may get
 * in, though a worker that keeps losing the race gets nothing (the feed says so again every minute).
 * Any other "exceeded" is taken as incompatible: the feed then checks the consumer and says what to
 * fix. Newer servers drop a MaxWaiting pull that asked for heartbeats (nats.js's fetch does) without a
 * 409: the feed sees missed heartbeats and pulls again.
 */
export function classifyPullRefusal(error: unknown): "incompatible" | "backpressure" | undefined {
  if (!(error instanceof Error) || error.name !== "JetStreamStatusError") return undefined;
  const description = error.message.toLowerCase();
  if (/\bexceeded maxwaiting\b/.test(description)) return "backpressure";
  if (/\bexceeded\b/.test(description)) return "incompatible";
  return undefined;
}

/** Maps a nats.js failure to a `NatsFeedError`; `context` says what was attempted. */
export function toNatsFeedError(error: unknown, context: string): NatsFeedError {
  if (error instanceof NatsFeedError) return error;
  const detail = `${context}: ${messageOf(error)}`;
  if (error instanceof JetStreamApiError) {
    if (error.code === API_CODES.messageSizeExceeded) return new NatsFeedError("oversize", detail, { cause: error });
    if (error.code === API_CODES.expectedStreamMismatch) return new NatsFeedError("wrong-stream", detail, { cause: error });
    if (error.code === API_CODES.consumerNotFound) return new NatsFeedError("consumer-not-found", detail, { cause: error });
    if (error.code === API_CODES.streamNotFound) return new NatsFeedError("stream-not-found", detail, { cause: error });
    // 2.9 words these "maximum messages exceeded", "maximum bytes exceeded", "insufficient resources".
    if (/maximum .*exceeded|insufficient resources/i.test(error.message)) return new NatsFeedError("stream-full", detail, { cause: error });
    return new NatsFeedError("rejected", detail, { cause: error });
  }
  // A pull request ended by the server with a 409 status (JetStreamStatusError is not exported either).
  if (error instanceof Error && error.name === "JetStreamStatusError") {
    if (/consumer deleted/i.test(error.message)) return new NatsFeedError("consumer-not-found", `${context}: the consumer was deleted on the server`, { cause: error });
    if (/stream deleted/i.test(error.message)) return new NatsFeedError("stream-not-found", `${context}: the stream was deleted on the server`, { cause: error });
  }
  if (error instanceof TimeoutError) return new NatsFeedError("timeout", detail, { cause: error });
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) {
    return new NatsFeedError("closed", detail, { cause: error });
  }
  // JetStreamNotEnabled (no responders on the JS API) is not exported by @nats-io/jetstream's entry point.
  if ((error instanceof Error && error.name === "JetStreamNotEnabled") || error instanceof NoRespondersError) {
    return fromNoResponders(error, noResponders(error), context);
  }
  if (error instanceof RequestError) {
    if (error.isNoResponders()) return fromNoResponders(error, noResponders(error), context);
    return new NatsFeedError("timeout", detail, { cause: error });
  }
  return new NatsFeedError("unexpected", detail, { cause: error });
}
