// eBay's notification keys by key id: asked of eBay's Notification API once and kept; a key id eBay does
// not have is remembered for a while (bounded); look-ups of new key ids are rate-limited and one at a
// time, so made-up key ids on unsigned requests cannot spend the seller's API quota; a look-up that
// failed for a transient reason is "unavailable" (the ingest answers 503, eBay redelivers), never "unknown" (401).
import { describe, expect, it } from "vitest";
import { EbayKeyResolver, type EbayKeyAnswer } from "./ebay-key-resolver.js";

function resolverWith(answer: (keyId: string) => EbayKeyAnswer | Promise<EbayKeyAnswer>, options: { maxUnknownKeyIds?: number } = {}) {
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

  it("spends at most 3 look-ups on made-up key ids, then answers unavailable (503: eBay redelivers) until the budget refills (one per 20 s)", async () => {
    const { resolver, asked, advance } = resolverWith(() => ({ kind: "not-found", status: 404 }));
    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(await resolver.resolve(`forged-${i}`));
    expect(asked).toEqual(["forged-0", "forged-1", "forged-2"]);
    expect(answers.slice(0, 3).map((a) => a.kind)).toEqual(["unknown", "unknown", "unknown"]);
    expect(new Set(answers.slice(3).map((a) => a.kind))).toEqual(new Set(["unavailable"]));
    expect(answers[3]).toMatchObject({ kind: "unavailable", retryAfterMs: 20_000 });
    advance(20_000);
    await resolver.resolve("forged-50");
    await resolver.resolve("forged-51");
    expect(asked).toHaveLength(4);
    // A key id already known or known unknown costs nothing, budget or not.
    expect(await resolver.resolve("forged-1")).toMatchObject({ kind: "unknown" });
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
      await resolver.resolve(keyId);
      advance(20_000);
    }
    expect(resolver.unknownKeyIds).toBe(2);
    await resolver.resolve("u3");
    await resolver.resolve("u1");
    expect(asked).toEqual(["u1", "u2", "u3", "u1"]);
  });
});
