// eBay's notification keys by key id: asked of eBay's Notification API once and kept; a key id eBay does
// not have is remembered for a while (bounded); look-ups of new key ids are rate-limited and one at a
// time, so made-up key ids on unsigned requests cannot spend the seller's API quota; a look-up that
// failed for a transient reason is "unavailable" (the ingest answers 503, eBay redelivers), never "unknown" (401).
import { describe, expect, it } from "vitest";
import { EbayKeyResolver, senderKey, type EbayKeyAnswer, type EbayKeyStore } from "./ebay-key-resolver.js";

function resolverWith(answer: (keyId: string) => EbayKeyAnswer | Promise<EbayKeyAnswer>, options: { maxUnknownKeyIds?: number; keyStore?: EbayKeyStore } = {}) {
  let nowMs = 1_000_000;
  const asked: string[] = [];
  const resolver = new EbayKeyResolver({
    fetchKey: async (keyId) => {
      asked.push(keyId);
      return answer(keyId);
    },
    nowMs: () => nowMs,
    ...options,
  });
  return { resolver, asked, advance: (ms: number) => (nowMs += ms) };
}

describe("eBay notification keys", () => {
  it("asks eBay once per key id and keeps the key", async () => {
    const { resolver, asked } = resolverWith(() => ({ kind: "found", pem: "PEM-1" }));
    expect(await Promise.all([resolver.resolve("k1"), resolver.resolve("k1")])).toEqual([
      { kind: "key", pem: "PEM-1" },
      { kind: "key", pem: "PEM-1" },
    ]);
    expect(await resolver.resolve("k1")).toEqual({ kind: "key", pem: "PEM-1" });
    expect(asked).toEqual(["k1"]);
  });

  it("answers a key id eBay does not have as unknown, without asking again for 10 minutes", async () => {
    const { resolver, asked, advance } = resolverWith(() => ({ kind: "not-found", status: 404 }));
    expect(await resolver.resolve("forged")).toMatchObject({ kind: "unknown" });
    advance(9 * 60_000);
    expect(await resolver.resolve("forged")).toMatchObject({ kind: "unknown" });
    expect(asked).toEqual(["forged"]);
    advance(2 * 60_000);
    await resolver.resolve("forged");
    expect(asked).toEqual(["forged", "forged"]);
  });

  it("spends at most 3 look-ups on made-up key ids from every sender together, then answers unavailable (503: eBay redelivers) until the budget refills (one per 20 s)", async () => {
    const { resolver, asked, advance } = resolverWith(() => ({ kind: "not-found", status: 404 }));
    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(await resolver.resolve(`forged-${i}`, `198.51.100.${i}`));
    expect(asked).toEqual(["forged-0", "forged-1", "forged-2"]);
    expect(answers.slice(0, 3).map((a) => a.kind)).toEqual(["unknown", "unknown", "unknown"]);
    expect(new Set(answers.slice(3).map((a) => a.kind))).toEqual(new Set(["unavailable"]));
    expect(answers[3]).toMatchObject({ kind: "unavailable", retryAfterMs: 20_000 });
    advance(20_000);
    await resolver.resolve("forged-50", "198.51.100.50");
    await resolver.resolve("forged-51", "198.51.100.51");
    expect(asked).toHaveLength(4);
    // A key id already known or known unknown costs nothing, budget or not.
    expect(await resolver.resolve("forged-1", "198.51.100.52")).toMatchObject({ kind: "unknown" });
    expect(asked).toHaveLength(4);
  });

  it("answers unavailable (not unknown) when eBay's API failed for a transient reason, and asks again next time", async () => {
    let down = true;
    const { resolver, asked, advance } = resolverWith(() => (down ? { kind: "failed", detail: "HTTP 503" } : { kind: "found", pem: "PEM-2" }));
    expect(await resolver.resolve("k2")).toMatchObject({ kind: "unavailable", detail: "HTTP 503" });
    down = false;
    advance(20_000);
    expect(await resolver.resolve("k2")).toEqual({ kind: "key", pem: "PEM-2" });
    expect(asked).toEqual(["k2", "k2"]);
  });

  it("answers a missing or implausible key id as unknown without asking eBay", async () => {
    const { resolver, asked } = resolverWith(() => ({ kind: "found", pem: "PEM" }));
    for (const keyId of [undefined, "", "x".repeat(201), "bad id\n"]) expect(await resolver.resolve(keyId)).toMatchObject({ kind: "unknown" });
    expect(asked).toEqual([]);
  });

  it("looks up one key id at a time: another asked meanwhile is unavailable for now", async () => {
    let release: (answer: EbayKeyAnswer) => void = () => undefined;
    const { resolver, asked } = resolverWith(() => new Promise<EbayKeyAnswer>((resolve) => (release = resolve)));
    const first = resolver.resolve("a");
    await Promise.resolve();
    expect(await resolver.resolve("b")).toMatchObject({ kind: "unavailable" });
    release({ kind: "found", pem: "PEM-A" });
    expect(await first).toEqual({ kind: "key", pem: "PEM-A" });
    expect(asked).toEqual(["a"]);
  });

  it("remembers a bounded number of unknown key ids (the oldest is forgotten first)", async () => {
    const { resolver, asked, advance } = resolverWith(() => ({ kind: "not-found", status: 404 }), { maxUnknownKeyIds: 2 });
    for (const keyId of ["u1", "u2", "u3"]) {
      await resolver.resolve(keyId, `sender-${keyId}`);
      advance(20_000);
    }
    expect(resolver.unknownKeyIds).toBe(2);
    await resolver.resolve("u3", "sender-4");
    await resolver.resolve("u1", "sender-5");
    expect(asked).toEqual(["u1", "u2", "u3", "u1"]);
  });

  // Found by review: one budget and one in-flight slot for everyone — a sender of one made-up key id a
  // second kept them spent, so after a restart or an eBay key rotation (the genuine key not in memory)
  // every eBay notification was answered 503 for as long as it kept sending.
  it("a sender of made-up key ids (one a second, for 10 minutes) does not keep a genuine new key from being looked up: each address has its own budget inside the shared one", async () => {
    const { resolver, asked, advance } = resolverWith((keyId) => (keyId === "genuine" ? { kind: "found", pem: "PEM" } : { kind: "not-found", status: 404 }));
    const genuine: string[] = [];
    // eBay's delivery attempts: at 5 s, then +1, +5, +10 min.
    const ebayAttempts = new Set([5, 65, 305, 599]);
    for (let second = 0; second < 600; second++) {
      await resolver.resolve(`forged-${second}`, "203.0.113.7");
      if (ebayAttempts.has(second)) genuine.push((await resolver.resolve("genuine", "66.211.160.86")).kind);
      advance(1_000);
    }
    expect(genuine).toEqual(["key", "key", "key", "key"]);
    // The sender spent its own budget only: 2 at once, then one per 5 minutes.
    expect(asked.filter((keyId) => keyId !== "genuine")).toEqual(["forged-0", "forged-1", "forged-301"]);
    expect(await resolver.resolve("forged-x", "203.0.113.7")).toMatchObject({ kind: "unavailable", detail: expect.stringMatching(/per sender address/) });
  });

  it("counts an IPv6 sender by its /64 (one host may use every address of it) and an IPv4-mapped one as IPv4", async () => {
    expect(senderKey("2001:db8:1:2:aaaa::1")).toBe(senderKey("2001:0db8:0001:0002:ffff:1:2:3"));
    expect(senderKey("2001:db8:1:2::1")).not.toBe(senderKey("2001:db8:1:3::1"));
    expect(senderKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    const { resolver, asked } = resolverWith(() => ({ kind: "not-found", status: 404 }));
    for (let i = 1; i <= 5; i++) await resolver.resolve(`forged-${i}`, `2001:db8:1:2::${i.toString(16)}`);
    expect(asked).toHaveLength(2);
  });

  it("keeps found keys in the key store: after a restart a stored key needs no look-up, even with every budget spent", async () => {
    const stored = new Map<string, string>();
    const keyStore: EbayKeyStore = { load: async (keyId) => stored.get(keyId), save: async (keyId, pem) => void stored.set(keyId, pem) };
    const first = resolverWith((keyId) => (keyId === "genuine" ? { kind: "found", pem: "PEM-G" } : { kind: "not-found", status: 404 }), { keyStore });
    expect(await first.resolver.resolve("genuine", "66.211.160.86")).toEqual({ kind: "key", pem: "PEM-G" });
    await Promise.resolve();
    expect(stored.get("genuine")).toBe("PEM-G");
    // The restarted process: made-up ids from many addresses spend the shared budget first.
    const restarted = resolverWith(() => ({ kind: "not-found", status: 404 }), { keyStore });
    for (let i = 0; i < 10; i++) await restarted.resolver.resolve(`forged-${i}`, `198.51.100.${i}`);
    expect(await restarted.resolver.resolve("genuine", "66.211.160.86")).toEqual({ kind: "key", pem: "PEM-G" });
    expect(restarted.asked).not.toContain("genuine");
  });

  it("goes on without the key store when it fails", async () => {
    const keyStore: EbayKeyStore = { load: () => Promise.reject(new Error("redis down")), save: () => Promise.reject(new Error("redis down")) };
    const { resolver, asked } = resolverWith(() => ({ kind: "found", pem: "PEM-1" }), { keyStore });
    expect(await resolver.resolve("k1", "66.211.160.86")).toEqual({ kind: "key", pem: "PEM-1" });
    expect(asked).toEqual(["k1"]);
  });
});
