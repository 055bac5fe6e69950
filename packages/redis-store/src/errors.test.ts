// Error mapping without a server: which failures are unknown outcomes, which are retryable.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { SynclagError } from "@synclag/core";
import { ClientClosedError, ConnectionTimeoutError, ErrorReply, SocketClosedUnexpectedlyError, createClient } from "redis";
import { CallTimeoutError, RedisStockStoreError, describeConnectionError, isNoScript, toStoreError } from "./errors.js";

const reply = (message: string) => new ErrorReply(message);

/** A socket error as Node raises it (`code` beside the message). */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

describe("Redis error mapping", () => {
  it("names the key of a wrong-type error and says nothing was written", () => {
    const error = toStoreError(reply("SYNCLAG_WRONGTYPE 2 WRONGTYPE Operation against a key script: 3d7e317a06b0c77fa655e0e7974c0126fc989739, on @user_script:2."), {
      kind: "order",
      keys: ["k:seq", "k:audit"],
    });
    expect(error).toBeInstanceOf(RedisStockStoreError);
    expect(error).toBeInstanceOf(SynclagError);
    expect(error).toMatchObject({ name: "RedisStockStoreError", reason: "wrong_type", retryable: false });
    expect(error.message).toContain('"k:audit"');
    expect(error.message).toContain("nothing was written");
    expect(error.cause).toBeInstanceOf(ErrorReply);
  });

  it("maps corrupt state and refused script arguments to non-retryable errors", () => {
    expect(toStoreError(reply("SYNCLAG_CORRUPT 1 seq counter is behind the audit stream script: ab12, on @user_script:9."), { kind: "order" })).toMatchObject({ reason: "corrupt_state", retryable: false });
    expect(toStoreError(reply("SYNCLAG_BADARGS quantity is out of range script: ab12, on @user_script:9."), { kind: "order" })).toMatchObject({ reason: "rejected", retryable: false });
    expect(toStoreError(reply("CROSSSLOT Keys in request don't hash to the same slot"), { kind: "order" })).toMatchObject({ reason: "rejected", retryable: false });
  });

  it("treats replies that mean 'did not run' as unavailable and retryable", () => {
    for (const message of ["LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "OOM command not allowed", "READONLY You can't write against a read only replica.", "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk"]) {
      expect(toStoreError(reply(message), { kind: "mutation" })).toMatchObject({ reason: "unavailable", retryable: true });
    }
    expect(toStoreError(new ClientClosedError(), { kind: "mutation" })).toMatchObject({ reason: "unavailable", retryable: true });
  });

  it("reports a lost connection or a timeout after sending as outcome unknown — retryable for orders only", () => {
    expect(toStoreError(new SocketClosedUnexpectedlyError(), { kind: "order" })).toMatchObject({ reason: "outcome_unknown", retryable: true });
    expect(toStoreError(new CallTimeoutError(100), { kind: "order" })).toMatchObject({ reason: "outcome_unknown", retryable: true });
    expect(toStoreError(new SocketClosedUnexpectedlyError(), { kind: "mutation" })).toMatchObject({ reason: "outcome_unknown", retryable: false });
    expect(toStoreError(new SocketClosedUnexpectedlyError(), { kind: "read" })).toMatchObject({ reason: "unavailable", retryable: true });
  });

  it("recognises NOSCRIPT, also from another copy of node-redis", () => {
    class SimpleError extends Error {}
    expect(isNoScript(reply("NOSCRIPT No matching script. Please use EVAL."))).toBe(true);
    expect(isNoScript(new SimpleError("NOSCRIPT No matching script."))).toBe(true);
    expect(isNoScript(new Error("NOSCRIPT but not a reply"))).toBe(false);
    expect(isNoScript(reply("ERR other"))).toBe(false);
  });

  it("names a refused connection as refused, not as a missing reply, when the connect wait runs out", async () => {
    // The error node-redis really emits while retrying a connection to a port nothing listens on.
    const port = await closedPort();
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    const emitted = new Promise<unknown>((resolve) => client.once("error", resolve));
    await client.connect().catch(() => undefined);
    const refused = await emitted;
    client.destroy();
    const timeout = new CallTimeoutError(2_000, { lastError: refused });
    expect(timeout.message).toBe(`connection refused (connect ECONNREFUSED 127.0.0.1:${port}); still not connected after 2000 ms`);
    expect(timeout.message).not.toMatch(/no reply/);
    expect(timeout).toMatchObject({ name: "CallTimeoutError", cause: refused });
    // The connect path wraps it as before: unavailable, retryable.
    expect(new RedisStockStoreError("unavailable", `cannot connect to redis://127.0.0.1:${port}: ${timeout.message}`, { cause: timeout, retryable: true })).toMatchObject({ reason: "unavailable", retryable: true });
  });

  it("says why a connection failed: host not found, unreachable, timed out, closed, not Redis", () => {
    expect(describeConnectionError(systemError("ENOTFOUND", "getaddrinfo ENOTFOUND redis.internal"))).toBe("host not found (getaddrinfo ENOTFOUND redis.internal)");
    expect(describeConnectionError(systemError("EAI_AGAIN", "getaddrinfo EAI_AGAIN redis"))).toBe("host not found (getaddrinfo EAI_AGAIN redis)");
    expect(describeConnectionError(systemError("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.9:6379"))).toBe("host unreachable (connect EHOSTUNREACH 10.0.0.9:6379)");
    expect(describeConnectionError(new ConnectionTimeoutError())).toBe("connection attempt timed out (Connection timeout)");
    expect(describeConnectionError(new SocketClosedUnexpectedlyError())).toBe("connection closed by the server (Socket closed unexpectedly)");
    expect(describeConnectionError(new Error('Unknown RESP type 72 "H"'))).toBe('the server there does not speak the Redis protocol (Unknown RESP type 72 "H")');
    // Node 20 reports a failed dual-stack connect as an AggregateError; its code (or its first error's) counts.
    const aggregate = new AggregateError([systemError("ECONNREFUSED", "connect ECONNREFUSED ::1:6379"), systemError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:6379")], "");
    expect(describeConnectionError(aggregate)).toBe("connection refused (connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379)");
    expect(describeConnectionError(new Error("WRONGPASS invalid username-password pair"))).toBe("WRONGPASS invalid username-password pair");
  });

  it("keeps 'no reply' for a call that was sent, and says 'timed out' for a connect that saw no error", () => {
    expect(new CallTimeoutError(100).message).toBe("no reply from Redis within 100 ms");
    expect(new CallTimeoutError(100, {}).message).toBe("connection attempt timed out: not connected within 100 ms");
  });
});
