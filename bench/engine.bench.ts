// One engine process end to end: orders published straight to JetStream, applied in Redis by the Lua
// script, pushed over HTTP to 4 mock channels (in a process of their own) with an *unthrottled*
// benchmark profile (no rate limit, no latency, no faults) — so the engine, not a marketplace's limit
// or the mocks' CPU, is what is measured.
// Figures: sustained orders/s (a backlog drained through the whole pipeline), each stage's raw ceiling
// in the same run (feed consume+ack with a no-op handler; script apply with 200 callers, in the engine's
// group-commit mode and one order per call; HTTP push calls), and the engine's propagation lag (order confirmed → accepted by each other channel) under
// an open-model publisher at 25 %, 50 % and 90 % of the sustained rate and at 1,000 orders/s; then, with
// the real profiles' rate limits as the engine's budget, each channel's lag at 20 orders/s (`realProfiles`);
// and, while the backlog drains, the CPU every process spends per order (engine, nats-server,
// redis-server, mocks: `sustainedCpu`), which bounds what this machine's cores can carry at all.
// Easy to get wrong: lag is measured from each order's *intended* publish time (open model), so a
// publisher that falls behind shows up as lag rather than as a slower arrival rate; and the engine, the
// servers and the publisher share this machine's cores, so figures are for this machine only. The
// store ceiling in the ratio is the mode the engine runs in (group commit), never the better of two.
//
// usage: npm run bench -- engine [--backlog N] [--seconds S] [--warmup S] [--profile FILE.cpuprofile]
//   each lag level runs --warmup seconds (default 2) at its rate before the --seconds it measures (default 5)
//   --profile writes a V8 CPU profile of this (the engine's) process while the backlog drains, for
//   finding where the engine's CPU per order goes (open it in Chrome DevTools or speedscope).

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Metrics, OrderEvent, QuantityUpdate } from "@synclag/core";
import { createChannelClient, type ChannelClientConfig, type HttpChannelClient } from "@synclag/channels";
import { DEFAULT_PROFILES, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import { Histogram, InMemoryMetrics } from "@synclag/metrics";
import { MockMarketplace, serveMarketplaces } from "@synclag/mock-marketplaces";
import { JetStreamOrderFeed, JetStreamOrderPublisher, connectNats, provisionStreams } from "@synclag/nats-feed";
import { GroupCommitStockStore, RedisStockStore } from "@synclag/redis-store";
import { EngineService, channelSecrets, createLogger, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis } from "@synclag/service";
import type { BenchContext } from "./run.js";

const KINDS: readonly MarketplaceKind[] = ["amazon", "shopify", "woocommerce", "flipkart"];
/** The engine's deployment settings, shared by the stage ceilings that stand in for its stages. */
const MAX_CONCURRENT_HANDLERS = 256;
/** Group commit: orders handled at once share one script call of at most this many (the service's `redis.maxOrdersPerCall`). */
const MAX_ORDERS_PER_CALL = 100;
/**
 * Update calls in flight per channel. A channel with a big batch API (Shopify 250, WooCommerce 100 per
 * call) gets 2, Flipkart (10 per call) 4: while they are out, updates queue and coalesce into the next
 * batch, so calls per order fall as load rises (16 in flight kept batches at ~6 and cost ~40 % more
 * engine CPU per order); with nothing queued an update still goes out at once. Amazon (one SKU per
 * call) needs many calls in flight to keep up.
 */
const maxInFlightCallsFor = (kind: MarketplaceKind): number => {
  const batch = DEFAULT_PROFILES[kind].maxBatchSize;
  return batch === 1 ? 16 : batch <= 10 ? 4 : 2;
};
const SKUS = 1_000;
const STOCK = 1_000_000;

function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const sku = (i: number) => `SKU-${String((i % SKUS) + 1).padStart(4, "0")}`;

function unthrottled(kind: MarketplaceKind): MarketplaceProfile {
  const base = DEFAULT_PROFILES[kind];
  return {
    ...base,
    rateLimit: { kind: "none" },
    clientRateLimit: { ratePerSecond: 1_000_000, burst: 1_000_000 },
    apiLatency: { kind: "constant", ms: 0 },
    visibilityDelay: { kind: "constant", ms: 0 },
    faults: { serverErrorRate: 0, timeoutAfterApplyRate: 0, itemRejectRate: 0, outages: [] },
  };
}

/**
 * CPU seconds a process has used so far (user + system), from /proc (Linux; `undefined` elsewhere or
 * when it has gone). Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
 */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`benchmark: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const summary = (h: Histogram) => {
  const s = h.summary();
  return { p50: s.p50, p99: s.p99, max: s.max, count: s.count };
};

export default async function engineBench(context: BenchContext): Promise<Record<string, unknown>> {
  const backlog = option(context.args, "backlog", 20_000);
  const seconds = option(context.args, "seconds", 5);
  const warmupSeconds = option(context.args, "warmup", 2);
  const profileIndex = context.args.indexOf("--profile");
  const profilePath = profileIndex >= 0 ? context.args[profileIndex + 1] : undefined;
  if (profileIndex >= 0 && (profilePath === undefined || profilePath.startsWith("--"))) throw new Error("--profile needs a file name");
  const loadAverageAtStart = Number(loadavg()[0]?.toFixed(2));
  const [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  const server = await startMocksProcess();
  const logger = createLogger("error", process.stderr);
  let run = 0;

  /** A fresh engine (own streams, key prefix and metrics) over the same servers and mocks. */
  async function engine(realLimits = false): Promise<{ service: EngineService; metrics: () => InMemoryMetrics; publisher: JetStreamOrderPublisher; processed: () => number; applyLag: () => Histogram; startMeasuring: () => { metrics: InMemoryMetrics; applyLag: Histogram }; close: () => Promise<void> }> {
    run += 1;
    const keyPrefix = `bench${run}:`;
    const seeder = await RedisStockStore.connect({ url: redis.url, keyPrefix });
    for (let i = 0; i < SKUS; i++) await seeder.setQuantity({ sku: sku(i), quantity: STOCK });
    for (let entries = await seeder.readOutbox(1000); entries.length > 0; entries = await seeder.readOutbox(1000)) await seeder.ackOutbox(entries.map((e) => e.id));
    await seeder.close();
    // What the engine records goes to `current`; startMeasuring() swaps in fresh ones (the end of a warm-up).
    let current = { metrics: new InMemoryMetrics(), applyLag: new Histogram() };
    const metrics: Metrics = {
      increment: (name, labels, by) => current.metrics.increment(name, labels, by),
      observe: (name, value, labels) => current.metrics.observe(name, value, labels),
      gauge: (name, value, labels) => current.metrics.gauge(name, value, labels),
    };
    let processed = 0;
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port: await freePort() },
      channels: KINDS.map((kind) => (realLimits ? { kind, baseUrl: `${server.url}/${kind}` } : { kind, baseUrl: `${server.url}/${kind}`, rateLimit: { ratePerSecond: 1_000_000, burst: 1_000_000 }, maxInFlightCalls: maxInFlightCallsFor(kind), batchLinger: 0 })),
      reconcileInterval: 0,
      feed: { streamName: `BENCH${run}`, subjectPrefix: `bench${run}.orders`, deadLetterStreamName: `BENCH${run}_DLQ`, deadLetterSubjectPrefix: `bench${run}.dlq`, maxConcurrentHandlers: MAX_CONCURRENT_HANDLERS },
      redis: { keyPrefix, maxOrdersPerCall: MAX_ORDERS_PER_CALL },
      logLevel: "error",
    });
    const service = await EngineService.start({ config, logger, metrics, onResult: (event) => {
        processed += 1;
        // Order confirmed (intended publish time) → its store outcome: the feed + store share of the lag.
        current.applyLag.record(Math.max(0, Date.now() - event.confirmedAtMs));
      } });
    for (const kind of KINDS) for (let i = 0; i < SKUS; i++) service.engine.propagator.assumeConfirmed(kind, sku(i), { quantity: STOCK, version: 1 });
    const publisher = new JetStreamOrderPublisher({ connection: service.connection, streamName: config.feed.streamName, subjectPrefix: config.feed.subjectPrefix, maxPendingAcks: 1024 });
    const startMeasuring = () => {
      const before = current;
      current = { metrics: new InMemoryMetrics(), applyLag: new Histogram() };
      return before;
    };
    return { service, metrics: () => current.metrics, publisher, processed: () => processed, applyLag: () => current.applyLag, startMeasuring, close: () => service.stop() };
  }

  const order = (tag: string, i: number, confirmedAtMs: number): OrderEvent => ({ orderId: `${KINDS[i % KINDS.length]}:${tag}-${i}`, sourceChannel: KINDS[i % KINDS.length] as string, lines: [{ sku: sku(i * 7919), quantity: 1 }], confirmedAtMs });

  try {
    context.log(`servers up; 4 unthrottled channels (own process) on ${server.url}; ${SKUS} SKUs; load average ${loadAverageAtStart}`);

    // --- Stage ceilings (same run, same machine) ------------------------------------------------------
    const connection = await connectNats({ servers: nats.url, name: "synclag-bench-engine" });
    const names = { streamName: "CEILING", subjectPrefix: "ceiling.orders", deadLetterStreamName: "CEILING_DLQ", deadLetterSubjectPrefix: "ceiling.dlq", maxAckPending: 10_000 };
    await provisionStreams(connection, names);
    const feedPublisher = new JetStreamOrderPublisher({ connection, ...names, maxPendingAcks: 1024 });
    await feedPublisher.publishMany(Array.from({ length: backlog }, (_, i) => order("feed", i, Date.now())));
    let consumed = 0;
    let started = performance.now();
    const subscription = new JetStreamOrderFeed({ connection, ...names, maxConcurrentHandlers: 256, pullBatchSize: 256 }).consume(() => {
      consumed += 1;
      return Promise.resolve({ kind: "ack" });
    });
    await until("feed backlog drained", () => subscription.stats().acked >= backlog, 120_000);
    const feedPerSecond = Math.round(backlog / ((performance.now() - started) / 1000));
    await subscription.stop();
    await connection.close();
    context.log(`feed consume+ack: ${feedPerSecond}/s (${consumed} handled)`);

    // Store ceiling, twice: one script call per order (200 callers), and the way the engine calls it —
    // 200 concurrent callers through the same group commit (one script call per gathered batch). The
    // ratio below uses the mode the engine runs in, never the better of the two.
    async function storeCeiling(label: string, grouped: boolean): Promise<number> {
      const inner = await RedisStockStore.connect({ url: redis.url, keyPrefix: `ceiling-${label}:` });
      for (let i = 0; i < SKUS; i++) await inner.setQuantity({ sku: sku(i), quantity: STOCK });
      const store = grouped ? new GroupCommitStockStore(inner, { maxOrdersPerCall: MAX_ORDERS_PER_CALL }) : inner;
      // Warm-up (not timed): the first thousands of calls run unoptimised code and would understate the ceiling.
      await Promise.all(Array.from({ length: 200 }, (_, lane) => Promise.all(Array.from({ length: 10 }, (__, k) => store.applyOrder(order(`warm-${label}`, lane * 10 + k, Date.now()))))));
      const begun = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          while (next < backlog) {
            const i = next++;
            await store.applyOrder(order(`store-${label}`, i, Date.now()));
          }
        }),
      );
      const perSecond = Math.round(backlog / ((performance.now() - begun) / 1000));
      await inner.close();
      return perSecond;
    }
    const storeSinglePerSecond = await storeCeiling("single", false);
    context.log(`store apply, 1 order per script call, 200 in flight: ${storeSinglePerSecond}/s`);
    const storeBatchedPerSecond = await storeCeiling("batched", true);
    context.log(`store apply, group commit (≤ ${MAX_ORDERS_PER_CALL} orders per script call), 200 callers: ${storeBatchedPerSecond}/s`);
    const storePerSecond = MAX_ORDERS_PER_CALL > 1 ? storeBatchedPerSecond : storeSinglePerSecond;

    const clients = KINDS.map((kind) => createChannelClient({ kind, channel: kind, baseUrl: `${server.url}/${kind}`, credentials: channelSecrets({ kind, baseUrl: `${server.url}/${kind}` }, { host: "127.0.0.1" }).credentials, sendVersionHeader: true } as unknown as ChannelClientConfig));
    // The version header on, as the engine sends it to loopback (mock) channels.
    // Each channel with its own batch size (Amazon 1, Flipkart 10, WooCommerce 100, Shopify 250), ≤ 16 calls in flight.
    async function pushRates(selected: readonly HttpChannelClient[], forMs: number): Promise<(readonly [string, number])[]> {
      const pushUntil = Date.now() + forMs;
      const begun = performance.now();
      return Promise.all(
        selected.map(async (client) => {
          let updates = 0;
          // Each lane owns its SKUs, so versions per SKU only grow (a stale version would be refused).
          const lanes = Math.max(1, Math.min(16, Math.floor(SKUS / client.maxBatchSize)));
          await Promise.all(
            Array.from({ length: lanes }, async (_, lane) => {
              while (Date.now() < pushUntil) {
                pushVersion += 1;
                const version = pushVersion;
                const batch: QuantityUpdate[] = Array.from({ length: client.maxBatchSize }, (__, j) => ({ sku: sku(lane * client.maxBatchSize + j), quantity: STOCK - (version % 1000), version }));
                const outcomes = await client.setQuantities(batch);
                updates += outcomes.filter((o) => o.ok).length;
              }
            }),
          );
          return [client.channel, Math.round(updates / ((performance.now() - begun) / 1000))] as const;
        }),
      );
    }
    let pushVersion = 10;
    const perChannel = await pushRates(clients, 3_000);
    const pushPerChannel = Object.fromEntries(perChannel);
    // Raw HTTP push capacity: updates/s over all channels. An order needs one update on each of the 3
    // other channels, but coalescing (latest version per SKU wins) lets a slow channel take fewer.
    const pushPerSecond = perChannel.reduce((total, [, n]) => total + n, 0);
    // Each channel alone: all four at once share the mocks' one process, where a one-SKU Amazon call waits
    // behind 250-SKU Shopify calls — that queueing, not the client, is why Amazon looks slow above.
    const pushAlonePerChannel: Record<string, number> = {};
    for (const client of clients) for (const [channel, rate] of await pushRates([client], 1_500)) pushAlonePerChannel[channel] = rate;
    await Promise.all(clients.map((c) => c.close()));
    context.log(`HTTP push (updates/s per channel at its batch size, ≤ 16 calls in flight): ${JSON.stringify(pushPerChannel)} → ${pushPerSecond} updates/s; each channel alone: ${JSON.stringify(pushAlonePerChannel)}`);
    const stageCeilings = { feed: feedPerSecond, store: storePerSecond, push: pushPerSecond, storeSingle: storeSinglePerSecond, storeBatched: storeBatchedPerSecond };
    const slowestOrdersPerSecond = Math.min(feedPerSecond, storePerSecond, Math.round(pushPerSecond / (KINDS.length - 1)));
    // Each ceiling saturates the same single-threaded engine process (decode+ack, script encode/decode,
    // HTTP client). If the stages' per-order costs simply add up on that thread, the pipeline cannot beat
    // 1 / Σ(1 / ceiling): a diagnostic beside the goal's ratio, not a replacement for it.
    const serialBoundOrdersPerSecond = Math.round(1 / (1 / feedPerSecond + 1 / storePerSecond + (KINDS.length - 1) / pushPerSecond));

    // --- Sustained rate: a backlog through the whole pipeline ---------------------------------------------
    const sustained = await engine();
    await sustained.publisher.publishMany(Array.from({ length: backlog }, (_, i) => order("sustained", i, Date.now())));
    // CPU of every process on the machine's cores while the backlog drains: the engine (this process),
    // nats-server, redis-server and the mocks. Their sum per order bounds what 2 cores can carry.
    const cpuAt = () => ({ engine: process.cpuUsage(), nats: processCpuSeconds(nats.pid), redis: processCpuSeconds(redis.pid), mocks: processCpuSeconds(server.pid) });
    const profiler = profilePath === undefined ? undefined : new Session();
    if (profiler) {
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
    }
    const cpuBefore = cpuAt();
    started = performance.now();
    await until("backlog applied", () => sustained.processed() >= backlog, 300_000);
    await until("pushes settled", () => sustained.service.engine.propagator.idle, 120_000);
    const sustainedSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuAt();
    if (profiler && profilePath !== undefined) {
      const { profile } = await profiler.post("Profiler.stop");
      profiler.disconnect();
      writeFileSync(profilePath, JSON.stringify(profile));
      context.log(`CPU profile of the sustained phase written to ${profilePath}`);
    }
    const ordersPerSecond = Math.round(backlog / sustainedSeconds);
    await sustained.close();
    const perOrderUs = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : Math.round(((after - before) * 1e6) / backlog));
    const engineCpu = process.cpuUsage(cpuBefore.engine);
    const cpuPerOrderUs = {
      engine: Math.round((engineCpu.user + engineCpu.system) / backlog),
      nats: perOrderUs(cpuBefore.nats, cpuAfter.nats),
      redis: perOrderUs(cpuBefore.redis, cpuAfter.redis),
      mocks: perOrderUs(cpuBefore.mocks, cpuAfter.mocks),
    };
    const cpuTotalUs = Object.values(cpuPerOrderUs).reduce<number>((total, us) => total + (us ?? 0), 0);
    const cores = availableParallelism();
    // If every core did nothing but this pipeline at these per-order costs: the machine's own ceiling.
    const cpuBoundOrdersPerSecond = Math.round((cores * 1e6) / cpuTotalUs);
    context.log(`sustained: ${ordersPerSecond} orders/s (applied and pushed to 3 channels each); CPU per order ${JSON.stringify(cpuPerOrderUs)} µs = ${cpuTotalUs} µs → ${cores} cores carry at most ${cpuBoundOrdersPerSecond} orders/s`);

    // --- Lag under an open-model publisher ----------------------------------------------------------------
    async function lagAt(rate: number, label: string) {
      const level = await engine();
      // The same rate without a break: warm-up (a fresh engine opens its connections to the servers and
      // the channels as the load needs them; in a cold process its first second ran several times the
      // steady lag, after this benchmark's earlier phases the difference is small), then the measured
      // seconds, on metrics of their own. Steady state is what the goal is about.
      const warmupCount = Math.round(rate * warmupSeconds);
      const total = warmupCount + Math.max(1, Math.round(rate * seconds));
      const start = Date.now() + 100;
      let dropped = 0;
      let inFlight = 0;
      let warm: ReturnType<typeof level.startMeasuring> | undefined;
      // How long this process's event loop was blocked (the engine and the publisher share it): a lag
      // far above the loop's delay is queueing elsewhere (servers, mocks, a call slot), not a stall here.
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        if (i === warmupCount) {
          warm = level.startMeasuring();
          loopDelay.enable();
        }
        const intended = start + (i * 1000) / rate;
        const wait = intended - Date.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        if (Date.now() - intended > 250 || inFlight >= 2_048) {
          dropped += 1;
          continue;
        }
        inFlight += 1;
        pending.push(level.publisher.publish(order(label, i, Math.round(intended))).finally(() => (inFlight -= 1)));
      }
      await Promise.all(pending);
      await until(`${label}: orders applied`, () => level.processed() >= total - dropped, 120_000);
      await until(`${label}: pushes settled`, () => level.service.engine.propagator.idle, 120_000);
      loopDelay.disable();
      const eventLoopDelayMs = { p50: Math.round(loopDelay.percentile(50) / 1e5) / 10, p99: Math.round(loopDelay.percentile(99) / 1e5) / 10, max: Math.round(loopDelay.max / 1e5) / 10 };
      const lag = new Histogram();
      const queueWait = new Histogram();
      const pushCallLatency = new Histogram();
      const byChannel: Record<string, { p50: number; p99: number; max: number; count: number }> = {};
      for (const kind of KINDS) {
        const h = level.metrics().histogram("propagation_lag_ms", { channel: kind });
        if (h) lag.merge(h);
        byChannel[kind] = summary(h ?? new Histogram());
        const waited = level.metrics().histogram("queue_wait_ms", { channel: kind });
        if (waited) queueWait.merge(waited);
        const called = level.metrics().histogram("push_call_latency_ms", { channel: kind });
        if (called) pushCallLatency.merge(called);
      }
      await level.close();
      context.log(`${label}: ${rate}/s for ${seconds}s → propagation lag p50 ${lag.percentile(50)} ms, p99 ${lag.percentile(99)} ms, max ${lag.max} ms, dropped ${dropped}; p99 by channel ${KINDS.map((k) => `${k} ${byChannel[k]?.p99}`).join(", ")}; applied p99 ${level.applyLag().percentile(99)} ms, queue wait p99 ${queueWait.percentile(99)} ms, push call p99 ${pushCallLatency.percentile(99)} ms; event loop delay p99 ${eventLoopDelayMs.p99} ms, max ${eventLoopDelayMs.max} ms`);
      // Where the lag goes: confirmed → applied (publisher, feed, store), waiting in the propagator's queue for a call slot, and the push call itself.
      const warmupLag = new Histogram();
      for (const kind of KINDS) {
        const h = warm?.metrics.histogram("propagation_lag_ms", { channel: kind });
        if (h) warmupLag.merge(h);
      }
      return { ratePerSecond: rate, ...summary(lag), droppedArrivals: dropped, warmup: { seconds: warmupSeconds, lagMs: summary(warmupLag) }, byChannel, applyLagMs: summary(level.applyLag()), queueWaitMs: summary(queueWait), pushCallLatencyMs: summary(pushCallLatency), eventLoopDelayMs };
    }
    const lagMs = {
      at25: await lagAt(Math.max(1, Math.round(ordersPerSecond * 0.25)), "at25"),
      at50: await lagAt(Math.max(1, Math.round(ordersPerSecond * 0.5)), "at50"),
      at90: await lagAt(Math.max(1, Math.round(ordersPerSecond * 0.9)), "at90"),
      at1000PerSecond: await lagAt(1_000, "at1000PerSecond"),
    };

    // --- With the real profiles' limits: how each channel's rate limit bounds its lag -----------------------
    async function realLimitLag(rate: number, levelSeconds: number) {
      const level = await engine(true);
      const total = rate * levelSeconds;
      const start = Date.now() + 100;
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        const intended = start + (i * 1000) / rate;
        const wait = intended - Date.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(level.publisher.publish(order("real", i, Math.round(intended))));
      }
      await Promise.all(pending);
      await until("real limits: orders applied", () => level.processed() >= total, 60_000);
      await until("real limits: pushes settled", () => level.service.engine.propagator.idle, 120_000);
      const channels = Object.fromEntries(
        KINDS.map((kind) => {
          const p = DEFAULT_PROFILES[kind];
          const lag = level.metrics().histogram("propagation_lag_ms", { channel: kind }) ?? new Histogram();
          const queueWait = level.metrics().histogram("queue_wait_ms", { channel: kind }) ?? new Histogram();
          return [kind, { updatesPerSecondCapacity: p.clientRateLimit.ratePerSecond * p.maxBatchSize, lagMs: summary(lag), queueWaitMs: summary(queueWait) }];
        }),
      );
      await level.close();
      context.log(`real limits at ${rate}/s on ${SKUS} SKUs: ${KINDS.map((k) => `${k} p99 ${(channels[k] as { lagMs: { p99: number } }).lagMs.p99} ms`).join(", ")}`);
      return { ratePerSecond: rate, seconds: levelSeconds, channels };
    }
    const realProfiles = await realLimitLag(20, seconds);

    return {
      ordersPerSecond,
      stageCeilings,
      pushUpdatesPerSecondByChannel: pushPerChannel,
      pushUpdatesPerSecondByChannelAlone: pushAlonePerChannel,
      slowestStage: { ordersPerSecond: slowestOrdersPerSecond, stage: slowestOrdersPerSecond === feedPerSecond ? "feed" : slowestOrdersPerSecond === storePerSecond ? "store" : "push" },
      shareOfSlowestStage: Number((ordersPerSecond / slowestOrdersPerSecond).toFixed(3)),
      sustainedCpu: {
        perOrderUs: cpuPerOrderUs,
        totalPerOrderUs: cpuTotalUs,
        cores,
        cpuBoundOrdersPerSecond,
        cpuBoundShareOfSlowestStage: Number((cpuBoundOrdersPerSecond / slowestOrdersPerSecond).toFixed(3)),
        note: "CPU used per order while the backlog drained, by process (engine = this process; nats-server, redis-server and the mocks from /proc). cores × 1e6 / total is the most this machine could sustain at these costs even with perfect overlap",
      },
      stagesSerialBound: { ordersPerSecond: serialBoundOrdersPerSecond, share: Number((ordersPerSecond / serialBoundOrdersPerSecond).toFixed(3)), note: "1 / (1/feed + 1/store + 3/push): the rate if the three stages' per-order costs add up on one thread" },
      lagMs,
      realProfiles,
      rateLimitBound: Object.fromEntries(
        KINDS.map((kind) => {
          const p = DEFAULT_PROFILES[kind];
          return [kind, { callsPerSecond: p.clientRateLimit.ratePerSecond, maxBatchSize: p.maxBatchSize, updatesPerSecondCapacity: p.clientRateLimit.ratePerSecond * p.maxBatchSize, note: "with the real profile, a channel's lag grows without bound once distinct SKU changes per second exceed this capacity (coalescing keeps it to the latest version per SKU)" }];
        }),
      ),
      settings: {
        channels: KINDS,
        skus: SKUS,
        backlog,
        levelSeconds: seconds,
        warmupSeconds,
        maxConcurrentHandlers: MAX_CONCURRENT_HANDLERS,
        maxOrdersPerCall: MAX_ORDERS_PER_CALL,
        maxInFlightCallsPerChannel: Object.fromEntries(KINDS.map((kind) => [kind, maxInFlightCallsFor(kind)])),
        storeInFlight: 200,
        pushLanesPerChannel: 16,
        profile: "unthrottled: no rate limit, no latency, no visibility delay, no faults",
      },
      units: { stageCeilings: "orders per second each stage alone can carry (feed: consume+ack, no-op handler; store: the engine's mode — group commit of ≤ 100 orders per script call under 200 concurrent callers (storeSingle: one order per script call, 200 in flight; storeBatched: the group-commit figure); push: quantity updates over all 4 channels at each API's batch size, ≤ 16 calls in flight per channel; an order needs 3)", lagMs: "engine propagation lag, order confirmed (intended publish time) → accepted by each other channel's API, over the levelSeconds after warmupSeconds at the same rate on the same engine (warmup: that first part's own lag)" },
      loadAverage1m: { atStart: loadAverageAtStart, atEnd: Number(loadavg()[0]?.toFixed(2)) },
    };
  } finally {
    await server.close();
    await Promise.all([nats.dispose(), redis.dispose()]);
  }
}

// --- The mock channels run in a process of their own, so the engine process is what is measured -------

const MOCKS_ENV = "SYNCLAG_BENCH_ENGINE_MOCKS";

async function serveMocks(): Promise<void> {
  const marketplaces = KINDS.map((kind) => new MockMarketplace({ kind, profile: unthrottled(kind), latency: "none", seed: 1 }));
  const listings = Array.from({ length: SKUS }, (_, i) => ({ sku: sku(i), quantity: STOCK, version: 0 }));
  for (const m of marketplaces) m.seed(listings);
  const running = await serveMarketplaces(marketplaces.map((m) => ({ prefix: `/${m.kind}`, marketplace: m })), { host: "127.0.0.1", port: 0 });
  process.once("SIGTERM", () => {
    for (const m of marketplaces) m.stop();
    void running.close().then(() => process.exit(0));
  });
  process.stdout.write(`mocks ${running.url}\n`);
}

function startMocksProcess(): Promise<{ readonly url: string; readonly pid: number | undefined; close(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], { env: { ...process.env, [MOCKS_ENV]: "1" }, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("mock channels process did not start within 20 s")), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      const match = /mocks (\S+)/.exec(chunk.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1] as string,
        pid: child.pid,
        close: async () => {
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`mock channels process exited with ${code}`));
    });
  });
}

if (process.env[MOCKS_ENV] === "1") await serveMocks();
