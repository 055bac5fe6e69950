// `synclag run`: the real stack end to end, producing the simulator's result document (mode "real").
// Private (or given) NATS and Redis → stock seeded in Redis and listings in HTTP mock marketplaces →
// the engine service in-process (ingest, JetStream, Lua apply, HTTP pushes) → the scenario's arrival
// plan replayed in real time at the storefronts by the open-model load generator → bounded convergence
// phase (events: one reconciler round as the safety net; polling: the next poll, no round between
// polls) → ground truth from the marketplaces' admin API and the Redis audit stream → the simulator's
// own invariant checkers → result.
// Easy to get wrong: the scenario is *compressed* into --duration (arrivals, restocks, fault windows,
// and by default the marketplaces' notification and visibility delays), but API latency, rate limits
// and the polling interval stay real — lags are wall-clock milliseconds, and the document says so.
// And: a real run is not the simulator — orders are imported by push only (a scenario's
// `orderImport: { poll }` is refused), and the simulated feed's and engine's settings (`feed`, `engine`)
// are not applied (a note says so) — a run must never quietly be a different experiment.

import { jetstreamManager } from "@nats-io/jetstream";
import { formatDuration, listedQuantity, type ApplyResult, type AuditRecord, type Distribution, type OrderEvent, type Sku, type StockLevel } from "@synclag/core";
import { MockMarketplace, channelListings, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import type { MarketplaceProfile } from "@synclag/marketplaces";
import { Histogram, InMemoryMetrics } from "@synclag/metrics";
import { readDeadLetters, connectNats } from "@synclag/nats-feed";
import { RedisStockStore } from "@synclag/redis-store";
import {
  GroundTruth,
  RESULT_SCHEMA_VERSION,
  checkConservation,
  checkConvergence,
  checkEveryOversellCancelled,
  checkLagNeverNegative,
  checkNoValidOrderDeadLettered,
  checkNoVersionRegression,
  checkSingleApplication,
  checkStockNeverNegative,
  describeScenario,
  parseStrategy,
  blockedMsOf,
  rateLimitBound,
  resolveProfile,
  type ChannelResult,
  type CheckResult,
  type ResultDocument,
  type StrategyResult,
} from "@synclag/sim";
import { buildCatalog, computeCost, planArrivals, scenarioSchema, validateScenario, type Scenario } from "@synclag/workload";
import type { Logger } from "pino";
import { natsConnectOptions, serviceConfigSchema, type ServiceConfig } from "./config.js";
import { scaledProfile } from "./time-lapse-profile.js";
import { EngineService, createLogger } from "./engine-service.js";
import { ServiceError } from "./errors.js";
import { LoadGenerator, type ArrivalOutcome, type LoadReport } from "./load-generator.js";
import { MarketplaceTruth, type MarketplaceStats } from "./marketplace-truth.js";
import { SERVER_PACKAGES, freePort, hasBinary, startPrivateNats, startPrivateRedis, type PrivateServer } from "./private-servers.js";
import { redactError, redactUrlCredentials, redactedMessage } from "./redact.js";

const DAY_MS = 86_400_000;
/** Longest the run's own stream deletion (on NATS given by URL) may take in cleanup, ms. */
const STREAM_CLEANUP_TIMEOUT_MS = 10_000;

/**
 * Deletes the run's own streams from a NATS server it did not start — best effort, bounded, a failure
 * logged with what to delete by hand. A stream that is not there (never created, already gone) is fine.
 */
async function deleteRunStreams(config: Pick<ServiceConfig, "natsUrl" | "nats">, streams: readonly string[], logger: Logger): Promise<void> {
  const natsUrl = config.natsUrl;
  // Every step is bounded on its own (connect 5 s, each JetStream request its API timeout), so the work
  // ends — and closes its connection — even when the overall deadline below gave up waiting for it.
  const work = (async () => {
    const connection = await connectNats({ ...natsConnectOptions(config), name: "synclag-run-cleanup", timeoutMs: 5_000 });
    try {
      const jsm = await jetstreamManager(connection);
      for (const stream of streams) {
        await jsm.streams.delete(stream).catch((error: unknown) => {
          if ((error as { code?: unknown } | null)?.code === 10059) return false; // not found: never created, or already gone
          throw error;
        });
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not done within ${STREAM_CLEANUP_TIMEOUT_MS} ms`)), STREAM_CLEANUP_TIMEOUT_MS)))]);
  } catch (error) {
    work.catch(() => undefined);
    logger.warn({ err: redactError(error), streams, nats: redactUrlCredentials(natsUrl) }, `could not delete the run's streams (${streams.join(", ")}): delete them by hand`);
  } finally {
    clearTimeout(timer);
  }
}

export interface RealRunOptions {
  readonly scenario: Scenario;
  /** `events` or `polling:<interval>` (the interval is real time). */
  readonly strategy: string;
  readonly seed: number;
  /** Wall-clock length of the load phase; the scenario is compressed into it. */
  readonly durationMs: number;
  /** Base order rate (curve multiplier 1) in real orders per second; default: the scenario's, compressed. */
  readonly ratePerSecond?: number;
  /** Existing servers; without them private ones are started (and stopped). */
  readonly natsUrl?: string;
  readonly redisUrl?: string;
  /**
   * Longest convergence phase after the load stops, ms. Default: 60 000 under `scaled` marketplace time;
   * under `real` long enough for the slowest channel's profiled delays too (`defaultConvergenceTimeoutMs`).
   */
  readonly convergenceTimeoutMs?: number;
  /**
   * Reconciler period (real ms). Default 60 000. Under events one extra round runs in the convergence
   * phase; under polling rounds only ride on polls (when due), so nothing is pushed between polls.
   */
  readonly reconcileIntervalMs?: number;
  /** `scaled` (default): notification and visibility delays compressed like the scenario; `real`: as profiled. */
  readonly marketplaceTime?: "scaled" | "real";
  /** Arrivals later than this are dropped, ms. Default 250. */
  readonly lateToleranceMs?: number;
  /** Default: warnings as JSON lines on stderr. */
  readonly logger?: Logger;
  readonly onProgress?: (message: string) => void;
  /** The `--scenario` argument as given (a built-in name or a file), for the reproduce line. Default: the scenario's name. */
  readonly scenarioArgument?: string;
  /** The whole reproduce line, instead of `reproduceRunCommand` (for commands other than `synclag run`). */
  readonly reproduceCommand?: string;
  /** Aborting stops the load at once, skips convergence, cleans up (servers, temp dirs) and rejects with `ServiceError("run")`. */
  readonly signal?: AbortSignal;
}

/**
 * A channel's figures in a real run: the simulator's, plus two failure counts only the HTTP clients
 * have — `transportErrors` (the connection failed: refused, reset, DNS) and `stale` (the channel refused
 * an update as based on an outdated read, Shopify's COMPARE_QUANTITY_STALE) — so every retry in
 * `engine.retries` shows up in some channel's failures.
 */
export type RealChannelResult = ChannelResult & {
  readonly transportErrors: number;
  readonly stale: number;
};

/** The result of one real run: the simulator's shape plus what only a real run has. */
export type RealStrategyResult = StrategyResult & {
  readonly channels: Readonly<Record<string, RealChannelResult>>;
  readonly orders: StrategyResult["orders"] & { readonly droppedArrivals: number };
  readonly load: {
    readonly durationMs: number;
    readonly timeScale: number;
    readonly planned: number;
    readonly sent: number;
    readonly errors: number;
    readonly storefrontLatencyMs: ReturnType<Histogram["summary"]>;
    readonly marketplaceTime: "scaled" | "real";
  };
  readonly engineLagMs: ReturnType<Histogram["summary"]>;
};

export type RealResultDocument = ResultDocument & { readonly strategies: readonly RealStrategyResult[] };

/**
 * The profile on the run's clock (outage windows are scheduled separately, like throttle storms). `scaled`
 * (default) makes the marketplace side a faithful time-lapse: API latency, visibility and notification
 * delays shrink and rate limits (the marketplace's and the engine's budget) grow by the same factor, so
 * a 3-hour flash sale in 30 s stresses each channel as the real one would. `real` keeps the documented
 * figures: then compressed demand meets real rate limits (a stress test, not a replay).
 */
function runProfile(profile: MarketplaceProfile, timeScale: number, mode: "scaled" | "real"): MarketplaceProfile {
  // Outage windows are injected over the admin API at their (compressed) times, relative to the load's start.
  const outages: MarketplaceProfile["faults"]["outages"] = [];
  return { ...(mode === "real" ? profile : scaledProfile(profile, timeScale)), faults: { ...profile.faults, outages } };
}

/** `ebay:<order>:<line item>` → `ebay:<order>`: eBay notifies per line item, the storefront knows the order. */
function withoutLineSuffix(orderId: string): string {
  const first = orderId.indexOf(":");
  const last = orderId.lastIndexOf(":");
  return last > first ? orderId.slice(0, last) : orderId;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `--convergence-timeout` / `convergenceTimeoutMs` when not given (scaled marketplace time). */
const DEFAULT_CONVERGENCE_TIMEOUT_MS = 60_000;

/** A high quantile (p99.9) of a delay distribution, ms: what "the tail" of a profiled delay means here. */
function tailMs(d: Distribution): number {
  const z999 = 3.0902; // standard normal quantile of 0.999
  switch (d.kind) {
    case "constant":
      return d.ms;
    case "uniform":
      return d.maxMs;
    case "exponential":
      return d.meanMs * Math.log(1000);
    case "lognormal": {
      const sigma = d.p99Ms > d.medianMs ? Math.log(d.p99Ms / d.medianMs) / 2.3263 : 0;
      const tail = d.medianMs * Math.exp(z999 * sigma);
      return d.maxMs === undefined ? tail : Math.min(tail, d.maxMs);
    }
  }
}

/**
 * The convergence timeout when none is given. `scaled`: 60 s (the marketplaces' delays shrink with the
 * scenario). `real`: the delays are as profiled — Amazon shows an accepted quantity after 20 s typically,
 * 180 s at p99 — so 60 s plus the slowest channel's tail (p99.9) of visibility delay + notification delay
 * (+ the first notification retry where attempts fail), rounded up to 10 s: flash-sale ≈ 8.5 min. Without
 * that a healthy run ends "not converged" (an invariant failure) merely because it stopped waiting.
 */
export function defaultConvergenceTimeoutMs(scenario: Scenario, marketplaceTime: "scaled" | "real"): number {
  if (marketplaceTime === "scaled") return DEFAULT_CONVERGENCE_TIMEOUT_MS;
  let slowest = 0;
  for (const spec of scenario.channels) {
    const profile = resolveProfile(spec);
    const n = profile.notifications;
    const firstRetryMs = n.attemptFailureRate > 0 && n.retries > 0 ? n.retrySpanMs / (2 ** n.retries - 1) : 0;
    slowest = Math.max(slowest, tailMs(profile.visibilityDelay) + tailMs(n.delay) + firstRetryMs);
  }
  return Math.ceil((DEFAULT_CONVERGENCE_TIMEOUT_MS + slowest) / 10_000) * 10_000;
}
/** `--marketplace-time` when not given. */
const DEFAULT_MARKETPLACE_TIME = "scaled";

/**
 * The `synclag run` command line that re-runs this experiment: every flag that changes it — scenario,
 * strategy, duration, seed, and, when not the default, rate, marketplace time and convergence timeout.
 * Easy to get wrong: leaving out a non-default flag makes the line re-run a different experiment
 * (`--marketplace-time real` dropped re-runs the time-compressed one). Server URLs and the log level
 * do not change the experiment and are left out (a URL may carry credentials).
 */
export function reproduceRunCommand(options: Pick<RealRunOptions, "strategy" | "seed" | "durationMs" | "ratePerSecond" | "convergenceTimeoutMs" | "marketplaceTime"> & { readonly scenario: string }): string {
  const flags = [`--scenario ${shellQuote(options.scenario)}`, `--strategy ${shellQuote(options.strategy)}`, `--duration ${formatDuration(options.durationMs)}`, `--seed ${options.seed}`];
  if (options.ratePerSecond !== undefined) flags.push(`--rate ${options.ratePerSecond}/s`);
  const marketplaceTime = options.marketplaceTime ?? DEFAULT_MARKETPLACE_TIME;
  if (marketplaceTime !== DEFAULT_MARKETPLACE_TIME) flags.push(`--marketplace-time ${marketplaceTime}`);
  // Under real marketplace time the default depends on the scenario's profiles: a given timeout is kept.
  const convergenceTimeoutMs = options.convergenceTimeoutMs;
  if (convergenceTimeoutMs !== undefined && (marketplaceTime !== DEFAULT_MARKETPLACE_TIME || convergenceTimeoutMs !== DEFAULT_CONVERGENCE_TIMEOUT_MS)) flags.push(`--convergence-timeout ${formatDuration(convergenceTimeoutMs)}`);
  return `npx synclag run ${flags.join(" ")}`;
}

/** Quoted for a POSIX shell unless plainly safe (as the CLI quotes its reproduce lines). */
function shellQuote(text: string): string {
  return /^[\w.,:%/=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The scenario at `ratePerSecond` real orders per second (curve multiplier 1), compressed into
 * `durationMs`, checked again against the scenario's limits (peak rate, expected orders): a rate may
 * make a valid scenario one no run can replay. Problems are worded for `--rate`.
 */
export function scenarioAtRate(scenario: Scenario, ratePerSecond: number, durationMs: number, rateText = `${ratePerSecond}/s`): { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly problems: readonly string[] } {
  const ordersPerDay = ratePerSecond * 86_400 * (durationMs / scenario.duration);
  const checked = validateScenario({ ...scenario, demand: { ...scenario.demand, ordersPerDay } }, scenario.name);
  if (checked.ok) return { ok: true, scenario: checked.scenario };
  return { ok: false, problems: checked.problems.map((problem) => `--rate ${rateText} is beyond the scenario's limits (${scenario.name} compressed into ${formatDuration(durationMs)}, its ordersPerDay becomes ${ordersPerDay.toExponential(2)}): ${problem}`) };
}

/** Why a real run cannot replay this scenario's order import, or undefined (push: it can). */
export function orderImportProblem(scenario: Scenario): string | undefined {
  if (scenario.orderImport === "push") return undefined;
  return `scenario ${scenario.name}: orderImport: { poll: ${formatDuration(scenario.orderImport.poll)} } is not supported by a real run: its engine imports orders by push (marketplace webhooks) only — use synclag simulate for order-import polling, or remove orderImport (push is the default)`;
}

/** The scenario's simulator-only settings (`feed`, `engine`) that differ from the defaults, as notes. */
export function simulatorOnlyNotes(scenario: Scenario): string[] {
  const defaults = scenarioSchema.parse({ name: "defaults", duration: 1, catalog: { skus: 1, stock: 1 }, channels: [{ id: "c", kind: "shopify", share: 1 }], demand: { ordersPerDay: 1 } });
  const changed = (section: "feed" | "engine") =>
    Object.keys(scenario[section])
      .filter((key) => JSON.stringify((scenario[section] as Record<string, unknown>)[key]) !== JSON.stringify((defaults[section] as Record<string, unknown>)[key]))
      .map((key) => `${section}.${key}`);
  const notes: string[] = [];
  const feed = changed("feed");
  if (feed.length > 0) notes.push(`scenario ${scenario.name}: ${feed.join(", ")} ${feed.length > 1 ? "are" : "is"} simulator-only (the simulated order feed's delay and faults): not applied — a real run uses real NATS JetStream as it behaves`);
  const engine = changed("engine");
  if (engine.length > 0) notes.push(`scenario ${scenario.name}: ${engine.join(", ")} ${engine.length > 1 ? "are" : "is"} simulator-only (the simulated engine's settings): not applied — a real run's engine uses its own (store latency as measured, reconciler every 60 s real time)`);
  return notes;
}

/**
 * Units of accepted orders the store has not settled yet, per SKU — what tells a lost sale from a
 * sold-out turn-away as the simulator does (docs/simulation.md): available = the store's level minus
 * these units. An order stops counting at its first outcome (applied or insufficient).
 * Easy to get wrong: the level is read from Redis asynchronously, so an order can settle between that
 * read and the count — an applied order is taken as settled only if the level read already has its
 * version; and an order's webhook can outrun the storefront's reply, so its outcome can come first.
 */
export class UnsettledOrders {
  private readonly bySku = new Map<Sku, Map<string, { readonly quantity: number; appliedVersion?: number; settled: boolean }>>();
  private readonly skuOf = new Map<string, Sku>();
  /** Orders whose outcome came before the storefront's reply. */
  private readonly early = new Set<string>();
  private readsInFlight = 0;
  private readonly settledDuringReads: Array<{ readonly sku: Sku; readonly key: string }> = [];

  /** The storefront took order `key` (`<channel>:<order id>`) for `quantity` of `sku`. */
  accepted(key: string, sku: Sku, quantity: number): void {
    if (this.early.delete(key)) return;
    let orders = this.bySku.get(sku);
    if (!orders) this.bySku.set(sku, (orders = new Map()));
    orders.set(key, { quantity, settled: false });
    this.skuOf.set(key, sku);
  }

  /**
   * The store's outcome for an order (`event.orderId`; eBay's carry a line-item suffix): the first one
   * settles it. A duplicate settles it too (its first outcome was lost to a store error and retried).
   */
  settled(orderId: string, result: ApplyResult): void {
    const outcome = result.kind === "duplicate" ? result.original : result;
    if (outcome.kind !== "applied" && outcome.kind !== "insufficient") return;
    const key = this.skuOf.has(orderId) ? orderId : withoutLineSuffix(orderId);
    const sku = this.skuOf.get(key);
    const entry = sku === undefined ? undefined : this.bySku.get(sku)?.get(key);
    if (sku === undefined || !entry) {
      // Settled already (and forgotten), or its webhook outran the storefront's reply.
      if (result.kind !== "duplicate") this.early.add(key);
      return;
    }
    entry.settled = true;
    if (outcome.kind === "applied") {
      const version = outcome.changes.find((change) => change.sku === sku)?.version;
      if (version !== undefined) entry.appliedVersion = version;
    }
    this.skuOf.delete(key);
    if (this.readsInFlight > 0) this.settledDuringReads.push({ sku, key });
    else this.bySku.get(sku)?.delete(key);
  }

  /** Call before reading a level; `end()` once `units` was asked. */
  beginRead(): { end(): void } {
    this.readsInFlight += 1;
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.readsInFlight -= 1;
        if (this.readsInFlight > 0) return;
        for (const { sku, key } of this.settledDuringReads.splice(0)) this.bySku.get(sku)?.delete(key);
      },
    };
  }

  /** Units of `sku` sold but not in a level read at `levelVersion`. */
  units(sku: Sku, levelVersion: number): number {
    let total = 0;
    for (const entry of this.bySku.get(sku)?.values() ?? []) {
      if (!entry.settled || (entry.appliedVersion !== undefined && entry.appliedVersion > levelVersion)) total += entry.quantity;
    }
    return total;
  }
}

/** Runs one strategy over one scenario on the real stack and returns the result document. */
export async function runReal(options: RealRunOptions): Promise<RealResultDocument> {
  const parsed = parseStrategy(options.strategy);
  if (!parsed.ok) throw new ServiceError("config", parsed.problem);
  const strategy = parsed.strategy;
  const progress = options.onProgress ?? (() => undefined);
  const logger = options.logger ?? createLogger("warn", process.stderr);
  const marketplaceTime = options.marketplaceTime ?? "scaled";
  const timeScale = options.durationMs / options.scenario.duration;
  const importProblem = orderImportProblem(options.scenario);
  if (importProblem !== undefined) throw new ServiceError("config", importProblem);
  let scenario: Scenario = options.scenario;
  if (options.ratePerSecond !== undefined) {
    const rated = scenarioAtRate(options.scenario, options.ratePerSecond, options.durationMs);
    if (!rated.ok) throw new ServiceError("config", rated.problems.join("; "));
    scenario = rated.scenario;
  }
  for (const note of simulatorOnlyNotes(scenario)) progress(`note: ${note}`);
  const convergenceTimeoutMs = options.convergenceTimeoutMs ?? defaultConvergenceTimeoutMs(scenario, marketplaceTime);
  const seed = options.seed;
  const runId = `run${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => logger.warn({ err: error }, "cleanup step failed"));
  };

  try {
    // --- Servers -------------------------------------------------------------------------------------
    let natsUrl = options.natsUrl;
    let redisUrl = options.redisUrl;
    const privateServers: PrivateServer[] = [];
    const missing = [...(natsUrl === undefined && !hasBinary("nats-server") ? ["nats-server"] : []), ...(redisUrl === undefined && !hasBinary("redis-server") ? ["redis-server"] : [])] as Array<keyof typeof SERVER_PACKAGES>;
    if (missing.length > 0) {
      throw new ServiceError(
        "environment",
        `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed: install with \`apt-get install -y ${missing.map((b) => SERVER_PACKAGES[b]).join(" ")}\`, or point the run at running servers with ${missing.map((b) => (b === "nats-server" ? "--nats-url" : "--redis-url")).join(" / ")}`,
      );
    }
    if (natsUrl === undefined) {
      const nats = await startPrivateNats();
      privateServers.push(nats);
      cleanups.push(() => nats.dispose());
      natsUrl = nats.url;
    }
    if (redisUrl === undefined) {
      const redis = await startPrivateRedis();
      privateServers.push(redis);
      cleanups.push(() => redis.dispose());
      redisUrl = redis.url;
    }
    progress(`servers: NATS ${redactUrlCredentials(natsUrl)}, Redis ${redactUrlCredentials(redisUrl)}${privateServers.length > 0 ? ` (private: ${privateServers.map((s) => s.binary).join(", ")})` : ""}`);

    // --- Stock in Redis (a key prefix of its own: never touches other data on a shared server) ----------
    const keyPrefix = `synclag:${runId}:`;
    const seeder = await RedisStockStore.connect({ url: redisUrl, keyPrefix }).catch((error: unknown) => {
      throw new ServiceError("environment", `cannot use Redis at ${redactUrlCredentials(redisUrl)}: ${redactedMessage(error)}`, { cause: redactError(error) });
    });
    cleanups.push(() => seeder.close());
    const catalog = buildCatalog(scenario, seed);
    const initial = new Map<Sku, StockLevel>();
    for (const item of catalog) {
      const result = await seeder.setQuantity({ sku: item.sku, quantity: item.stock, reason: "initial stock" });
      if (result.kind !== "changed") throw new ServiceError("run", `seeding ${item.sku} failed: ${JSON.stringify(result)}`);
      initial.set(item.sku, { quantity: result.change.quantity, version: result.change.version });
    }
    // The seed is not push work: the listings are seeded at the same versions below.
    for (;;) {
      const entries = await seeder.readOutbox(1000);
      if (entries.length === 0) break;
      await seeder.ackOutbox(entries.map((e) => e.id));
    }

    // --- Mock marketplaces ---------------------------------------------------------------------------
    const ingestPort = await freePort();
    const mocks = scenario.channels.map((spec) => {
      const profile = runProfile(resolveProfile(spec), timeScale, marketplaceTime);
      const marketplace = new MockMarketplace({
        kind: spec.kind,
        channel: spec.id,
        profile,
        seed,
        latency: "profile",
        ingestUrl: `http://127.0.0.1:${ingestPort}/ingest/${spec.id}`,
        ...(marketplaceTime === "scaled" ? { notificationRetryTimeScale: timeScale } : {}),
        timelineLimit: 100_000,
      });
      marketplace.seed(channelListings(catalog, spec.policy, (sku) => initial.get(sku)?.version ?? 1));
      return { spec, profile, marketplace };
    });
    const server: RunningServer = await serveMarketplaces(
      mocks.map((m) => ({ prefix: `/${m.spec.id}`, marketplace: m.marketplace })),
      { host: "127.0.0.1", port: 0 },
    );
    cleanups.push(async () => {
      for (const m of mocks) m.marketplace.stop();
      await server.close();
    });
    const baseUrls = new Map(mocks.map((m) => [m.spec.id, `${server.url}/${m.spec.id}`]));
    const truthApi = new MarketplaceTruth(new Map(mocks.map((m) => [m.spec.id, `${server.url}/${m.spec.id}/_synclag/admin`])));
    progress(`mock marketplaces on ${server.url}: ${[...baseUrls.keys()].join(", ")}`);

    // --- Engine --------------------------------------------------------------------------------------
    const metrics = new InMemoryMetrics();
    const counts = { attempted: 0, accepted: 0, fulfilled: 0, oversold: 0, lostSales: 0, lostSalesByAgents: 0, soldOut: 0, unnotified: 0, duplicateDeliveries: 0 };
    /** By source channel (an order belongs to the channel that took it); oversells come from the store's audit. */
    const perChannel = new Map(scenario.channels.map((c) => [c.id, { accepted: 0, lostSales: 0 }]));
    const minutes = Math.max(1, Math.ceil(scenario.duration / 60_000));
    const perMinute = { accepted: new Array<number>(minutes).fill(0), oversold: new Array<number>(minutes).fill(0), lostSales: new Array<number>(minutes).fill(0) };
    const minuteOf = (scenarioMs: number) => Math.min(minutes - 1, Math.max(0, Math.floor(scenarioMs / 60_000)));
    const arrivalAtByOrder = new Map<string, number>();
    let outcomesSeen = 0;
    const unsettled = new UnsettledOrders();
    const onResult = (event: OrderEvent, result: ApplyResult) => {
      if (result.kind === "applied" || result.kind === "insufficient") outcomesSeen += 1;
      unsettled.settled(event.orderId, result);
      if (result.kind === "duplicate") counts.duplicateDeliveries += 1;
      if (result.kind === "insufficient") {
        const at = arrivalAtByOrder.get(event.orderId) ?? arrivalAtByOrder.get(withoutLineSuffix(event.orderId));
        if (at !== undefined) perMinute.oversold[minuteOf(at)] = (perMinute.oversold[minuteOf(at)] ?? 0) + 1;
      }
    };
    const config = serviceConfigSchema.parse({
      natsUrl,
      redisUrl,
      strategy: options.strategy,
      ingest: { host: "127.0.0.1", port: ingestPort },
      // A compressed run spans many scenario days per real day: the daily revision budget (real UTC days) is off.
      channels: mocks.map((m) => ({ id: m.spec.id, kind: m.spec.kind, baseUrl: baseUrls.get(m.spec.id), rateLimit: m.profile.clientRateLimit, batchLinger: m.profile.batchLingerMs ?? 0, revisionsPerSkuPerDay: 0, ...(m.spec.policy ? { policy: m.spec.policy } : {}) })),
      reconcileInterval: options.reconcileIntervalMs ?? 60_000,
      // Every channel starts seeded with the truth (nothing for an early first round to repair): the first
      // round one interval after the start, as before the service's default became 30 s at most.
      reconcileFirstRoundAfter: options.reconcileIntervalMs ?? 60_000,
      feed: { streamName: `${runId.toUpperCase()}_ORDERS`, subjectPrefix: `synclag.${runId}.orders`, deadLetterStreamName: `${runId.toUpperCase()}_DLQ`, deadLetterSubjectPrefix: `synclag.${runId}.dlq` },
      redis: { keyPrefix },
      logLevel: logger.level,
    });
    // On a server we did not start, the run's own streams go at the end however the run ends (finished,
    // failed, interrupted) — registered before the engine provisions them, run after it stopped.
    if (options.natsUrl !== undefined) cleanups.push(() => deleteRunStreams(config, [config.feed.streamName, config.feed.deadLetterStreamName], logger));
    const service = await EngineService.start({ config, logger, metrics, onResult });
    let serviceStopped = false;
    cleanups.push(async () => {
      if (!serviceStopped) await service.stop();
    });
    for (const m of mocks) for (const item of catalog) service.engine.propagator.assumeConfirmed(m.spec.id, item.sku, { quantity: listedQuantity(item.stock, m.spec.policy), version: initial.get(item.sku)?.version ?? 1 });
    progress(`engine up (${options.strategy}); ingest ${service.url}`);

    // --- Load ----------------------------------------------------------------------------------------
    const startAtMs = Date.now() + 200;
    const timers: NodeJS.Timeout[] = [];
    cleanups.push(async () => timers.forEach((t) => clearTimeout(t)));
    for (const restock of scenario.demand.restocks) {
      timers.push(
        setTimeout(() => {
          void (async () => {
            for (const item of catalog.slice(0, restock.skus ?? catalog.length)) await service.engine.adjustStock({ sku: item.sku, quantity: restock.quantity, kind: "restock", reason: "scheduled restock" });
          })().catch((error: unknown) => logger.error({ err: error }, "restock failed"));
        }, Math.max(0, startAtMs + restock.at * timeScale - Date.now())),
      );
    }
    for (const m of mocks) {
      // The admin API's outageMs sets when the outage ends (0 ends it): overlapping windows of a scenario
      // must not cut an earlier, longer one short, so each injection ends at the latest end so far.
      let outageEndsAtMs = 0;
      for (const outage of m.spec.profile?.faults?.outages ?? []) {
        const inject = () => {
          outageEndsAtMs = Math.max(outageEndsAtMs, Date.now() + Math.max(1, Math.round(outage.duration * timeScale)));
          void truthApi.injectFaults(m.spec.id, { outageMs: Math.max(1, outageEndsAtMs - Date.now()) }).catch((error: unknown) => logger.warn({ err: error }, "fault injection failed"));
        };
        timers.push(setTimeout(inject, Math.max(0, startAtMs + outage.start * timeScale - Date.now())));
      }
      // Storms may overlap: at each boundary the tightening is the harshest factor of the storms active
      // then (1 when none is), as in the simulator — the end of a short storm must not lift a longer one.
      const storms = m.spec.profile?.faults?.throttleStorms ?? [];
      const stormFactorAt = (scenarioMs: number) => storms.reduce((factor, s) => (s.start <= scenarioMs && scenarioMs < s.start + s.duration ? Math.min(factor, s.factor) : factor), 1);
      for (const boundary of new Set(storms.flatMap((s) => [s.start, s.start + s.duration]))) {
        const inject = () => void truthApi.injectFaults(m.spec.id, { throttleFactor: stormFactorAt(boundary) }).catch((error: unknown) => logger.warn({ err: error }, "fault injection failed"));
        timers.push(setTimeout(inject, Math.max(0, startAtMs + boundary * timeScale - Date.now())));
      }
    }
    const collector = setInterval(() => void truthApi.collect().catch((error: unknown) => logger.warn({ err: error }, "timeline collection failed")), 2_000);
    cleanups.push(async () => clearInterval(collector));
    const pollingWindowMs = strategy.kind === "polling" ? strategy.intervalMs : 0;
    const ordersPerWindowCount: number[] = [];
    // A lost sale as docs/simulation.md defines it (and the simulator counts it): the store's level minus
    // the units of accepted orders it has not settled yet (sold at a marketplace, notification on its way)
    // was at least the quantity asked. Without the subtraction a buyer turned away by a channel that sold
    // the last unit itself would count as lost.
    const classify = async (outcome: ArrivalOutcome & { kind: "turned-away" }) => {
      const sku = outcome.arrival.sku;
      const reading = unsettled.beginRead();
      let available: number;
      try {
        const level = (await seeder.snapshot([sku])).get(sku);
        available = (level?.quantity ?? 0) - unsettled.units(sku, level?.version ?? 0);
      } finally {
        reading.end();
      }
      if (available >= outcome.arrival.quantity) {
        counts.lostSales += 1;
        if (outcome.arrival.agent) counts.lostSalesByAgents += 1;
        const channel = perChannel.get(outcome.arrival.channel);
        if (channel) channel.lostSales += 1;
        perMinute.lostSales[minuteOf(outcome.arrival.atMs)] = (perMinute.lostSales[minuteOf(outcome.arrival.atMs)] ?? 0) + 1;
      } else counts.soldOut += 1;
    };
    const classifications: Promise<void>[] = [];
    const generator = new LoadGenerator({
      arrivals: planArrivals(scenario, seed),
      timeScale,
      storefronts: baseUrls,
      startAtMs,
      ...(options.lateToleranceMs === undefined ? {} : { lateToleranceMs: options.lateToleranceMs }),
      onOutcome: (outcome) => {
        if (outcome.kind === "dropped") return;
        counts.attempted += 1;
        // Orders per polling window: orders placed (attempted), as the simulator counts them.
        if (pollingWindowMs > 0) {
          const window = Math.floor((outcome.intendedAtMs - startAtMs) / pollingWindowMs);
          ordersPerWindowCount[window] = (ordersPerWindowCount[window] ?? 0) + 1;
        }
        if (outcome.kind === "accepted") {
          counts.accepted += 1;
          const source = perChannel.get(outcome.arrival.channel);
          if (source) source.accepted += 1;
          unsettled.accepted(`${outcome.arrival.channel}:${outcome.orderId}`, outcome.arrival.sku, outcome.arrival.quantity);
          arrivalAtByOrder.set(`${outcome.arrival.channel}:${outcome.orderId}`, outcome.arrival.atMs);
          perMinute.accepted[minuteOf(outcome.arrival.atMs)] = (perMinute.accepted[minuteOf(outcome.arrival.atMs)] ?? 0) + 1;
        } else if (outcome.kind === "turned-away") {
          classifications.push(classify(outcome).catch((error: unknown) => logger.warn({ err: error }, "lost-sale classification failed")));
        }
      },
    });
    progress(`load: ${scenario.name} compressed ${round(1 / timeScale, 1)}× into ${options.durationMs} ms`);
    const onAbort = () => generator.stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) generator.stop();
    const load: LoadReport = await generator.run();
    options.signal?.removeEventListener("abort", onAbort);
    const interrupted = () => {
      if (options.signal?.aborted) throw new ServiceError("run", "interrupted: the run was stopped before it finished (servers stopped, nothing written)");
    };
    interrupted();
    await Promise.all(classifications);
    const loadEndMs = Date.now();
    progress(`load done: ${load.sent} sent, ${load.accepted} accepted, ${load.droppedArrivals} dropped; converging`);

    // --- Convergence (bounded) ---------------------------------------------------------------------
    // Under polling convergence needs one more poll after the load went quiet: the interval comes on top.
    const pollingIntervalMs = strategy.kind === "polling" ? strategy.intervalMs : 0;
    const convergenceDeadline = Date.now() + convergenceTimeoutMs + pollingIntervalMs;
    // Every notification delivered or given up, and every delivered one applied: "delivered" means the
    // ingest stored it in JetStream, not that the worker applied it — an order still in the stream would
    // otherwise be handed back unapplied at stop (and counted as never notified).
    const settledNotifications = async (): Promise<boolean> => {
      const stats = await Promise.all(mocks.map((m) => truthApi.stats(m.spec.id)));
      let neverDelivered = 0;
      for (const s of stats) {
        const n = s.notifications;
        if ((n.inFlight ?? 0) !== 0 || (n.delivered ?? 0) + (n.lost ?? 0) + (n.droppedWhileDisabled ?? 0) < (n.enqueued ?? 0)) return false;
        neverDelivered += (n.lost ?? 0) + (n.droppedWhileDisabled ?? 0);
      }
      return outcomesSeen + neverDelivered >= counts.accepted;
    };
    const converged = async (): Promise<boolean> => {
      // Oversell cancellations go out from the store's pending list, after the order was acked: a source
      // channel that was down is retried with backoff, and the run is not over until it took them.
      if (!service.engine.propagator.idle || !service.engine.cancellations.idle) return false;
      const truth = await seeder.snapshot();
      for (const m of mocks) {
        for (const listing of await truthApi.listings(m.spec.id, false)) {
          const expected = listedQuantity(truth.get(listing.sku)?.quantity ?? 0, m.spec.policy);
          if (listing.visible.quantity !== expected || listing.accepted.quantity !== expected) return false;
        }
      }
      return true;
    };
    let quiet = false;
    let convergedInTime = false;
    // Polling pushes only on its tick: equal quantities are not enough (a channel that sold its last
    // unit itself shows the truth's 0 before the version that says so reached it), so under polling
    // convergence also needs one whole poll after every order was in.
    const poller = service.engine.poller;
    let pollsWhenQuiet: number | undefined;
    while (Date.now() < convergenceDeadline) {
      interrupted();
      const notificationsDone = outcomesSeen >= counts.accepted || (await settledNotifications());
      if (notificationsDone && service.engine.propagator.idle && !quiet) {
        quiet = true;
        pollsWhenQuiet = poller?.pollsStarted;
        // Events: one reconciler round as the safety net (lost webhooks, drift), as its own timer would.
        // Not under polling: between polls every channel still shows the stock sold since the last one
        // (more than the truth, pair idle), and the round would push the truth there at once — a hidden
        // sync between polls that shortens polling's measured lag by up to an interval. Under polling
        // repairs ride on the poll's tick (the engine's afterPoll → Reconciler.roundIfDue), and the
        // poll begun after this point brings every channel up to date.
        if (poller === undefined && service.engine.reconciler) await service.engine.reconciler.round();
        continue;
      }
      // A poll begun after every order was in has handed its snapshot (every version) to the propagator.
      const polledSince = poller === undefined || pollsWhenQuiet === undefined || poller.lastPublishedPoll > pollsWhenQuiet;
      if (notificationsDone && quiet && polledSince && (await converged())) {
        convergedInTime = true;
        break;
      }
      await sleep(250);
    }
    const convergedAtMs = Date.now();
    await truthApi.collect();
    progress(
      convergedInTime
        ? `converged ${convergedAtMs - loadEndMs} ms after the load; reading ground truth`
        : `NOT converged within ${formatDuration(convergenceTimeoutMs + pollingIntervalMs)} after the load (the convergence check will fail; ${marketplaceTime === "real" ? "the marketplaces' delays are as profiled" : "the marketplaces' delays are compressed"} — if the channels were still catching up, a longer convergence timeout lets them finish: synclag run --convergence-timeout); reading ground truth`,
    );

    // --- Stop the engine, then read everything ---------------------------------------------------------
    serviceStopped = true;
    await service.stop();
    const audit: AuditRecord[] = await seeder.readAudit();
    const final = await seeder.snapshot();
    // As the engine connected: the servers and any credentials settings.
    const connection = await connectNats({ ...natsConnectOptions(config), name: "synclag-run-dlq" });
    // (On a server we did not start, the cleanup then deletes this run's own streams.)
    const deadLetters = await readDeadLetters(connection, { deadLetterStreamName: config.feed.deadLetterStreamName, deadLetterSubjectPrefix: config.feed.deadLetterSubjectPrefix }).finally(() => connection.close());
    const stats = new Map<string, MarketplaceStats>();
    const listings = new Map<string, Awaited<ReturnType<MarketplaceTruth["listings"]>>>();
    const orders = new Map<string, Awaited<ReturnType<MarketplaceTruth["orders"]>>>();
    for (const m of mocks) {
      stats.set(m.spec.id, await truthApi.stats(m.spec.id));
      listings.set(m.spec.id, await truthApi.listings(m.spec.id, false));
      orders.set(m.spec.id, await truthApi.orders(m.spec.id));
    }

    // --- Ground truth replay: the simulator's GroundTruth fed with the real timelines ----------------------
    const confirmedAt = new Map<string, number>();
    for (const [channel, list] of orders) for (const order of list) confirmedAt.set(`${channel}:${order.nativeId}`, order.createdAtMs);
    const skus = catalog.map((item) => item.sku);
    const endMs = startAtMs + options.durationMs;
    const truth = new GroundTruth(scenario.channels.map((c) => (c.policy ? { id: c.id, policy: c.policy } : { id: c.id })), skus, startAtMs, endMs);
    for (const item of catalog) truth.seed(item.sku, item.stock, scenario.channels.map((c) => listedQuantity(item.stock, c.policy)));
    type Replay = { atMs: number; order: number; run: () => void };
    const replay: Replay[] = [];
    for (const record of audit) {
      if (record.kind === "set" && record.reason === "initial stock") continue;
      for (const change of record.changes) replay.push({ atMs: record.atMs, order: 0, run: () => truth.truthChanged(change.sku, change.quantity, record.atMs) });
      if (record.kind === "order" && record.orderId !== undefined && record.sourceChannel !== undefined) {
        const confirmed = confirmedAt.get(record.orderId) ?? confirmedAt.get(withoutLineSuffix(record.orderId)) ?? record.atMs;
        const source = record.sourceChannel;
        for (const change of record.changes) replay.push({ atMs: record.atMs, order: 1, run: () => truth.orderApplied(source, change.sku, change.version, confirmed) });
      }
    }
    for (const m of mocks) {
      for (const entry of truthApi.timeline(m.spec.id)) {
        if (entry.event === "seeded") continue;
        const change = { channel: m.spec.id, sku: entry.sku, quantity: entry.quantity, version: entry.version, atMs: entry.atMs };
        if (entry.event === "visible") replay.push({ atMs: entry.atMs, order: 3, run: () => truth.onVisible(change) });
        else if (entry.event === "accepted") replay.push({ atMs: entry.atMs, order: 2, run: () => truth.onAccepted(change) });
        else replay.push({ atMs: entry.atMs, order: 2, run: () => truth.shownChanged(m.spec.id, entry.sku, entry.quantity, entry.atMs) });
      }
    }
    replay.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    let lagError: Error | undefined;
    for (const step of replay) {
      try {
        step.run();
      } catch (error) {
        lagError ??= error as Error;
      }
    }
    for (const [channel, list] of listings) for (const listing of list) truth.shownChanged(channel, listing.sku, listing.visible.quantity, convergedAtMs);

    // --- Accounting ----------------------------------------------------------------------------------
    const outcomeRecords = audit.filter((r) => r.kind === "order" || r.kind === "insufficient");
    counts.fulfilled = audit.filter((r) => r.kind === "order").length;
    counts.oversold = audit.filter((r) => r.kind === "insufficient").length;
    // Each channel's oversells from the same audit records, by the order's source channel, so they add up
    // to counts.oversold (an outcome whose reply was lost and came back "duplicate" is still in the audit).
    const oversoldBy = new Map<string, number>();
    for (const r of audit) if (r.kind === "insufficient" && r.sourceChannel !== undefined) oversoldBy.set(r.sourceChannel, (oversoldBy.get(r.sourceChannel) ?? 0) + 1);
    counts.unnotified = Math.max(0, counts.accepted - outcomeRecords.length);
    // As the simulator counts them: every redelivered or duplicated notification recognised by order id.
    // Most never reach the store — the ingest publishes with the order id as JetStream's message id, and
    // the stream drops the copy (ingest_notifications_total{outcome="duplicate"}); the rest (after the
    // duplicate window, or a redelivery by JetStream) come back from the store as "duplicate".
    counts.duplicateDeliveries += metrics
      .counters()
      .filter((c) => c.name === "ingest_notifications_total" && c.labels.outcome === "duplicate")
      .reduce((total, c) => total + c.value, 0);
    const cancellations = [...stats.values()].reduce((sum, s) => sum + s.cancellations, 0);
    const unresolved = truth.unresolved();
    const checks: CheckResult[] = [
      checkStockNeverNegative(audit),
      checkConservation(audit, final),
      checkSingleApplication(audit),
      checkConvergence(truth.mismatches(), scenario.channels.map((c, i) => ({ channel: c.id, count: unresolved[i] ?? 0 }))),
      checkNoVersionRegression(scenario.channels.map((c) => ({ channel: c.id, count: stats.get(c.id)?.model.versionRegressions ?? 0 }))),
      checkEveryOversellCancelled(counts.oversold, cancellations),
      checkNoValidOrderDeadLettered(deadLetters, 0),
      checkLagNeverNegative(lagError),
    ];

    const stale = truth.staleExposure();
    const backlogs = new Map(service.engine.propagator.backlog().map((b) => [b.channel, b]));
    const counter = (name: string, channel: string) => metrics.counters().filter((c) => c.name === name && c.labels.channel === channel).reduce((total, c) => total + c.value, 0);
    const channels: Record<string, RealChannelResult> = {};
    const engineLag = new Histogram();
    scenario.channels.forEach((spec, index) => {
      const client = service.clients.get(spec.id);
      const profile = mocks[index]?.profile ?? resolveProfile(spec);
      const queueWait = metrics.histogram("queue_wait_ms", { channel: spec.id }) ?? new Histogram();
      const propagation = metrics.histogram("propagation_lag_ms", { channel: spec.id });
      if (propagation) engineLag.merge(propagation);
      const acceptedLag = truth.channelAcceptedLag[index] as Histogram;
      const syncLag = truth.channelSyncLag[index] as Histogram;
      const blockedMs = blockedMsOf(metrics, spec.id);
      const s = client?.stats;
      const accepted = perChannel.get(spec.id)?.accepted ?? 0;
      const oversold = oversoldBy.get(spec.id) ?? 0;
      channels[spec.id] = {
        kind: spec.kind,
        syncLagMs: syncLag.summary(),
        acceptedLagMs: acceptedLag.summary(),
        apiCalls: s?.apiCalls ?? 0,
        updateCalls: s?.updateCalls ?? 0,
        throttled: s?.throttled ?? 0,
        serverErrors: s?.serverErrors ?? 0,
        timeouts: s?.timeouts ?? 0,
        itemsRejected: s?.itemsRejected ?? 0,
        transportErrors: s?.transportErrors ?? 0,
        stale: s?.stale ?? 0,
        staleExposure: round(stale[index] ?? 0, 6),
        // What this marketplace's cancellation-rate metric sees: its own orders (rounded as orders.cancellationRate).
        accepted,
        oversold,
        cancellationRate: accepted > 0 ? round(oversold / accepted, 6) : 0,
        cancellationRateLimit: profile.cancellationRateLimit,
        lostSales: perChannel.get(spec.id)?.lostSales ?? 0,
        cancellations: stats.get(spec.id)?.cancellations ?? 0,
        rateLimit: {
          updatesPerSecondCapacity: profile.clientRateLimit.ratePerSecond * profile.maxBatchSize,
          callsPerSecond: profile.clientRateLimit.ratePerSecond,
          maxBatchSize: profile.maxBatchSize,
          queueWaitMs: queueWait.summary(),
          backlogPeak: backlogs.get(spec.id)?.backlogPeak ?? 0,
          blockedMs,
          bound: rateLimitBound(queueWait, acceptedLag, blockedMs),
        },
        driftRepaired: counter("drift_repaired_total", spec.id),
        pushesAbandoned: counter("pushes_abandoned_total", spec.id),
        histograms: { syncLagMs: syncLag.encode(), acceptedLagMs: acceptedLag.encode() },
      };
    });
    const sum = (name: string) => scenario.channels.reduce((total, c) => total + counter(name, c.id), 0);
    const toScenarioTime = (points: Array<[number, number]>) => points.map(([t, q]) => [Math.round(t / timeScale), q] as [number, number]);
    // In scenario time; a series thinned above the ground truth's limit stays flagged, as in the simulator.
    const timeline = { sku: truth.timeline.sku, truth: toScenarioTime(truth.timeline.truth), channels: Object.fromEntries(Object.entries(truth.timeline.channels).map(([k, v]) => [k, toScenarioTime(v)])), ...(truth.timeline.downsampled ? { downsampled: true as const } : {}) };
    const result: RealStrategyResult = {
      strategy: options.strategy,
      orderImport: "push",
      orders: { ...counts, cancellationRate: counts.accepted > 0 ? round(counts.oversold / counts.accepted, 6) : 0, notVisibleEverywhere: truth.ordersNotVisibleEverywhere, droppedArrivals: load.droppedArrivals },
      syncLagMs: truth.syncLag.summary(),
      acceptedLagMs: truth.acceptedLag.summary(),
      visibleEverywhereMs: truth.visibleEverywhere.summary(),
      channels,
      cost: computeCost(scenario.cost, counts),
      ...(strategy.kind === "polling"
        ? {
            polling: {
              intervalMs: strategy.intervalMs,
              // Per trading (scenario) day, like the header's orders/day: the interval is wall-clock time,
              // and one trading day lasts DAY_MS × timeScale wall ms of the time-lapse.
              syncWindowsPerDay: round((DAY_MS * timeScale) / strategy.intervalMs, 3),
              ordersPerWindow: { mean: round(counts.attempted / Math.max(1, options.durationMs / strategy.intervalMs), 3), peak: ordersPerWindowCount.reduce((max, n) => Math.max(max, n ?? 0), 0) },
            },
          }
        : {}),
      engine: {
        pushes: sum("pushes_total"),
        pushCalls: sum("push_calls_total"),
        retries: sum("push_retries_total"),
        lateLandingRepushes: sum("late_landing_repushes_total"),
        throttled: sum("throttled_total"),
        driftRepaired: Object.values(channels).reduce((total, c) => total + c.driftRepaired, 0),
        pushesAbandoned: Object.values(channels).reduce((total, c) => total + c.pushesAbandoned, 0),
        deadLetters: deadLetters.length,
        storeErrors: metrics.counter("store_errors_total"),
      },
      checks,
      ok: checks.every((c) => c.ok),
      simulatedEvents: load.sent,
      simulatedMs: convergedAtMs - startAtMs,
      histograms: { syncLagMs: truth.syncLag.encode(), acceptedLagMs: truth.acceptedLag.encode(), visibleEverywhereMs: truth.visibleEverywhere.encode() },
      timeline,
      perMinute,
      load: {
        durationMs: options.durationMs,
        timeScale,
        planned: load.planned,
        sent: load.sent,
        errors: load.errors,
        storefrontLatencyMs: load.latencyMs.summary(),
        marketplaceTime,
      },
      engineLagMs: engineLag.summary(),
    };
    return {
      schemaVersion: RESULT_SCHEMA_VERSION,
      generator: { name: "synclag", mode: "real" },
      scenario: describeScenario(scenario),
      seed,
      strategies: [result],
      ok: result.ok,
      reproduce: options.reproduceCommand ?? reproduceRunCommand({ ...options, scenario: options.scenarioArgument ?? options.scenario.name }),
    };
  } finally {
    await cleanup();
  }
}
