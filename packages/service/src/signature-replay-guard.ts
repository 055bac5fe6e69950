// Flipkart signs date + URL + method, not the body: the headers of one genuine delivery verify with any
// body until their X_Date is 5 minutes old, so whoever saw one delivery could post any order under its
// headers for that long (found by review). The headers cannot simply be bound to the first order they
// came with: every notification Flipkart sends to a URL within the same second carries the very same
// headers (X_Date has whole seconds) — a busy seller's second order of that second would be refused. So
// they are bound in time: the guard remembers, per signature, when this ingest first saw it and what
// came with it (an order: its id and lines; anything else: its body). For `newClaimsForMs` after that
// first sighting — the marketplace's delivery timeout: a genuine delivery signed in that second has
// arrived by then, or its sender gave up on it and retries under a new signature — the signature is
// taken with anything; after it, only with what it already came with (a redelivery of the same
// request), until X_Date is too old for the verifier anyway.
// Shared across replicas through a store (Redis: one hash per signature, read and updated by one script
// call, so every replica sees the same first sighting and claims); when the store fails or does not
// answer in time, this process's own memory decides alone.
// Easy to get wrong: record a claim in memory *before* awaiting the store, or two requests of one
// process race past each other; and on the store's refusal adopt its first sighting, or the next
// request with that signature is let through by this process's younger memory.

import { createHash } from "node:crypto";

/** Where the signatures seen outlive one process and are shared with the other replicas. */
export interface SignatureClaimStore {
  /**
   * Records `claim` under signature `key`, seen at `nowMs` — unless the signature was first seen more
   * than `newClaimsForMs` before and never came with `claim` (then nothing is written). `firstSeenAtMs`:
   * when this process first saw it (the earliest sighting anywhere counts). A signature new to the
   * store is kept `keepForMs`. Answers whether the claim is taken and the earliest sighting known.
   */
  claim(input: { readonly key: string; readonly claim: string; readonly nowMs: number; readonly firstSeenAtMs: number; readonly newClaimsForMs: number; readonly keepForMs: number }): Promise<{ readonly accepted: boolean; readonly firstSeenAtMs: number }>;
}

export interface SignatureReplayGuardOptions {
  /** How long after its first sighting a signature is taken with another body (ms). */
  readonly newClaimsForMs: number;
  /** Signatures remembered at most in this process (the oldest forgotten first). Default 100 000. */
  readonly maxEntries?: number;
  /** Claims remembered per signature at most; more are taken inside the window but not remembered. Default 1 000. */
  readonly maxClaimsPerEntry?: number;
  readonly store?: SignatureClaimStore;
  /** Longest wait for the store before this process's memory decides alone (ms). Default 1 000. */
  readonly storeTimeoutMs?: number;
  /** The store failed or did not answer in time (the guard went on without it). */
  readonly onStoreError?: (error: unknown) => void;
  /** A signature still valid was forgotten to make room (memory full). */
  readonly onEvicted?: () => void;
}

export type SignatureClaimVerdict = { readonly ok: true } | { readonly ok: false; readonly firstSeenAgoMs: number };

interface Entry {
  firstSeenAtMs: number;
  readonly claims: Set<string>;
  readonly expiresAtMs: number;
}

export class SignatureReplayGuard {
  /** signature key → entry; insertion order = first sighting (entries are never moved). */
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxClaimsPerEntry: number;

  constructor(private readonly options: SignatureReplayGuardOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxClaimsPerEntry = options.maxClaimsPerEntry ?? 1_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Whether the delivery signed `key` may be taken with `claim` at `nowMs`; the signature is remembered
   * until `keepUntilMs` (when the verifier stops taking it anyway).
   */
  async check(key: string, claim: string, nowMs: number, keepUntilMs: number): Promise<SignatureClaimVerdict> {
    this.prune(nowMs);
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry?.claims.has(claim) === true) return { ok: true };
    const windowMs = this.options.newClaimsForMs;
    const pastWindow = entry !== undefined && nowMs - entry.firstSeenAtMs > windowMs;
    // Taken as far as this process knows: recorded now, before the store's answer, so a concurrent
    // request of this process with another body after the window is refused here.
    if (entry === undefined) {
      entry = { firstSeenAtMs: nowMs, claims: new Set(), expiresAtMs: Math.max(keepUntilMs, nowMs + windowMs) };
      this.add(key, entry);
    }
    if (!pastWindow) this.remember(entry, claim);
    const refused = (firstSeenAtMs: number): SignatureClaimVerdict => ({ ok: false, firstSeenAgoMs: nowMs - firstSeenAtMs });
    const store = this.options.store;
    if (store === undefined) return pastWindow ? refused(entry.firstSeenAtMs) : { ok: true };
    // Asked even past the window: another replica may have taken this very claim inside it.
    let answer: { readonly accepted: boolean; readonly firstSeenAtMs: number };
    const timeoutMs = this.options.storeTimeoutMs ?? 1_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      answer = await Promise.race([
        store.claim({ key, claim, nowMs, firstSeenAtMs: entry.firstSeenAtMs, newClaimsForMs: windowMs, keepForMs: Math.max(1, entry.expiresAtMs - nowMs) }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the signature store did not answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (error) {
      this.options.onStoreError?.(error);
      return pastWindow ? refused(entry.firstSeenAtMs) : { ok: true };
    } finally {
      clearTimeout(timer);
    }
    // Another replica saw the signature first: its sighting is the one that counts, here too.
    if (Number.isFinite(answer.firstSeenAtMs) && answer.firstSeenAtMs < entry.firstSeenAtMs) entry.firstSeenAtMs = answer.firstSeenAtMs;
    if (answer.accepted) {
      this.remember(entry, claim);
      return { ok: true };
    }
    entry.claims.delete(claim);
    return refused(entry.firstSeenAtMs);
  }

  private remember(entry: Entry, claim: string): void {
    if (entry.claims.size < this.maxClaimsPerEntry) entry.claims.add(claim);
  }

  private add(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.options.onEvicted?.();
    }
  }

  /** Forgets the expired signatures at the head (first seen first; expiry follows X_Date, so nearly in order). */
  private prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs > nowMs) return;
      this.entries.delete(key);
    }
  }
}

/**
 * KEYS[1]: the signature's hash; ARGV: claim, nowMs, newClaimsForMs, keepForMs, the caller's first
 * sighting. Answers {taken 1|0, earliest sighting ms}.
 */
const CLAIM_SCRIPT = `
local seen = tonumber(ARGV[5])
local first = redis.call('HGET', KEYS[1], '@first')
if not first then
  redis.call('HSET', KEYS[1], '@first', ARGV[5], 'c:' .. ARGV[1], '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1, seen}
end
first = tonumber(first)
if seen < first then
  first = seen
  redis.call('HSET', KEYS[1], '@first', ARGV[5])
end
if redis.call('HEXISTS', KEYS[1], 'c:' .. ARGV[1]) == 1 then return {1, first} end
if tonumber(ARGV[2]) - first <= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'c:' .. ARGV[1], '1')
  return {1, first}
end
return {0, first}
`;

/**
 * The store on Redis: one hash per signature at `<keyPrefix><sha256 of the signature>` (its first
 * sighting and one field per claim), expiring with the signature. `client()` is undefined until connected.
 */
export function redisSignatureClaimStore(client: () => { sendCommand(args: string[]): Promise<unknown> } | undefined, keyPrefix: string): SignatureClaimStore {
  return {
    claim: async ({ key, claim, nowMs, firstSeenAtMs: seenAtMs, newClaimsForMs, keepForMs }) => {
      const target = client();
      if (target === undefined) throw new Error("Redis is not connected yet");
      const reply = await target.sendCommand(["EVAL", CLAIM_SCRIPT, "1", `${keyPrefix}${createHash("sha256").update(key).digest("hex")}`, claim, String(Math.round(nowMs)), String(Math.round(newClaimsForMs)), String(Math.max(1, Math.round(keepForMs))), String(Math.round(seenAtMs))]);
      if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected reply of the signature claim script: ${JSON.stringify(reply)}`);
      const firstSeenAtMs = Number(reply[1]);
      if (!Number.isFinite(firstSeenAtMs)) throw new Error(`unexpected first sighting in the signature claim script's reply: ${JSON.stringify(reply)}`);
      return { accepted: Number(reply[0]) === 1, firstSeenAtMs };
    },
  };
}
