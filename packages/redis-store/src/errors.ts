// The one error type of the Redis stock store boundary, and the mapping from node-redis / Redis errors to
// it. Expected outcomes (insufficient, conflict, …) are values and never come through here.
// Easy to get wrong: a command that was *sent* and then lost its connection (or timed out) may have
// run — its outcome is unknown, not failed. That is safe to retry only for orders (idempotent by order
// id); a restock retried blindly could add stock twice, so for it `retryable` is false.

import { SynclagError, type ApplyResult } from "@synclag/core";
import { ClientClosedError, ClientOfflineError, ErrorReply } from "redis";

export type RedisStockStoreErrorReason =
  /** Not executed: client closed/offline, or Redis refused before running (LOADING, BUSY, OOM, READONLY…). */
  | "unavailable"
  /** Sent, but no reply (connection lost, call timeout): it may or may not have been applied. */
  | "outcome_unknown"
  /** A key the call needs holds another Redis type. Nothing was written. */
  | "wrong_type"
  /** Stored data breaks the store's invariants (seq behind the audit, unreadable record). Nothing was written. */
  | "corrupt_state"
  /** Any other server error (script error, CROSSSLOT, NOPERM, bad script arguments). Nothing was written. */
  | "rejected";

export class RedisStockStoreError extends SynclagError {
  declare readonly reason: RedisStockStoreErrorReason;
  /**
   * Set by `applyOrders` when a script call after the first failed: the results already known, by input
   * index — the orders of the calls that completed (applied, duplicate, …, written) and those refused
   * before any call (invalid). `undefined` for the orders of the failed call and after it: not applied
   * (or, with `outcome_unknown`, perhaps applied: retry them with the same ids).
   */
  readonly partialResults: readonly (ApplyResult | undefined)[] | undefined;
  constructor(reason: RedisStockStoreErrorReason, message: string, options: { cause?: unknown; retryable: boolean; partialResults?: readonly (ApplyResult | undefined)[] }) {
    const { partialResults, ...rest } = options;
    super(reason, message, rest);
    this.name = "RedisStockStoreError";
    this.partialResults = partialResults;
  }
}

/** What kind of call failed: decides whether an unknown outcome is safe to retry. */
export type CallKind = "order" | "mutation" | "read";

/**
 * Raised by the store's own bounded wait; the command may still run on the server. While CONNECTING
 * (`connecting` given) nothing was sent, and the wait ran out because the connection never came up:
 * the message then names why — the last error the client saw (refused, host not found, …) — rather
 * than claiming a reply was missing, which sent people looking at a server that was not even running.
 */
export class CallTimeoutError extends Error {
  constructor(timeoutMs: number, connecting?: { readonly lastError?: unknown }) {
    if (connecting === undefined) super(`no reply from Redis within ${timeoutMs} ms`);
    else if (connecting.lastError === undefined) super(`connection attempt timed out: not connected within ${timeoutMs} ms`);
    else super(`${describeConnectionError(connecting.lastError)}; still not connected after ${timeoutMs} ms`, { cause: connecting.lastError });
    this.name = "CallTimeoutError";
  }
}

/**
 * One raw command with a bounded wait for its reply (`CallTimeoutError` after `timeoutMs`; the command may
 * still run). A client that throws synchronously rejects instead; a non-Error rejection is wrapped.
 */
export function sendWithin(client: { sendCommand(args: readonly string[]): Promise<unknown> }, args: readonly string[], timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CallTimeoutError(timeoutMs)), timeoutMs);
    let reply: Promise<unknown>;
    try {
      reply = client.sendCommand(args);
    } catch (error) {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    reply.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

const refusedCodes = new Set(["ECONNREFUSED"]);
const notFoundCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]);
const unreachableCodes = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
const timeoutCodes = new Set(["ETIMEDOUT", "ECONNABORTED"]);
const closedCodes = new Set(["ECONNRESET", "EPIPE"]);

/** The errno-style code of a socket error (Node puts it on `AggregateError` too, or on its first error). */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 ? errorCode(errors[0]) : undefined;
}

/** The error's message; for an `AggregateError` without one, its errors' messages. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const inner = error instanceof AggregateError ? (error.errors as unknown[]).map(errorText).filter(Boolean) : [];
  return inner.length > 0 ? inner.join("; ") : error.name;
}

/**
 * Says in words why a connection to Redis failed, keeping the low-level text in parentheses:
 * `connection refused (connect ECONNREFUSED 127.0.0.1:6379)`, `host not found (getaddrinfo ENOTFOUND
 * redis)`, `connection attempt timed out (Connection timeout)`, … Unknown errors keep their own message.
 */
export function describeConnectionError(error: unknown): string {
  const detail = errorText(error);
  const code = errorCode(error);
  const name = error instanceof Error ? error.constructor.name : "";
  let cause: string | undefined;
  if (code !== undefined && refusedCodes.has(code)) cause = "connection refused";
  else if (code !== undefined && notFoundCodes.has(code)) cause = "host not found";
  else if (code !== undefined && unreachableCodes.has(code)) cause = "host unreachable";
  else if ((code !== undefined && timeoutCodes.has(code)) || name === "ConnectionTimeoutError") cause = "connection attempt timed out";
  else if ((code !== undefined && closedCodes.has(code)) || name === "SocketClosedUnexpectedlyError") cause = "connection closed by the server";
  else if (/^Unknown RESP type/u.test(detail)) cause = "the server there does not speak the Redis protocol";
  return cause === undefined ? detail : `${cause} (${detail})`;
}

const errorReplyNames = new Set(["ErrorReply", "SimpleError", "BlobError"]);
/** Redis refused the command before running it (the script did not run). */
// MISCONF: writes refused while a snapshot to disk fails (a full disk); Redis recovers on its own.
const notExecutedCodes = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/u;
const scriptError = /^SYNCLAG_(WRONGTYPE|CORRUPT|BADARGS) (\d+ )?(.*?)(?: script: [0-9a-f]+,.*)?$/su;

/** True for a Redis error reply (also from another copy of node-redis, which `instanceof` misses). */
export function isErrorReply(error: unknown): error is Error {
  return error instanceof ErrorReply || (error instanceof Error && errorReplyNames.has(error.constructor.name));
}

export function isNoScript(error: unknown): boolean {
  return isErrorReply(error) && error.message.startsWith("NOSCRIPT");
}

/**
 * Maps anything a Redis call threw to a `RedisStockStoreError`. `keys` are the KEYS of the failed script
 * call, so a wrong-type error can name the key.
 */
export function toStoreError(error: unknown, call: { readonly kind: CallKind; readonly keys?: readonly string[] }): RedisStockStoreError {
  if (error instanceof RedisStockStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (isErrorReply(error)) {
    const match = scriptError.exec(error.message);
    if (match) {
      const [, code, index, what] = match;
      const keyIndex = index === undefined ? undefined : Number(index.trim());
      const key = keyIndex === undefined ? undefined : call.keys?.[keyIndex - 1];
      const where = key === undefined ? "" : `key ${JSON.stringify(key)}: `;
      if (code === "WRONGTYPE") return new RedisStockStoreError("wrong_type", `${where}${what}; nothing was written`, { cause: error, retryable: false });
      if (code === "CORRUPT") return new RedisStockStoreError("corrupt_state", `${where}${what}; nothing was written`, { cause: error, retryable: false });
      return new RedisStockStoreError("rejected", `the script refused its arguments (${what}); nothing was written`, { cause: error, retryable: false });
    }
    if (notExecutedCodes.test(error.message)) {
      return new RedisStockStoreError("unavailable", `Redis did not run the call: ${detail}`, { cause: error, retryable: true });
    }
    return new RedisStockStoreError("rejected", `Redis rejected the call: ${detail}`, { cause: error, retryable: false });
  }
  if (error instanceof ClientClosedError || error instanceof ClientOfflineError) {
    return new RedisStockStoreError("unavailable", `Redis client not connected: ${detail}`, { cause: error, retryable: true });
  }
  if (call.kind === "read") {
    return new RedisStockStoreError("unavailable", `Redis read failed: ${detail}`, { cause: error, retryable: true });
  }
  const retryable = call.kind === "order";
  const advice = retryable ? "safe to retry with the same order id" : "check the audit before retrying (a restock or set is not idempotent)";
  return new RedisStockStoreError("outcome_unknown", `outcome unknown (${detail}): ${advice}`, { cause: error, retryable });
}
