// The memory of signatures that do not cover the body (Flipkart's): taken with anything for a short
// window after their first sighting (every notification of one second shares them), then only with what
// they came with — shared through a store when there is one, decided alone when it fails.
import { describe, expect, it } from "vitest";
import { SignatureReplayGuard, type SignatureClaimStore } from "./signature-replay-guard.js";

const WINDOW_MS = 10_000;
const KEEP_UNTIL_MS = 1_000_000;

/** The store's rule in memory (what the Redis script does), shared by several guards. */
function sharedStore(): SignatureClaimStore & { calls: number } {
  const entries = new Map<string, { first: number; claims: Set<string> }>();
  const store = {
    calls: 0,
    claim: ({ key, claim, nowMs, firstSeenAtMs, newClaimsForMs }: Parameters<SignatureClaimStore["claim"]>[0]) => {
      store.calls += 1;
      let entry = entries.get(key);
      if (entry === undefined) entries.set(key, (entry = { first: firstSeenAtMs, claims: new Set([claim]) }));
      entry.first = Math.min(entry.first, firstSeenAtMs);
      if (entry.claims.has(claim)) return Promise.resolve({ accepted: true, firstSeenAtMs: entry.first });
      if (nowMs - entry.first <= newClaimsForMs) {
        entry.claims.add(claim);
        return Promise.resolve({ accepted: true, firstSeenAtMs: entry.first });
      }
      return Promise.resolve({ accepted: false, firstSeenAtMs: entry.first });
    },
  };
  return store;
}

describe("SignatureReplayGuard", () => {
  it("takes a signature with other orders inside the window (one second's notifications share it), then only with those", async () => {
    const guard = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS });
    expect(await guard.check("sig", "order:A", 0, KEEP_UNTIL_MS)).toEqual({ ok: true });
    expect(await guard.check("sig", "order:B", 900, KEEP_UNTIL_MS)).toEqual({ ok: true });
    // After the window: a redelivery of either is taken, a third order is not.
    expect(await guard.check("sig", "order:A", 60_000, KEEP_UNTIL_MS)).toEqual({ ok: true });
    expect(await guard.check("sig", "order:B", 60_000, KEEP_UNTIL_MS)).toEqual({ ok: true });
    expect(await guard.check("sig", "order:FORGED", 60_000, KEEP_UNTIL_MS)).toEqual({ ok: false, firstSeenAgoMs: 60_000 });
    // Another signature is another matter.
    expect(await guard.check("other", "order:FORGED", 60_000, KEEP_UNTIL_MS)).toEqual({ ok: true });
  });

  it("forgets a signature once it expired (the verifier refuses its date by then), and keeps at most maxEntries", async () => {
    const evicted: number[] = [];
    const guard = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, maxEntries: 2, onEvicted: () => evicted.push(1) });
    await guard.check("a", "x", 0, 100_000);
    expect(await guard.check("a", "y", 100_001, 300_000)).toEqual({ ok: true });
    await guard.check("b", "x", 100_002, 300_000);
    await guard.check("c", "x", 100_003, 300_000);
    expect(guard.size).toBe(2);
    expect(evicted).toHaveLength(1);
  });

  it("shares the first sighting and the claims through the store: another instance refuses what the first took only inside the window", async () => {
    const store = sharedStore();
    const first = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store });
    const second = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store });
    expect(await first.check("sig", "order:A", 0, KEEP_UNTIL_MS)).toEqual({ ok: true });
    // The other instance never saw it: the store's first sighting counts.
    expect(await second.check("sig", "order:FORGED", 30_000, KEEP_UNTIL_MS)).toEqual({ ok: false, firstSeenAgoMs: 30_000 });
    expect(await second.check("sig", "order:A", 30_000, KEEP_UNTIL_MS)).toEqual({ ok: true });
    // Having learnt the first sighting, it refuses the next forgery without asking again.
    const calls = store.calls;
    expect(await second.check("sig", "order:FORGED-2", 31_000, KEEP_UNTIL_MS)).toEqual({ ok: false, firstSeenAgoMs: 31_000 });
    expect(store.calls).toBe(calls + 1);
  });

  it("past its own window asks the store, which knows a claim another instance took inside it", async () => {
    const store = sharedStore();
    const first = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store });
    const second = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store });
    await first.check("sig", "order:A", 0, KEEP_UNTIL_MS);
    await second.check("sig", "order:B", 1_000, KEEP_UNTIL_MS);
    // A redelivery of B reaches the first instance after the window: taken (the store has B).
    expect(await first.check("sig", "order:B", 40_000, KEEP_UNTIL_MS)).toEqual({ ok: true });
  });

  it("decides alone when the store fails or does not answer in time, and says so", async () => {
    const errors: unknown[] = [];
    const failing: SignatureClaimStore = { claim: () => Promise.reject(new Error("ECONNREFUSED")) };
    const guard = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store: failing, onStoreError: (e) => errors.push(e) });
    expect(await guard.check("sig", "order:A", 0, KEEP_UNTIL_MS)).toEqual({ ok: true });
    expect(await guard.check("sig", "order:FORGED", 30_000, KEEP_UNTIL_MS)).toEqual({ ok: false, firstSeenAgoMs: 30_000 });
    const hanging: SignatureClaimStore = { claim: () => new Promise(() => undefined) };
    const slow = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store: hanging, storeTimeoutMs: 50, onStoreError: (e) => errors.push(e) });
    expect(await slow.check("sig", "order:A", 0, KEEP_UNTIL_MS)).toEqual({ ok: true });
    expect(errors.map((e) => (e as Error).message)).toEqual(["ECONNREFUSED", "ECONNREFUSED", "the signature store did not answer within 50 ms"]);
  });

  it("records a claim before awaiting the store: a concurrent forgery after the window is refused by this process", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The store fails once released: only what this process recorded before awaiting it decides.
    const store: SignatureClaimStore = { claim: async () => (await gate, Promise.reject(new Error("ECONNRESET"))) };
    const guard = new SignatureReplayGuard({ newClaimsForMs: WINDOW_MS, store });
    const genuine = guard.check("sig", "order:A", 0, KEEP_UNTIL_MS);
    const forged = guard.check("sig", "order:FORGED", 20_000, KEEP_UNTIL_MS);
    release();
    expect(await genuine).toEqual({ ok: true });
    expect(await forged).toEqual({ ok: false, firstSeenAgoMs: 20_000 });
  });
});
