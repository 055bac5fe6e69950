// eBay signs each notification with a key it names by id (`kid` in X-EBAY-SIGNATURE); the key itself
// comes from eBay's Notification API (`GET /commerce/notification/v1/public_key/{kid}`, with the seller's
// token; 10,000 calls a day by default). Easy to get wrong: the key id arrives on an *unauthenticated*
// request — anyone can send made-up ones, and each look-up spends the seller's API quota. So: keys found
// are kept (bounded) and, given a `keyStore` (Redis), kept across restarts; key ids eBay does not have
// are remembered for a while (bounded); new key ids are looked up under two budgets — one per sender
// address (2 at once, then one per 5 min; one look-up in flight each) inside one for everyone (3 at
// once, then one per 20 s) — so one sender of made-up ids cannot spend the look-ups a genuine new key
// needs (found by review: with one shared budget, one made-up id a second kept every genuine key from
// being looked up after a restart or a key rotation, and every eBay order was answered 503). A look-up
// that failed for a transient reason (eBay down, throttled, our token refused) is "unavailable" — the
// ingest answers 503 and eBay redelivers — never "unknown", which would refuse a genuine order as a bad
// signature (401).

import { isIP } from "node:net";

/** What the ingest does with a notification's key id. */
export type EbayKeyLookup =
  /** eBay's public key for this id (PEM, or the one-line form eBay serves). */
  | { readonly kind: "key"; readonly pem: string }
  /** No such key (eBay said so, or no usable key id was sent): the signature cannot be right — 401. */
  | { readonly kind: "unknown"; readonly detail: string }
  /** Not known now (look-up failed, or the look-up budget is spent): 503 with Retry-After — eBay redelivers. */
  | { readonly kind: "unavailable"; readonly detail: string; readonly retryAfterMs: number };

/** One answer of eBay's key API. */
export type EbayKeyAnswer = { readonly kind: "found"; readonly pem: string } | { readonly kind: "not-found"; readonly status: number } | { readonly kind: "failed"; readonly detail: string };

/** Where found keys outlive the process (the service: a Redis hash). Either call may fail: the resolver goes on without it. */
export interface EbayKeyStore {
  /** The key stored for this id, or undefined. */
  load(keyId: string): Promise<string | undefined>;
  save(keyId: string, pem: string): Promise<void>;
}

export interface EbayKeyResolverOptions {
  /** Asks eBay for the key (one HTTP call). */
  readonly fetchKey: (keyId: string) => Promise<EbayKeyAnswer>;
  /** Current time (ms). */
  readonly nowMs: () => number;
  /** Look-ups of key ids not yet known that may run back to back, all senders together. Default 3. */
  readonly lookupBurst?: number;
  /** One more such look-up every … ms once the burst is spent, all senders together (ms). Default 20 000 (at most 4,323 a day). */
  readonly lookupIntervalMs?: number;
  /** The same, per sender address (an IPv6 address counts by its /64). Default 2. */
  readonly sourceLookupBurst?: number;
  /** The same, per sender address (ms). Default 300 000. */
  readonly sourceLookupIntervalMs?: number;
  /** Sender addresses whose budget is remembered at most (the least recently seen forgotten first). Default 10 000. */
  readonly maxSources?: number;
  /** How long a key id eBay does not have is answered "unknown" without asking again (ms). Default 600 000. */
  readonly unknownForMs?: number;
  /** Unknown key ids remembered at most (the oldest forgotten first). Default 10 000. */
  readonly maxUnknownKeyIds?: number;
  /** Keys remembered at most (the least recently used forgotten first). Default 100. */
  readonly maxKnownKeys?: number;
  /** Keeps found keys across restarts: one read per key id not in memory, before any look-up. */
  readonly keyStore?: EbayKeyStore;
  /** Longest wait for the key store's answer before going on without it (ms). Default 1 000. */
  readonly keyStoreTimeoutMs?: number;
  /** A key store call that failed (the resolver went on without it). */
  readonly onKeyStoreError?: (error: unknown) => void;
}

/** A key id worth asking eBay about: printable ASCII without spaces, at most 200 characters (eBay's are UUIDs). */
const PLAUSIBLE_KEY_ID = /^[\x21-\x7e]{1,200}$/;

/** A token bucket: `burst` at once, then one per `intervalMs`. */
class Budget {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.refilledAtMs = nowMs;
  }

  /** 0 when a look-up may be spent now, else how long until one may (ms). */
  waitMs(nowMs: number): number {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, nowMs - this.refilledAtMs) / this.intervalMs);
    this.refilledAtMs = nowMs;
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.tokens) * this.intervalMs));
  }

  spend(): void {
    this.tokens -= 1;
  }
}

/** The budget a sender address counts against: the address; an IPv6 one by its /64 (one host may hold a whole /64). */
export function senderKey(address: string | undefined): string {
  if (address === undefined || address === "") return "";
  const bare = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  if (isIP(bare) !== 6) return bare;
  const [head = "", tail = ""] = bare.toLowerCase().split("::");
  const groups = [...(head === "" ? [] : head.split(":")), ...Array<string>(Math.max(0, 8 - (head === "" ? 0 : head.split(":").length) - (tail === "" ? 0 : tail.split(":").length))).fill("0"), ...(tail === "" ? [] : tail.split(":"))];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

export class EbayKeyResolver {
  private readonly known = new Map<string, string>();
  /** Key id → until when it is answered "unknown" (insertion order = age). */
  private readonly unknown = new Map<string, number>();
  /** Look-ups in flight, by key id (a second ask of the same id shares it). */
  private readonly inFlight = new Map<string, Promise<EbayKeyLookup>>();
  /** Senders with a look-up in flight. */
  private readonly sourcesInFlight = new Set<string>();
  private readonly budget: Budget;
  /** Per sender (insertion order = least recently seen first). */
  private readonly sourceBudgets = new Map<string, Budget>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly sourceBurst: number;
  private readonly sourceIntervalMs: number;
  private readonly maxSources: number;
  private readonly unknownForMs: number;
  private readonly maxUnknown: number;
  private readonly maxKnown: number;
  private readonly keyStoreTimeoutMs: number;

  constructor(private readonly options: EbayKeyResolverOptions) {
    this.burst = options.lookupBurst ?? 3;
    this.intervalMs = options.lookupIntervalMs ?? 20_000;
    this.sourceBurst = options.sourceLookupBurst ?? 2;
    this.sourceIntervalMs = options.sourceLookupIntervalMs ?? 300_000;
    this.maxSources = options.maxSources ?? 10_000;
    this.unknownForMs = options.unknownForMs ?? 600_000;
    this.maxUnknown = options.maxUnknownKeyIds ?? 10_000;
    this.maxKnown = options.maxKnownKeys ?? 100;
    this.keyStoreTimeoutMs = options.keyStoreTimeoutMs ?? 1_000;
    for (const [name, value] of [
      ["lookupBurst", this.burst],
      ["lookupIntervalMs", this.intervalMs],
      ["sourceLookupBurst", this.sourceBurst],
      ["sourceLookupIntervalMs", this.sourceIntervalMs],
      ["maxSources", this.maxSources],
      ["unknownForMs", this.unknownForMs],
      ["maxUnknownKeyIds", this.maxUnknown],
      ["maxKnownKeys", this.maxKnown],
      ["keyStoreTimeoutMs", this.keyStoreTimeoutMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.budget = new Budget(this.burst, this.intervalMs, options.nowMs());
  }

  /** Unknown key ids remembered now. */
  get unknownKeyIds(): number {
    return this.unknown.size;
  }

  /** The key for `keyId`, asked by the sender at `source` (its address; see `senderKey`). */
  async resolve(keyId: string | undefined, source?: string): Promise<EbayKeyLookup> {
    if (keyId === undefined || !PLAUSIBLE_KEY_ID.test(keyId)) return { kind: "unknown", detail: keyId === undefined || keyId === "" ? "no key id in X-EBAY-SIGNATURE" : "the key id in X-EBAY-SIGNATURE is not one eBay issues" };
    const pem = this.known.get(keyId);
    if (pem !== undefined) {
      // Least recently used goes first: touch it.
      this.known.delete(keyId);
      this.known.set(keyId, pem);
      return { kind: "key", pem };
    }
    const until = this.unknown.get(keyId);
    if (until !== undefined) {
      if (this.options.nowMs() < until) return { kind: "unknown", detail: `eBay has no public key ${keyId} (asked less than ${Math.round(this.unknownForMs / 60_000)} min ago)` };
      this.unknown.delete(keyId);
    }
    const sharing = this.inFlight.get(keyId);
    if (sharing !== undefined) return sharing;
    // Found before (by this process before a restart, or by another instance): no look-up.
    const stored = await this.loadStored(keyId);
    if (stored !== undefined) {
      this.remember(keyId, stored);
      return { kind: "key", pem: stored };
    }
    const again = this.inFlight.get(keyId);
    if (again !== undefined) return again;
    const sender = senderKey(source);
    if (this.sourcesInFlight.has(sender)) return { kind: "unavailable", detail: "another key look-up from this address is in flight", retryAfterMs: 1_000 };
    const now = this.options.nowMs();
    const sourceBudget = this.sourceBudget(sender, now);
    const sourceWaitMs = sourceBudget.waitMs(now);
    if (sourceWaitMs > 0) return { kind: "unavailable", detail: `eBay key look-ups are limited to ${this.sourceBurst} at once and one per ${this.sourceIntervalMs / 1000} s per sender address`, retryAfterMs: sourceWaitMs };
    const waitMs = this.budget.waitMs(now);
    if (waitMs > 0) return { kind: "unavailable", detail: `eBay key look-ups are limited to ${this.burst} at once and one per ${this.intervalMs / 1000} s`, retryAfterMs: waitMs };
    sourceBudget.spend();
    this.budget.spend();
    const lookup = this.lookUp(keyId);
    this.inFlight.set(keyId, lookup);
    this.sourcesInFlight.add(sender);
    void lookup.finally(() => {
      this.inFlight.delete(keyId);
      this.sourcesInFlight.delete(sender);
    });
    return lookup;
  }

  private sourceBudget(sender: string, now: number): Budget {
    let budget = this.sourceBudgets.get(sender);
    if (budget === undefined) budget = new Budget(this.sourceBurst, this.sourceIntervalMs, now);
    else this.sourceBudgets.delete(sender);
    this.sourceBudgets.set(sender, budget);
    if (this.sourceBudgets.size > this.maxSources) this.sourceBudgets.delete(this.sourceBudgets.keys().next().value as string);
    return budget;
  }

  private remember(keyId: string, pem: string): void {
    this.known.set(keyId, pem);
    if (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value as string);
  }

  private async loadStored(keyId: string): Promise<string | undefined> {
    const store = this.options.keyStore;
    if (store === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([store.load(keyId), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the key store did not answer within ${this.keyStoreTimeoutMs} ms`)), this.keyStoreTimeoutMs)))]);
    } catch (error) {
      this.options.onKeyStoreError?.(error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookUp(keyId: string): Promise<EbayKeyLookup> {
    let answer: EbayKeyAnswer;
    try {
      answer = await this.options.fetchKey(keyId);
    } catch (error) {
      answer = { kind: "failed", detail: error instanceof Error ? error.message : String(error) };
    }
    if (answer.kind === "found") {
      this.remember(keyId, answer.pem);
      this.options.keyStore?.save(keyId, answer.pem).catch((error: unknown) => this.options.onKeyStoreError?.(error));
      return { kind: "key", pem: answer.pem };
    }
    if (answer.kind === "not-found") {
      this.unknown.set(keyId, this.options.nowMs() + this.unknownForMs);
      if (this.unknown.size > this.maxUnknown) this.unknown.delete(this.unknown.keys().next().value as string);
      return { kind: "unknown", detail: `eBay has no public key ${keyId} (HTTP ${answer.status})` };
    }
    return { kind: "unavailable", detail: answer.detail, retryAfterMs: this.intervalMs };
  }
}

/**
 * Asks eBay's Notification API for a public key: 200 with `key` → found; 404 (or 400: a malformed id) →
 * not found; anything else — 401/403 (the seller's token), 429, 5xx, a timeout, no connection — failed.
 */
export async function fetchEbayPublicKey(options: { readonly baseUrl: string; readonly accessToken: string; readonly keyId: string; readonly timeoutMs?: number }): Promise<EbayKeyAnswer> {
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl.replace(/\/+$/, "")}/commerce/notification/v1/public_key/${encodeURIComponent(options.keyId)}`, {
      headers: { authorization: `Bearer ${options.accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    return { kind: "failed", detail: `eBay's key API did not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (response.status === 404 || response.status === 400) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "not-found", status: response.status };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "failed", detail: `eBay's key API answered HTTP ${response.status}` };
  }
  try {
    const body = (await response.json()) as { key?: unknown };
    return typeof body.key === "string" && body.key !== "" ? { kind: "found", pem: body.key } : { kind: "failed", detail: "eBay's key API answered without a key" };
  } catch {
    return { kind: "failed", detail: "eBay's key API answered something other than JSON" };
  }
}
