// The one error type of the channel-client boundary. Push outcomes are values (`PushOutcome`); this
// error is for what the port cannot express as a value — a failed `readQuantities`, a transport
// failure inside a client. Easy to get wrong: `retryable` follows the reason (the port's
// RETRYABLE_REASONS), never the HTTP status alone — a 4xx is not worth retrying.

import { RETRYABLE_REASONS, SynclagError, type ChannelFailureReason } from "@synclag/core";

export class ChannelError extends SynclagError {
  declare readonly reason: ChannelFailureReason;
  readonly retryAfterMs: number | undefined;
  constructor(reason: ChannelFailureReason, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(reason, message, { cause: options?.cause, retryable: RETRYABLE_REASONS.has(reason) });
    this.name = "ChannelError";
    this.retryAfterMs = options?.retryAfterMs;
  }
}
