// Test support for several `synclag engine` replicas on one JetStream consumer and one Redis, pushing to
// in-process mock marketplaces (what a marketplace sees of them: its throttling, its revision counters).
// The engine processes themselves are engine-process-support.ts's. Adapted from the HA review's support.
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { JetStreamOrderPublisher, connectNats } from "@synclag/nats-feed";
import { RedisStockStore } from "@synclag/redis-store";
import type { OrderEvent } from "@synclag/core";
import type { MarketplaceKind, MarketplaceProfile } from "@synclag/marketplaces";
import { startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import type { EngineProc } from "./engine-process-support.js";

export interface Stack {
  readonly nats: PrivateServer;
  readonly redis: PrivateServer;
  readonly server: RunningServer;
  readonly mocks: ReadonlyMap<string, MockMarketplace>;
  readonly store: RedisStockStore;
  readonly publisher: JetStreamOrderPublisher;
  /** Channel entries of the engine configuration for `kinds` (default: every mock), on the mocks' URLs. */
  channelConfig(kinds?: readonly string[]): Array<Record<string, unknown>>;
  /** An engine configuration on these servers and mocks: reconciler off, push verification on. */
  baseConfig(): Record<string, unknown>;
  /** The SKUs a mock lists at another quantity than the store holds, as `SKU: lists n, truth m`. */
  stale(kind: string, skus: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Private NATS and Redis, one mock marketplace per kind, `skus` seeded at `quantity` in the store and on every mock (same versions). */
export async function startStack(opts: { readonly kinds: readonly MarketplaceKind[]; readonly skus: readonly string[]; readonly quantity: number; readonly profiles?: Partial<Record<MarketplaceKind, MarketplaceProfile>> }): Promise<Stack> {
  const [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "aof" })]);
  const mocks = new Map<string, MockMarketplace>();
  for (const kind of opts.kinds) mocks.set(kind, new MockMarketplace({ kind, seed: 1, ...(opts.profiles?.[kind] ? { profile: opts.profiles[kind] } : {}) }));
  const server = await serveMarketplaces([...mocks].map(([kind, marketplace]) => ({ prefix: `/${kind}`, marketplace })), { host: "127.0.0.1", port: 0 });
  const store = await RedisStockStore.connect({ url: redis.url });
  for (const sku of opts.skus) await store.setQuantity({ sku, quantity: opts.quantity, reason: "initial stock" });
  const levels = await store.snapshot([...opts.skus]);
  for (const m of mocks.values()) m.seed(opts.skus.map((sku) => ({ sku, quantity: opts.quantity, version: levels.get(sku)?.version ?? 1 })));
  const connection = await connectNats({ servers: nats.url });
  const publisher = new JetStreamOrderPublisher({ connection });
  const channelConfig = (kinds: readonly string[] = opts.kinds) => kinds.map((kind) => ({ kind, baseUrl: `${server.url}/${kind}` }));
  return {
    nats,
    redis,
    server,
    mocks,
    store,
    publisher,
    channelConfig,
    baseConfig: () => ({ natsUrl: nats.url, redisUrl: redis.url, channels: channelConfig(), reconcileInterval: "0", logLevel: "info", verifyPushes: true, feed: { ackWait: "3s" } }),
    stale: async (kind, skus) => {
      const truth = await store.snapshot([...skus]);
      const m = mocks.get(kind) as MockMarketplace;
      return skus.filter((sku) => m.model.listing(sku)?.acceptedQuantity !== truth.get(sku)?.quantity).map((sku) => `${sku}: lists ${m.model.listing(sku)?.acceptedQuantity}, truth ${truth.get(sku)?.quantity}`);
    },
    close: async () => {
      await connection.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      for (const m of mocks.values()) m.stop();
      await server.close().catch(() => undefined);
      await Promise.all([nats.dispose(), redis.dispose()]);
    },
  };
}

/** `n` one-unit orders sold at `source`, over `skus` in turn. */
export function orders(n: number, skus: readonly string[], source: string, prefix = "o"): OrderEvent[] {
  return Array.from({ length: n }, (_, i) => ({ orderId: `${source}:${prefix}${i}`, sourceChannel: source, lines: [{ sku: skus[i % skus.length] as string, quantity: 1 }], confirmedAtMs: Date.now() }));
}

/** Stops a replica as a rolling restart does (SIGTERM, its graceful stop) and waits for it to exit. */
export async function stopEngine(p: EngineProc, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const e = await p.exited;
  return { code: e.code, signal: e.signal };
}

/** A Prometheus counter of a replica's /metrics (`synclag_` prefix added), summed over the label sets matching `labels`. */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const full = `synclag_${name}`;
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${full} `) || line.startsWith(`${full}{`))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}
