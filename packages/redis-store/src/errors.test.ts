// Error mapping without a server: which failures are unknown outcomes, which are retryable.
import { describe, expect, it } from "vitest";
import { SynclagError } from "@synclag/core";
import { ClientClosedError, ErrorReply, SocketClosedUnexpectedlyError } from "redis";
import { CallTimeoutError, RedisStockStoreError, isNoScript, toStoreError } from "./errors.js";

const reply = (message: string) => new ErrorReply(message);

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
    for (const message of ["LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "OOM command not allowed", "READONLY You can't write against a read only replica."]) {
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
});
