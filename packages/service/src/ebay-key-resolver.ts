// eBay signs each notification with a key it names by id (`kid` in X-EBAY-SIGNATURE); the key itself
// comes from eBay's Notification API (`GET /commerce/notification/v1/public_key/{kid}`, with the seller's
// token). Easy to get wrong: the key id arrives on an *unauthenticated* request — anyone can send
// made-up ones, and each look-up spends the seller's API quota. So: keys found are kept (bounded);
// key ids eBay does not have are remembered for a while (bounded); new key ids are looked up one at a
// time and at most `lookupBurst` at once then one per `lookupIntervalMs`; and a look-up that failed for a
// transient reason (eBay down, throttled, our token refused) is "unavailable" — the ingest answers 503
// and eBay redelivers — never "unknown", which would refuse a genuine order as a bad signature (401).

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

export interface EbayKeyResolverOptions {
  /** Asks eBay for the key (one HTTP call). */
  readonly fetchKey: (keyId: string) => Promise<EbayKeyAnswer>;
  /** Current time (ms). */
  readonly nowMs: () => number;
  /** Look-ups of key ids not yet known that may run back to back. Default 3. */
  readonly lookupBurst?: number;
  /** One more such look-up every … ms once the burst is spent (ms). Default 20 000 (at most 4,323 a day). */
  readonly lookupIntervalMs?: number;
  /** How long a key id eBay does not have is answered "unknown" without asking again (ms). Default 600 000. */
  readonly unknownForMs?: number;
  /** Unknown key ids remembered at most (the oldest forgotten first). Default 10 000. */
  readonly maxUnknownKeyIds?: number;
  /** Keys remembered at most (the least recently used forgotten first). Default 100. */
  readonly maxKnownKeys?: number;
}

/** A key id worth asking eBay about: printable ASCII without spaces, at most 200 characters (eBay's are UUIDs). */
const PLAUSIBLE_KEY_ID = /^[\x21-\x7e]{1,200}$/;

export class EbayKeyResolver {
  private readonly known = new Map<string, string>();
  /** Key id → until when it is answered "unknown" (insertion order = age). */
  private readonly unknown = new Map<string, number>();
  private inFlight: { readonly keyId: string; readonly lookup: Promise<EbayKeyLookup> } | undefined;
  private tokens: number;
  private refilledAtMs: number;
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly unknownForMs: number;
  private readonly maxUnknown: number;
  private readonly maxKnown: number;

  constructor(private readonly options: EbayKeyResolverOptions) {
    this.burst = options.lookupBurst ?? 3;
    this.intervalMs = options.lookupIntervalMs ?? 20_000;
    this.unknownForMs = options.unknownForMs ?? 600_000;
    this.maxUnknown = options.maxUnknownKeyIds ?? 10_000;
    this.maxKnown = options.maxKnownKeys ?? 100;
    for (const [name, value] of [["lookupBurst", this.burst], ["lookupIntervalMs", this.intervalMs], ["unknownForMs", this.unknownForMs], ["maxUnknownKeyIds", this.maxUnknown], ["maxKnownKeys", this.maxKnown]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.tokens = this.burst;
    this.refilledAtMs = options.nowMs();
  }

  /** Unknown key ids remembered now. */
  get unknownKeyIds(): number {
    return this.unknown.size;
  }

  resolve(keyId: string | undefined): Promise<EbayKeyLookup> {
    if (keyId === undefined || !PLAUSIBLE_KEY_ID.test(keyId)) return Promise.resolve({ kind: "unknown", detail: keyId === undefined || keyId === "" ? "no key id in X-EBAY-SIGNATURE" : "the key id in X-EBAY-SIGNATURE is not one eBay issues" });
    const pem = this.known.get(keyId);
    if (pem !== undefined) {
      // Least recently used goes first: touch it.
      this.known.delete(keyId);
      this.known.set(keyId, pem);
      return Promise.resolve({ kind: "key", pem });
    }
    const now = this.options.nowMs();
    const until = this.unknown.get(keyId);
    if (until !== undefined) {
      if (now < until) return Promise.resolve({ kind: "unknown", detail: `eBay has no public key ${keyId} (asked less than ${Math.round(this.unknownForMs / 60_000)} min ago)` });
      this.unknown.delete(keyId);
    }
    if (this.inFlight !== undefined) {
      if (this.inFlight.keyId === keyId) return this.inFlight.lookup;
      return Promise.resolve({ kind: "unavailable", detail: "another key look-up is in flight", retryAfterMs: 1_000 });
    }
    this.refill(now);
    if (this.tokens < 1) {
      const retryAfterMs = Math.max(1, Math.ceil((1 - this.tokens) * this.intervalMs));
      return Promise.resolve({ kind: "unavailable", detail: `eBay key look-ups are limited to ${this.burst} at once and one per ${this.intervalMs / 1000} s`, retryAfterMs });
    }
    this.tokens -= 1;
    const lookup = this.lookUp(keyId);
    this.inFlight = { keyId, lookup };
    void lookup.finally(() => {
      if (this.inFlight?.keyId === keyId) this.inFlight = undefined;
    });
    return lookup;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAtMs);
    this.tokens = Math.min(this.burst, this.tokens + elapsed / this.intervalMs);
    this.refilledAtMs = now;
  }

  private async lookUp(keyId: string): Promise<EbayKeyLookup> {
    let answer: EbayKeyAnswer;
    try {
      answer = await this.options.fetchKey(keyId);
    } catch (error) {
      answer = { kind: "failed", detail: error instanceof Error ? error.message : String(error) };
    }
    if (answer.kind === "found") {
      this.known.set(keyId, answer.pem);
      if (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value as string);
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
