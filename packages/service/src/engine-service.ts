// The reference engine as a service — the composition root `synclag engine` and `synclag run` share:
// NATS (provisioned streams + durable consumer) → JetStreamOrderFeed → Engine (RedisStockStore, HTTP
// channel clients, propagator, reconciler, outbox) and the ingest gateway publishing into the same
// stream. Logic stays in the packages; this file only wires and shuts down.
// Easy to get wrong: shutdown order. Ingest first (no new orders), then the engine (the feed finishes
// in-flight handlers and acks them), then clients, Redis, NATS — and every step under one deadline, so a
// hung dependency cannot keep a SIGTERM'd pod alive.

import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createChannelClient, type ChannelClientConfig, type HttpChannelClient } from "@synclag/channels";
import type { ApplyResult, ChannelId, Metrics, OrderEvent } from "@synclag/core";
import { Engine } from "@synclag/engine";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { JetStreamOrderFeed, JetStreamOrderPublisher, connectNats, provisionStreams, type NatsFeedError } from "@synclag/nats-feed";
import { GroupCommitStockStore, RedisStockStore } from "@synclag/redis-store";
import { parseStrategy } from "@synclag/sim";
import { pino, type Logger } from "pino";
import { channelSecrets, redactConfig, type ServiceConfig } from "./config.js";
import { ServiceError } from "./errors.js";
import { startIngestServer, type IngestChannel, type RunningIngestServer } from "./ingest-server.js";
import { LagObservingClient } from "./lag-observing-client.js";
import { PrometheusMetrics, teeMetrics } from "./prometheus-metrics.js";
import { SystemScheduler, systemClock, systemRandom } from "./system-time.js";

export interface EngineServiceOptions {
  readonly config: ServiceConfig;
  /** Default: JSON lines on stdout at `config.logLevel`. */
  readonly logger?: Logger;
  /** Extra metrics sink (the runner passes an InMemoryMetrics for its result document). */
  readonly metrics?: Metrics;
  /** Observer of every store outcome (the runner's accounting). */
  readonly onResult?: (event: OrderEvent, result: ApplyResult) => void;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: "synclag-engine" }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout);
}

/** A bounded wait: resolves with the promise, or rejects after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ServiceError("shutdown", `${what} did not finish within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class EngineService {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: ServiceConfig,
    readonly logger: Logger,
    readonly connection: NatsConnection,
    readonly store: RedisStockStore,
    readonly engine: Engine,
    readonly clients: ReadonlyMap<ChannelId, HttpChannelClient>,
    readonly prometheus: PrometheusMetrics,
    private readonly ingest: RunningIngestServer,
    private readonly scheduler: SystemScheduler,
  ) {}

  /** The ingest gateway's base URL (`<url>/ingest/<channel>` takes notifications). */
  get url(): string {
    return this.ingest.url;
  }

  static async start(options: EngineServiceOptions): Promise<EngineService> {
    const config = options.config;
    const logger = options.logger ?? createLogger(config.logLevel);
    logger.info({ config: redactConfig(config) }, "starting the synclag engine");
    const parsed = parseStrategy(config.strategy);
    if (!parsed.ok) throw new ServiceError("config", parsed.problem);
    const prometheus = new PrometheusMetrics();
    const metrics = options.metrics ? teeMetrics(prometheus, options.metrics) : prometheus;

    // --- Clients (validated before any connection is opened) ---------------------------------------
    const clients = new Map<ChannelId, HttpChannelClient>();
    const observed = new Map<ChannelId, LagObservingClient>();
    const ingestChannels: IngestChannel[] = [];
    for (const entry of config.channels) {
      const id = entry.id ?? entry.kind;
      const { credentials, notificationSecret } = channelSecrets(entry);
      let client: HttpChannelClient;
      try {
        client = createChannelClient({ kind: entry.kind, channel: id, baseUrl: entry.baseUrl, credentials } as unknown as ChannelClientConfig);
      } catch (error) {
        await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
        throw new ServiceError("config", `channel ${id}: ${(error as Error).message}`, { cause: error });
      }
      clients.set(id, client);
      observed.set(id, new LagObservingClient(client, systemClock, metrics));
      const ebayKeys = new Map<string, Promise<string | undefined>>();
      const resolveEbayKey = (keyId: string): Promise<string | undefined> => {
        let known = ebayKeys.get(keyId);
        if (!known) {
          known = fetch(`${entry.baseUrl.replace(/\/+$/, "")}/commerce/notification/v1/public_key/${encodeURIComponent(keyId)}`, { headers: { authorization: `Bearer ${credentials.accessToken ?? ""}` }, signal: AbortSignal.timeout(5_000) })
            .then(async (r) => (r.ok ? ((await r.json()) as { key?: string }).key : undefined))
            .catch(() => undefined);
          ebayKeys.set(keyId, known);
          void known.then((key) => key === undefined && ebayKeys.delete(keyId));
        }
        return known;
      };
      ingestChannels.push({
        id,
        kind: entry.kind,
        secret: entry.kind === "ebay" ? (notificationSecret === undefined ? resolveEbayKey : notificationSecret) : (notificationSecret ?? ""),
        ...(entry.kind === "flipkart" && credentials.appId !== undefined ? { appId: credentials.appId } : {}),
      });
    }

    // --- NATS and Redis ------------------------------------------------------------------------------
    const feedOptions = {
      streamName: config.feed.streamName,
      subjectPrefix: config.feed.subjectPrefix,
      deadLetterStreamName: config.feed.deadLetterStreamName,
      deadLetterSubjectPrefix: config.feed.deadLetterSubjectPrefix,
      consumerName: config.feed.consumerName,
      ackWaitMs: config.feed.ackWait,
    };
    let connection: NatsConnection;
    try {
      connection = await connectNats({ servers: config.natsUrl, name: "synclag-engine", timeoutMs: 5_000 });
    } catch (error) {
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      throw new ServiceError("environment", `cannot connect to NATS at ${String(redactConfig(config.natsUrl))}: ${(error as Error).message}`, { cause: error });
    }
    let store: RedisStockStore;
    try {
      const provisioned = await provisionStreams(connection, { ...feedOptions, onMismatch: "update" });
      logger.info({ serverVersion: provisioned.serverVersion, created: provisioned.created, updated: provisioned.updated }, "JetStream provisioned");
      store = await RedisStockStore.connect({ url: config.redisUrl, keyPrefix: config.redis.keyPrefix, onClientError: (error) => logger.warn({ err: error }, "redis client error") });
    } catch (error) {
      await connection.close().catch(() => undefined);
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      throw new ServiceError("environment", `cannot prepare NATS/Redis: ${(error as Error).message}`, { cause: error });
    }

    // --- Engine --------------------------------------------------------------------------------------
    const scheduler = new SystemScheduler();
    const feed = new JetStreamOrderFeed({
      connection,
      ...feedOptions,
      maxConcurrentHandlers: config.feed.maxConcurrentHandlers,
      metrics,
      stopTimeoutMs: Math.max(1_000, Math.floor(config.shutdownTimeout / 2)),
      onError: (error: NatsFeedError) => logger.warn({ reason: error.reason, err: error }, "order feed trouble"),
    });
    const onResult = (event: OrderEvent, result: ApplyResult): void => {
      if (result.kind === "applied") for (const change of result.changes) for (const client of observed.values()) client.noteApplied(event.sourceChannel, change.sku, change.version, event.confirmedAtMs);
      if (result.kind === "applied" || result.kind === "duplicate") {
        // The hot path: build the log line only when someone reads it.
        if (logger.isLevelEnabled("debug")) logger.debug({ orderId: event.orderId, channel: event.sourceChannel, outcome: result.kind, sinceConfirmedMs: Date.now() - event.confirmedAtMs }, "order applied");
        options.onResult?.(event, result);
        return;
      }
      const line = { orderId: event.orderId, channel: event.sourceChannel, outcome: result.kind, sinceConfirmedMs: Date.now() - event.confirmedAtMs };
      if (result.kind === "insufficient") logger.warn({ ...line, shortages: result.shortages }, "oversell: order cannot be filled; cancelling at the source");
      else logger.warn({ ...line, detail: result.kind === "conflict" ? result.message : result.problems }, "order refused");
      options.onResult?.(event, result);
    };
    // Group commit: the feed runs many handlers at once; their applyOrder calls share script calls.
    const workerStore = config.redis.maxOrdersPerCall > 1 ? new GroupCommitStockStore(store, { maxOrdersPerCall: Math.min(config.redis.maxOrdersPerCall, store.batchSize) }) : store;
    const engine = new Engine({
      store: workerStore,
      feed,
      channels: config.channels.map((entry) => {
        const id = entry.id ?? entry.kind;
        return {
          client: observed.get(id) as LagObservingClient,
          rateLimit: entry.rateLimit ?? DEFAULT_PROFILES[entry.kind].clientRateLimit,
          ...(entry.policy ? { policy: entry.policy } : {}),
          ...(entry.maxInFlightCalls === undefined ? {} : { maxInFlightCalls: entry.maxInFlightCalls }),
          batchLingerMs: entry.batchLinger ?? DEFAULT_PROFILES[entry.kind].batchLingerMs ?? 0,
          revisionsPerSkuPerDay: entry.revisionsPerSkuPerDay ?? DEFAULT_PROFILES[entry.kind].revisionsPerListingPerDay ?? 0,
        };
      }),
      clock: systemClock,
      scheduler,
      random: systemRandom,
      metrics,
      strategy: parsed.strategy,
      reconcileIntervalMs: config.reconcileInterval,
      onResult,
    });

    // --- Ingest ------------------------------------------------------------------------------------
    const publisher = new JetStreamOrderPublisher({ connection, streamName: config.feed.streamName, subjectPrefix: config.feed.subjectPrefix });
    const readiness = async (): Promise<Record<string, { ok: boolean; detail: string }>> => {
      const nats = await within(2_000, "NATS check", jetstreamManager(connection).then((jsm) => jsm.streams.info(config.feed.streamName)))
        .then(() => ({ ok: true, detail: `stream ${config.feed.streamName} reachable` }))
        .catch((error: unknown) => ({ ok: false, detail: (error as Error).message }));
      const redis = await within(2_000, "Redis check", store.snapshot(["__synclag_readyz__"]))
        .then(() => ({ ok: true, detail: "reachable; read script runs" }))
        .catch((error: unknown) => ({ ok: false, detail: (error as Error).message }));
      return { nats, redis };
    };
    let ingest: RunningIngestServer;
    try {
      await engine.start();
      ingest = await startIngestServer({
        host: config.ingest.host,
        port: config.ingest.port,
        maxBodyBytes: config.ingest.maxBodyBytes,
        channels: ingestChannels,
        publish: (event) => publisher.publish(event),
        metrics,
        logger,
        renderMetrics: async () => ({ contentType: prometheus.contentType, body: await prometheus.render() }),
        adjustStock: async (input) => {
          const result = await engine.adjustStock(input);
          return result.kind === "changed" ? { ok: true, detail: result.change } : { ok: false, detail: result.problems };
        },
        readiness,
      });
    } catch (error) {
      await engine.stop().catch(() => undefined);
      scheduler.clearAll();
      await store.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      throw new ServiceError("environment", `cannot start the engine: ${(error as Error).message}`, { cause: error });
    }
    const service = new EngineService(config, logger, connection, store, engine, clients, prometheus, ingest, scheduler);
    logger.info({ url: ingest.url, strategy: config.strategy, channels: [...clients.keys()] }, "engine ready");
    return service;
  }

  /** Graceful stop under `config.shutdownTimeout`; rejects with `ServiceError("shutdown")` when the deadline passes. */
  stop(): Promise<void> {
    this.stopping ??= within(this.config.shutdownTimeout, "graceful shutdown", this.shutdown());
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info("stopping: ingest");
    await this.ingest.close();
    this.logger.info("stopping: engine (in-flight orders finish and are acked)");
    await this.engine.stop();
    this.scheduler.clearAll();
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    await this.store.close();
    await this.connection.drain().catch(() => this.connection.close());
    this.logger.info("stopped");
  }
}
