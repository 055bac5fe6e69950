// eBay allows 250 revisions per listing per UTC day; the propagator paces them, but its counters live in
// process memory. Before the revision ledger, every restart or deploy forgot the day's revisions: a hot
// listing that had already spent what the pacing allowed got as many again from the new process — past
// the cap eBay answers REVISION_LIMIT for that listing until midnight UTC (sell-outs included) and it
// stays wrong for hours. Now each revision is counted in Redis (one hash per channel and day) and a
// started engine takes the day's counts back before it sends anything — with `replicas: N`, its part of
// every replica's total, ceil(total / N) (revision-take-back.ts; the rule's own tests are beside it).
import { Prng, VirtualScheduler, noopMetrics, type ChannelClient, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import { Propagator } from "@synclag/engine";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { RedisStockStore, RevisionLedger, type RedisCommandClient } from "@synclag/redis-store";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { captureLog } from "../test/log-capture.js";
import { serversMissing } from "../test/servers.js";
import { until } from "../test/store-loss-support.js";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfig } from "./index.js";

const DAY_MS = 86_400_000;
const CAP = 30;
const SKU = "HOT-1";

/** What the propagator's pacing allows a listing by `nowMs` (a burst of a tenth of the cap, then evenly; a reserve for sell-outs). */
function allowance(nowMs: number): number {
  const reserve = Math.max(1, Math.floor(CAP / 25));
  const burst = Math.max(1, Math.floor(CAP / 10));
  const day = Math.floor(nowMs / DAY_MS);
  return Math.min(CAP - reserve, burst + Math.floor(((nowMs - day * DAY_MS) / DAY_MS) * (CAP - reserve - burst)));
}

describe.skipIf(serversMissing())("the revision budget across a restart of the engine (revision ledger in Redis)", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let store: RedisStockStore;
  const engines: EngineService[] = [];
  // eBay with a cap of 30 revisions per listing per day (the real one: 250), answering at once.
  const ebay = new MockMarketplace({ kind: "ebay", seed: 1, profile: { ...DEFAULT_PROFILES.ebay, revisionsPerListingPerDay: CAP, apiLatency: { kind: "constant", ms: 5 }, visibilityDelay: { kind: "constant", ms: 0 } } });
  const revisionsAtEbay = (): number => (ebay.model.listing(SKU) as unknown as { revisionsToday?: number } | undefined)?.revisionsToday ?? 0;
  let config: (overrides?: Record<string, unknown>) => Promise<ServiceConfig>;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    server = await serveMarketplaces([{ prefix: "/ebay", marketplace: ebay }], { host: "127.0.0.1", port: 0 });
    store = await RedisStockStore.connect({ url: redis.url });
    await store.setQuantity({ sku: SKU, quantity: 1_000, reason: "initial stock" });
    ebay.seed([{ sku: SKU, quantity: 1_000, version: 1 }]);
    config = async (overrides = {}) =>
      serviceConfigSchema.parse({
        natsUrl: nats.url,
        redisUrl: redis.url,
        ingest: { host: "127.0.0.1", port: await freePort() },
        channels: [{ kind: "ebay", baseUrl: `${server.url}/ebay`, revisionsPerSkuPerDay: CAP, batchLinger: "0s", lateLandingWindow: "5s" }],
        reconcileInterval: 0,
        shutdownTimeout: 10_000,
        ...overrides,
      });
  }, 30_000);

  afterAll(async () => {
    for (const engine of engines) await engine.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    ebay.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 60_000);

  /** Sets the SKU's stock through `engine`; true when eBay took the new level within `waitMs` (false: held back). */
  const change = async (engine: EngineService, quantity: number, waitMs = 3_000): Promise<boolean> => {
    const result = await engine.engine.adjustStock({ sku: SKU, quantity, kind: "set" });
    expect(result.kind).toBe("changed");
    return until(`eBay lists ${quantity}`, () => ebay.model.listing(SKU)?.acceptedQuantity === quantity, waitMs).then(
      () => true,
      () => false,
    );
  };

  it("a restarted engine goes on from the revisions the listing spent today, holds it at its allowance, and still pushes a sell-out from the reserve", async () => {
    // Not across midnight UTC (a new day, a new budget): a run that would start in its last 90 s waits for it.
    const sinceMidnight = Date.now() % DAY_MS;
    if (sinceMidnight > DAY_MS - 90_000) await new Promise((resolve) => setTimeout(resolve, DAY_MS - sinceMidnight + 1_000));
    const day = Math.floor(Date.now() / DAY_MS);
    const firstLog = captureLog("info");
    const first = await EngineService.start({ config: await config(), logger: firstLog.logger });
    engines.push(first);
    // A hot listing: it changes until the pacing holds it (all that is allowed by this hour of the UTC day).
    let quantity = 1_000;
    for (let i = 0; i < CAP + 5; i++) if (!(await change(first, --quantity, i < CAP ? 3_000 : 1_000))) break;
    const spent = revisionsAtEbay();
    expect(spent).toBeGreaterThanOrEqual(allowance(Date.now()) - 1);
    expect(spent).toBeLessThanOrEqual(allowance(Date.now()));
    // Counted in Redis under the store's key space, one hash per channel and UTC day.
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      await until("the revisions are in Redis", async () => Number(await client.hGet(`synclag:{stock}:revisions:${day}:ebay`, SKU)) === spent, 10_000);
      expect(await client.ttl(`synclag:{stock}:revisions:${day}:ebay`)).toBeGreaterThan(DAY_MS / 1000);
    } finally {
      client.destroy();
    }
    await first.stop();
    engines.splice(engines.indexOf(first), 1);

    // The deploy: a new process on the same Redis.
    const secondLog = captureLog("info");
    const second = await EngineService.start({ config: await config(), logger: secondLog.logger });
    engines.push(second);
    expect(secondLog.lines.find((l) => String(l.msg).startsWith("revision budget: today's revision counts taken back"))).toMatchObject({ day, listings: 1, channels: { ebay: 1 } });
    // Five more changes: none goes out — the listing has spent what the pacing allows today (unless the
    // allowance grew by one meanwhile: one revision every 55 min). Without the counts taken back, the new
    // process spent as many again as the first one (past eBay's cap late in the UTC day).
    let pushed = 0;
    for (let i = 0; i < 5; i++) if (await change(second, --quantity, 500)) pushed += 1;
    expect(pushed).toBeLessThanOrEqual(allowance(Date.now()) - spent);
    expect(revisionsAtEbay()).toBeLessThanOrEqual(allowance(Date.now()));
    expect(await second.prometheus.render()).toMatch(/synclag_revision_holds_total\{channel="ebay"\} [1-9]/);
    // A sell-out is never held back by the pacing: it goes at once, from the reserve.
    expect(await change(second, 0)).toBe(true);
    expect(revisionsAtEbay()).toBeLessThanOrEqual(allowance(Date.now()) + 1);
    expect(ebay.model.stats.itemsRejected).toBe(0); // never a REVISION_LIMIT
    // channels[].lateLandingWindow reaches the propagator.
    expect((second.engine.propagator as unknown as { channels: Map<string, { lateLandingWindowMs: number }> }).channels.get("ebay")?.lateLandingWindowMs).toBe(5_000);
  }, 240_000);

  it("with replicas: 2, a started replica takes back half of every replica's count, rounded up (not the total: two restarted replicas at 126 of their 125 froze a listing eBay had counted 126 of 250)", async () => {
    for (const engine of engines.splice(0)) await engine.stop();
    const day = Math.floor(Date.now() / DAY_MS);
    const client = createClient({ url: redis.url });
    await client.connect();
    const taken = vi.spyOn(Propagator.prototype, "assumeRevisions");
    try {
      // Both replicas' revisions of two listings today, as their ledgers wrote them.
      await client.hSet(`synclag:{stock}:revisions:${day}:ebay`, { "SHARED-1": "21", "SHARED-2": "20" });
      const log = captureLog("info");
      const replica = await EngineService.start({ config: await config({ replicas: 2 }), logger: log.logger });
      engines.push(replica);
      expect(log.lines.find((l) => String(l.msg).startsWith("revision budget: today's revision counts taken back"))).toMatchObject({ day, replicas: 2 });
      const calls = taken.mock.calls.filter(([, sku]) => sku === "SHARED-1" || sku === "SHARED-2");
      expect(calls.sort()).toEqual([
        ["ebay", "SHARED-1", day, 11],
        ["ebay", "SHARED-2", day, 10],
      ]);
    } finally {
      taken.mockRestore();
      client.destroy();
    }
  }, 60_000);
});

describe("a Redis failure of the revision ledger never fails a push", () => {
  class OkChannel implements ChannelClient {
    readonly channel = "ebay";
    readonly maxBatchSize = 25;
    readonly sent: QuantityUpdate[] = [];
    setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
      this.sent.push(...updates);
      return Promise.resolve(updates.map(() => ({ ok: true as const })));
    }
    readQuantities(): Promise<Map<string, number>> {
      return Promise.resolve(new Map());
    }
    cancelOrder(): Promise<PushOutcome> {
      return Promise.resolve({ ok: true });
    }
  }

  for (const [what, client] of [
    ["refused", { sendCommand: () => Promise.reject(new Error("ECONNREFUSED")) }],
    ["thrown", { sendCommand: () => { throw new Error("client closed"); } }],
    ["never answered", { sendCommand: () => new Promise(() => {}) }],
  ] as const satisfies readonly (readonly [string, RedisCommandClient])[]) {
    it(`${what}: the update is sent and confirmed, the failure counted`, async () => {
      const errors: unknown[] = [];
      const ledger = new RevisionLedger({ client, channels: ["ebay"], callTimeoutMs: 50, onError: (error) => errors.push(error) });
      const scheduler = new VirtualScheduler(Date.now());
      const channel = new OkChannel();
      const confirmed: number[] = [];
      const propagator = new Propagator({
        channels: [{ client: channel, rateLimit: { ratePerSecond: 10, burst: 10 }, revisionsPerSkuPerDay: 250 }],
        clock: scheduler,
        scheduler,
        random: new Prng(1),
        metrics: noopMetrics,
        onConfirmed: (_channel, _sku, version) => confirmed.push(version),
        onRevisionSpent: (c, sku, day) => ledger.record(c, sku, day, 1),
        onRevisionRefunded: (c, sku, day) => ledger.record(c, sku, day, -1),
      });
      propagator.publish(SKU, { quantity: 5, version: 1 });
      await scheduler.runUntil(scheduler.now() + 1_000);
      expect(channel.sent).toEqual([{ sku: SKU, quantity: 5, version: 1 }]);
      expect(confirmed).toEqual([1]);
      expect(propagator.idle).toBe(true);
      await ledger.flush();
      expect(ledger.stats.errors).toBeGreaterThanOrEqual(1);
      expect(errors.length).toBe(ledger.stats.errors);
      ledger.close();
      propagator.stop();
    });
  }
});
