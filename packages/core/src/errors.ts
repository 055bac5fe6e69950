// One error type per boundary, each with a `reason` that decides `isRetryable`, a `name`, and the
// original `cause` kept (nats.js jserrors; node-redis forgets `name` — we don't).

export class SynclagError extends Error {
  readonly reason: string;
  readonly retryable: boolean;
  constructor(reason: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SynclagError";
    this.reason = reason;
    this.retryable = options?.retryable ?? false;
  }
}

/** An internal invariant was broken: a bug, never an expected outcome. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
