// The reference engine as a service — the composition root `synclag engine` and `synclag run` share:
// NATS (provisioned streams + durable consumer) → JetStreamOrderFeed → Engine (RedisStockStore, HTTP
// channel clients, propagator, reconciler, outbox) and the ingest gateway publishing into the same
// stream. Logic stays in the packages; this file only wires and shuts down.
// The engine's store is guarded by an epoch marker (store-epoch.ts): when Redis loses its data, orders
// for SKUs that vanished are held in JetStream, not dead-lettered, until an operator restores the stock.
// Easy to get wrong: shutdown order. First the drain window (`shutdownDelay`: readiness 503 while
// webhooks are still taken, so a load balancer stops routing here before the port closes), then the
// ingest (no new orders; its drain is bounded, so a client that stalled mid-upload cannot hold it), then
// the engine (the feed finishes in-flight handlers and acks them), then clients, Redis, NATS — every step
// under its own share of what the delay leaves of one deadline (stopStepBudgets), so a frozen dependency
// costs its step, not the whole deadline, and cannot keep a SIGTERM'd pod alive. And a stop asked for
// during the start (options.signal) abandons the slow step and stops what had started.
// And readiness has two scopes: `/readyz` is the whole engine (alerting, rollouts); `/readyz/ingest` only
// what storing a webhook needs (NATS) — the webhook balancer's probe, so a Redis outage, during which
// orders wait in JetStream, does not take every instance out of it.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createChannelClient, type ChannelClientConfig, type HttpChannelClient } from "@synclag/channels";
import { encodeOrderEvent, formatDuration, type ApplyResult, type ChannelId, type Metrics, type OrderEvent } from "@synclag/core";
import { Engine } from "@synclag/engine";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { JetStreamOrderFeed, JetStreamOrderPublisher, NatsFeedError, connectNats, messageIdFor, orderSubject, provisionStreams, resolveFeedOptions } from "@synclag/nats-feed";
import { GroupCommitStockStore, RedisStockStore, RevisionLedger } from "@synclag/redis-store";
import { parseStrategy } from "@synclag/sim";
import { pino, type Logger } from "pino";
import { createClient } from "redis";
import { channelBudgetPerReplica, channelSecretProblem, channelSecrets, reconcileFirstRoundAfterMs, isLoopbackHost, isMockChannel, natsConnectOptions, redactConfig, shutdownDelayProblem, type ServiceConfig } from "./config.js";
import { EbayKeyResolver, fetchEbayPublicKey, type EbayKeyStore } from "./ebay-key-resolver.js";
import { EngineEventLog } from "./engine-events.js";
import { ServiceError } from "./errors.js";
import { SIGNATURE_NEW_CLAIMS_MS, orderTimeLimits, startIngestServer, type IngestChannel, type RunningIngestServer } from "./ingest-server.js";
import { SignatureReplayGuard, redisSignatureClaimStore } from "./signature-replay-guard.js";
import { LagObservingClient } from "./lag-observing-client.js";
import { OrderIdGuard } from "./order-id-guard.js";
import { PrometheusMetrics, teeMetrics } from "./prometheus-metrics.js";
import { PushVerifier } from "./push-verifier.js";
import { redactError, redactUrlCredentials, redactedMessage } from "./redact.js";
import { takeBackRevisionCounts } from "./revision-take-back.js";
import { EpochGuardedStockStore, STORE_LOST_MESSAGE, STORE_RESTORE_ACTION, StoreEpoch, pushRestoredStock } from "./store-epoch.js";
import { SystemScheduler, systemClock, systemRandom } from "./system-time.js";

export interface EngineServiceOptions {
  readonly config: ServiceConfig;
  /** Default: JSON lines on stdout at `config.logLevel`. */
  readonly logger?: Logger;
  /** Extra metrics sink (the runner passes an InMemoryMetrics for its result document). */
  readonly metrics?: Metrics;
  /** Observer of every store outcome (the runner's accounting). */
  readonly onResult?: (event: OrderEvent, result: ApplyResult) => void;
  /**
   * A stop asked for while starting (the CLI's SIGTERM/SIGINT): the start stops what it had started and
   * rejects with `ServiceError("aborted")` — at once, not after a slow connect finishes.
   */
  readonly signal?: AbortSignal;
}

/**
 * A marketplace that never redelivers a notification (its profile: `retries: 0` — WooCommerce) gets its
 * failed publishes retried for its webhook timeout less this margin (WooCommerce: 60 s → 55 s).
 */
const NO_REDELIVERY_MARGIN_MS = 5_000;
/** When a profile states no delivery timeout. */
const DEFAULT_DELIVERY_TIMEOUT_MS = 60_000;

/** How long a failed publish is retried for a channel of `kind`, or undefined when the marketplace redelivers. */
export function publishRetryMsFor(kind: MarketplaceKind): number | undefined {
  const notifications = DEFAULT_PROFILES[kind].notifications;
  if (notifications.retries > 0) return undefined;
  return Math.max(1_000, (notifications.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS) - NO_REDELIVERY_MARGIN_MS);
}

/** How long an eBay key found by a look-up is taken from Redis (after a restart, by another instance) before it is looked up again. */
const EBAY_KEY_STORED_FOR_MS = 7 * 24 * 3_600_000;

/**
 * eBay keys found, in a Redis hash (field: key id; value: `{pem, foundAtMs}`), so a restart or a new
 * instance needs no look-up for a key already seen — none that senders of made-up key ids could hold
 * back (see ebay-key-resolver.ts). `client` is there once Redis is connected; before that, nothing.
 */
function redisEbayKeyStore(redis: () => { readonly client: { hGet(key: string, field: string): Promise<unknown>; hSet(key: string, field: string, value: string): Promise<unknown> }; readonly key: string } | undefined, nowMs: () => number): EbayKeyStore {
  return {
    load: async (keyId) => {
      const target = redis();
      if (target === undefined) return undefined;
      const text = await target.client.hGet(target.key, keyId);
      if (typeof text !== "string") return undefined;
      const entry = JSON.parse(text) as { pem?: unknown; foundAtMs?: unknown };
      return typeof entry.pem === "string" && entry.pem !== "" && typeof entry.foundAtMs === "number" && nowMs() - entry.foundAtMs < EBAY_KEY_STORED_FOR_MS ? entry.pem : undefined;
    },
    save: async (keyId, pem) => {
      const target = redis();
      if (target !== undefined) await target.client.hSet(target.key, keyId, JSON.stringify({ pem, foundAtMs: nowMs() }));
    },
  };
}

/** pino's error serializer (message and stack include the causes'), with URL credentials redacted. */
function redactedErrSerializer(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (typeof serialized !== "object" || serialized === null) return typeof serialized === "string" ? redactUrlCredentials(serialized) : serialized;
  const out = serialized as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === "string") out[key] = redactUrlCredentials(value);
    else if (Array.isArray(value)) out[key] = value.map((item: unknown) => (typeof item === "string" ? redactUrlCredentials(item) : item));
  }
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: "synclag-engine" }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: redactedErrSerializer } }, destination ?? process.stdout);
}

/** A service error built from a lower-level one: URL credentials redacted in the message and in the kept cause. */
function failure(reason: "config" | "environment", message: string, error: unknown, detail = redactedMessage(error)): ServiceError {
  return new ServiceError(reason, redactUrlCredentials(`${message}: ${detail}`), { cause: redactError(error) });
}

/** The JetStream API error code of a failure, if it has one (stream not found 10059, consumer not found 10014). */
function apiCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

function isAborted(error: unknown): boolean {
  return error instanceof ServiceError && error.reason === "aborted";
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

/**
 * How the shutdown deadline is shared between the steps of a stop, each bounded on its own so that one
 * frozen dependency (a SIGSTOPped nats-server, a Redis behind a dead link: the TCP connection stays
 * open, nothing answers) costs at most its step, never the whole deadline. Of the deadline less a
 * little slack for the last lines (1/20, 500 ms at most): the ingest step ≤ ¼ (its drain 5 s at most),
 * closing the channel clients, Redis, the NATS drain and the NATS close ≤ 1/16 each (2 s at most), and
 * the engine step (the feed lets in-flight orders finish) the rest — at least ½. The drain and the feed's
 * stop leave their step a small grace to return in. Every step may use its whole budget, so the budgets
 * sum to at most the deadline (found by review: they summed to 15.75 s of 15 s). What a step could not
 * finish is logged and left to redelivery.
 */
export function shutdownBudgets(shutdownTimeoutMs: number): { readonly ingestDrainMs: number; readonly ingestStepMs: number; readonly feedStopMs: number; readonly engineStepMs: number; readonly closeStepMs: number } {
  const usableMs = shutdownTimeoutMs - Math.min(500, Math.floor(shutdownTimeoutMs / 20));
  const grace = (stepMs: number): number => Math.min(250, Math.floor(stepMs / 10));
  const ingestStepMs = Math.min(5_000 + 250, Math.floor(usableMs / 4));
  const closeStepMs = Math.min(2_000, Math.floor(usableMs / 16));
  const engineStepMs = usableMs - ingestStepMs - 4 * closeStepMs;
  // The feed refuses a stop timeout of 0: 1 ms at least (a deadline of 1 ms leaves no more anyway).
  return { ingestDrainMs: ingestStepMs - grace(ingestStepMs), ingestStepMs, feedStopMs: Math.max(1, engineStepMs - grace(engineStepMs)), engineStepMs: Math.max(1, engineStepMs), closeStepMs };
}

/**
 * The stop steps' budgets under a configuration: the drain window (`shutdownDelay`) is counted inside
 * `shutdownTimeout`, so the steps after it share what is left (the configuration refuses a delay that
 * leaves nothing).
 */
export function stopStepBudgets(config: Pick<ServiceConfig, "shutdownTimeout" | "shutdownDelay">): ReturnType<typeof shutdownBudgets> {
  return shutdownBudgets(Math.max(1, config.shutdownTimeout - config.shutdownDelay));
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
    /** The store's epoch marker: tells whether Redis still holds the data this engine started with. */
    readonly storeEpoch: StoreEpoch,
    private readonly epochClient: { destroy(): void },
    /** Checks confirmed pushes against the store (push-verifier.ts); undefined when off or polling. */
    private readonly pushVerifier: PushVerifier | undefined,
    /** Revisions spent per listing per UTC day, in Redis (channels with a revision budget); undefined when none has one. */
    private readonly revisionLedger: RevisionLedger | undefined,
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
    // The repository's mock secrets are public: a channel off loopback (or behind an ingest off loopback or behind a proxy) runs on its own or not at all
    // (loadServiceConfig lists the same problems; a config built in code is checked here).
    const secretProblems = config.channels.map((entry, index) => channelSecretProblem(entry, `channels.${index} (${entry.id ?? entry.kind})`, config.ingest)).filter((p) => p !== undefined);
    if (secretProblems.length > 0) throw new ServiceError("config", `invalid configuration: ${secretProblems.join("; ")}`, { problems: secretProblems });
    const delayProblem = shutdownDelayProblem(config);
    if (delayProblem !== undefined) throw new ServiceError("config", `invalid configuration: shutdownDelay: ${delayProblem}`, { problems: [`shutdownDelay: ${delayProblem}`] });

    // A stop asked for while starting: each slow step gives up at once; what it brings later is closed.
    const signal = options.signal;
    const aborted = () => new ServiceError("aborted", "start-up aborted: a stop was asked for before the engine was ready; what had started is stopped");
    const unlessAborted = async <T>(promise: Promise<T>, disposeLate?: (value: T) => unknown): Promise<T> => {
      if (signal === undefined) return promise;
      let onAbort: (() => void) | undefined;
      const abortion = new Promise<never>((_, reject) => {
        onAbort = () => reject(aborted());
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
      abortion.catch(() => undefined);
      try {
        return await Promise.race([promise, abortion]);
      } catch (error) {
        if (isAborted(error)) void promise.then((value) => disposeLate?.(value), () => undefined);
        throw error;
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    };
    const checkAborted = (): void => {
      if (signal?.aborted === true) throw aborted();
    };
    const prometheus = new PrometheusMetrics();
    // Engine events that only show as counters (a channel down / recovered, the outbox replay) get log lines here.
    const events = new EngineEventLog(options.metrics ? teeMetrics(prometheus, options.metrics) : prometheus, logger);
    const metrics: Metrics = events;

    // --- Clients (validated before any connection is opened) ---------------------------------------
    const clients = new Map<ChannelId, HttpChannelClient>();
    const observed = new Map<ChannelId, LagObservingClient>();
    const ingestChannels: IngestChannel[] = [];
    // Found eBay keys outlive the process in Redis (the epoch marker's client, connected below).
    let ebayKeyRedis: { readonly client: { hGet(key: string, field: string): Promise<unknown>; hSet(key: string, field: string, value: string): Promise<unknown> }; readonly key: string } | undefined;
    const ebayKeyStore = redisEbayKeyStore(() => ebayKeyRedis, () => systemClock.now());
    // Redis down: every notification naming a key not in memory would say so; once a minute is enough.
    let ebayKeyStoreWarnedAtMs = -Infinity;
    const warnEbayKeyStore = (channel: ChannelId, error: unknown): void => {
      const now = systemClock.now();
      if (now - ebayKeyStoreWarnedAtMs < 60_000) return;
      ebayKeyStoreWarnedAtMs = now;
      logger.warn({ channel, err: error }, "eBay keys in Redis could not be read or written: going on with the keys in memory and eBay's key API (logged at most once a minute)");
    };
    for (const entry of config.channels) {
      const id = entry.id ?? entry.kind;
      const { credentials, notificationSecret } = channelSecrets(entry, config.ingest);
      let client: HttpChannelClient;
      try {
        // The stand-in version header is for synclag's mocks (ground truth): on loopback *and* on their public test
        // credentials (`synclag run`, tests); never for a marketplace elsewhere, nor for a real shop behind a loopback tunnel.
        client = createChannelClient({ kind: entry.kind, channel: id, baseUrl: entry.baseUrl, credentials, sendVersionHeader: isMockChannel(entry, credentials) } as unknown as ChannelClientConfig);
      } catch (error) {
        await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
        throw failure("config", `channel ${id}`, error);
      }
      clients.set(id, client);
      observed.set(id, new LagObservingClient(client, systemClock, metrics));
      // eBay names its signing key by id on each (unauthenticated) request: looked up, cached (in Redis
      // too) and rate-limited per sender and overall by the resolver, so made-up ids can neither spend
      // the seller's API quota nor hold back the look-up of a genuine new key.
      const ebayKeys =
        entry.kind === "ebay" && notificationSecret === undefined
          ? new EbayKeyResolver({
              fetchKey: (keyId) => fetchEbayPublicKey({ baseUrl: entry.baseUrl, accessToken: credentials.accessToken ?? "", keyId }),
              nowMs: () => systemClock.now(),
              keyStore: ebayKeyStore,
              onKeyStoreError: (error) => warnEbayKeyStore(id, error),
            })
          : undefined;
      const publishRetryMs = publishRetryMsFor(entry.kind);
      ingestChannels.push({
        id,
        kind: entry.kind,
        secret: ebayKeys === undefined ? (notificationSecret ?? "") : (keyId, source) => ebayKeys.resolve(keyId, source),
        ...(entry.kind === "flipkart" && credentials.appId !== undefined ? { appId: credentials.appId } : {}),
        ...(publishRetryMs === undefined ? {} : { publishRetryMs }),
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
      checkAborted();
      const connecting = connectNats({
        // The servers and the credentials settings (nats.user / password / token / credsFile / nkeySeedFile).
        ...natsConnectOptions(config),
        name: "synclag-engine",
        timeoutMs: 5_000,
        // Disconnects, reconnects (with the downtime), lame duck, close: an operator sees each in the log.
        onStatus: (event) => logger[event.level]({ nats: event.type, server: event.server === undefined ? undefined : redactUrlCredentials(event.server), downMs: event.downMs, err: event.error }, event.message),
      });
      connection = await unlessAborted(connecting, (late) => late.close());
    } catch (error) {
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      if (isAborted(error)) throw error;
      // Credentials that cannot be used as given (two different sets, a password without a user, an
      // unreadable creds file): a configuration problem (exit 2), not an unreachable server.
      if (error instanceof NatsFeedError && error.reason === "invalid-options") throw failure("config", "nats", error);
      // nats-feed's message repeats the URL ("connecting to <url>: …"); its cause says what went wrong.
      const cause = error instanceof NatsFeedError && error.cause instanceof Error ? error.cause : error;
      throw failure("environment", `cannot connect to NATS at ${redactUrlCredentials(config.natsUrl)}`, error, redactedMessage(cause));
    }
    const closeEarly = async (): Promise<void> => {
      await within(2_000, "closing the NATS connection", connection.close()).catch(() => undefined);
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
    };
    try {
      const provisioned = await unlessAborted(provisionStreams(connection, { ...feedOptions, onMismatch: "update" }));
      logger.info({ serverVersion: provisioned.serverVersion, created: provisioned.created, updated: provisioned.updated }, "JetStream provisioned");
      checkAborted();
    } catch (error) {
      await closeEarly();
      if (isAborted(error)) throw error;
      throw failure("environment", `cannot provision the JetStream streams and consumer at ${redactUrlCredentials(config.natsUrl)}`, error);
    }
    // While connecting, the Redis client retries on its own until the store's connect timeout; its errors
    // (e.g. ECONNREFUSED) say what is wrong, the timeout does not — keep the last one for the message.
    let redisConnecting = true;
    let redisConnectErrors = 0;
    let lastRedisError: unknown;
    let store: RedisStockStore;
    try {
      const connecting = RedisStockStore.connect({
        url: config.redisUrl,
        keyPrefix: config.redis.keyPrefix,
        // Group commit sends at most one script call's worth of orders per gathered call (so a call refused
        // as a whole wrote nothing): the store's batch is the configured call size, or the setting above 100 would be 100.
        batchSize: config.redis.maxOrdersPerCall,
        onClientError: (error) => {
          if (redisConnecting) {
            redisConnectErrors += 1;
            lastRedisError = error;
          } else logger.warn({ err: error }, "redis client error");
        },
      });
      store = await unlessAborted(connecting, (late) => late.close());
    } catch (error) {
      await closeEarly();
      if (isAborted(error)) throw error;
      const where = `cannot connect to Redis at ${redactUrlCredentials(config.redisUrl)}`;
      if (lastRedisError === undefined) throw failure("environment", where, error);
      throw failure("environment", where, new Error(`${redactedMessage(lastRedisError)} (the last of ${redisConnectErrors} failed attempt${redisConnectErrors === 1 ? "" : "s"} before the connect timeout)`, { cause: error }));
    } finally {
      redisConnecting = false;
    }
    // The epoch marker (store-epoch.ts) needs a plain command; the store exposes none, so a small client
    // of its own on the same URL (credentials included). Its connection errors are the store client's too,
    // which logs them: not logged twice.
    const epochClient = createClient({ url: config.redisUrl, disableOfflineQueue: true, socket: { connectTimeout: 10_000 } });
    epochClient.on("error", () => undefined);
    const storeEpoch = new StoreEpoch({ client: epochClient, key: `${store.keys.keyspace}epoch`, skusKey: store.keys.skus, logger });
    try {
      await unlessAborted(within(10_000, "connecting to Redis (epoch marker)", epochClient.connect()));
      await unlessAborted(storeEpoch.establish());
      checkAborted();
      storeEpoch.watch();
      ebayKeyRedis = { client: epochClient, key: `${store.keys.keyspace}ebay-keys` };
    } catch (error) {
      epochClient.destroy();
      await store.close().catch(() => undefined);
      await closeEarly();
      if (isAborted(error)) throw error;
      throw failure("environment", `cannot use Redis at ${redactUrlCredentials(config.redisUrl)} (the store's epoch marker)`, error);
    }

    // --- Engine --------------------------------------------------------------------------------------
    const scheduler = new SystemScheduler();
    // A dead letter's channel: the configured channel its subject routes to, else its order id's
    // `<channel>:` prefix, else the subject's last token (every line about an order names its channel).
    const channelIds = config.channels.map((entry) => entry.id ?? entry.kind);
    const channelBySubject = new Map(channelIds.map((id) => [orderSubject(config.feed.subjectPrefix, id), id]));
    const channelOfDeadLetter = (notice: { readonly subject: string; readonly orderId?: string }): string =>
      channelBySubject.get(notice.subject) ??
      channelIds.find((id) => notice.orderId?.startsWith(`${id}:`) === true) ??
      notice.subject.slice(notice.subject.lastIndexOf(".") + 1);
    const feed = new JetStreamOrderFeed({
      connection,
      ...feedOptions,
      maxConcurrentHandlers: config.feed.maxConcurrentHandlers,
      metrics,
      stopTimeoutMs: stopStepBudgets(config).feedStopMs,
      onError: (error: NatsFeedError) => logger.warn({ reason: error.reason, err: error }, "order feed trouble"),
      // Dead letters the feed writes itself (undecodable, retries exhausted, max-deliver); the handler's
      // own refusals ("rejected") are already logged by the order path with their reason.
      onDeadLetter: (notice) => {
        if (notice.kind === "rejected") return;
        logger.warn({ orderId: notice.orderId, channel: channelOfDeadLetter(notice), kind: notice.kind, stream: notice.stream, subject: notice.subject, seq: notice.streamSequence, deliveries: notice.deliveryCount }, `order ${notice.orderId ?? "(unknown id)"} dead-lettered: ${notice.reason}`);
      },
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
    const groupStore = config.redis.maxOrdersPerCall > 1 ? new GroupCommitStockStore(store, { maxOrdersPerCall: config.redis.maxOrdersPerCall }) : store;
    // An unknown-SKU refusal while the store has lost its data is held (retried), never dead-lettered.
    const workerStore = new EpochGuardedStockStore(groupStore, storeEpoch);
    // Several instances: a push of this instance can land after another's newer one (push-verifier.ts).
    // Polling needs no such check: every poll reads the whole store again. It reads what the engine
    // pushes from — `engine.store`, which with bundles computes each bundle's level from its components
    // (the raw Redis store holds no bundle: a bundle's push would never be checked). Built before the
    // engine (its clients are wrapped), it reads only once attached to the engine's propagator.
    const pushVerifier: PushVerifier | undefined = config.verifyPushes && parsed.strategy.kind === "events" ? new PushVerifier({ store: { snapshot: (skus) => engine.store.snapshot(skus) }, metrics, logger }) : undefined;
    for (const entry of config.channels) {
      if (entry.mock !== true) continue;
      logger.warn({ channel: entry.id ?? entry.kind, baseUrl: entry.baseUrl }, `channel ${entry.id ?? entry.kind} is declared a mock marketplace (mock: true): the mocks' public test secrets are taken for it — anyone who reaches the ingest can sign its webhooks; never for a real shop`);
    }
    // Each process keeps its own token bucket and revision counters: with `replicas` processes each gets
    // its share of every channel's budget (config.ts, channelBudgetPerReplica), printed here.
    const budgets = new Map(config.channels.map((entry) => [entry.id ?? entry.kind, channelBudgetPerReplica(entry, config.replicas)]));
    logger.info(
      { replicas: config.replicas, channels: Object.fromEntries([...budgets].map(([id, b]) => [id, { ratePerSecond: b.rateLimit.ratePerSecond, burst: b.rateLimit.burst, revisionsPerSkuPerDay: b.revisionsPerSkuPerDay }])) },
      config.replicas === 1 ? "channel budgets (one replica: each channel's whole rate limit and revision budget)" : `channel budgets of this replica: each channel's rate limit and revision budget divided by replicas (${config.replicas})`,
    );
    for (const [id, b] of budgets) {
      if (b.roundedUp.length === 0) continue;
      const over = b.roundedUp.map((what) => (what === "burst" ? `a burst of ${b.rateLimit.burst} each, ${b.rateLimit.burst * config.replicas} together against ${b.whole.rateLimit.burst}` : `${b.revisionsPerSkuPerDay} revision${b.revisionsPerSkuPerDay === 1 ? "" : "s"} per listing per day each, ${b.revisionsPerSkuPerDay * config.replicas} together against ${b.whole.revisionsPerSkuPerDay}`));
      logger.warn({ channel: id, replicas: config.replicas, roundedUp: b.roundedUp }, `channel ${id}: its budget cannot be split among ${config.replicas} replicas (at least 1 each): ${over.join("; ")} — the replicas together may exceed the marketplace's limit; run fewer replicas`);
    }
    // The revision budget outlives the process: each revision charged (or given back) is counted in Redis,
    // one hash per (channel, UTC day) on the epoch marker's client — fire-and-forget, never waited for on
    // the push path — and a start takes the day's counts back before anything is sent (below). With
    // replicas the hash holds every replica's revisions: a restarted one takes back its expected part of
    // the total, ceil(total / replicas) (revision-take-back.ts), not the total against its own share.
    const revisionChannels = [...budgets].filter(([, b]) => b.revisionsPerSkuPerDay > 0).map(([id]) => id);
    let revisionLedgerWarnedAtMs = -Infinity;
    const revisionLedger =
      revisionChannels.length === 0
        ? undefined
        : new RevisionLedger({
            client: epochClient,
            keyPrefix: config.redis.keyPrefix,
            channels: revisionChannels,
            onError: (error) => {
              metrics.increment("revision_ledger_errors_total");
              const now = systemClock.now();
              if (now - revisionLedgerWarnedAtMs < 60_000) return;
              revisionLedgerWarnedAtMs = now;
              logger.warn({ err: error }, "revision budget: revisions spent could not be counted in Redis (sent again once it answers): a restart meanwhile may count a listing's revisions of today short (logged at most once a minute)");
            },
          });
    if (parsed.strategy.kind === "events" && config.reconcileInterval > 0) {
      const firstMs = reconcileFirstRoundAfterMs(config);
      logger.info({ firstRoundAfterMs: firstMs, intervalMs: config.reconcileInterval }, `reconciler: first round ${formatDuration(firstMs)} after the start, then every ${formatDuration(config.reconcileInterval)}`);
    }
    const engine: Engine = new Engine({
      store: workerStore,
      // Orders for a bundle are expanded into its components before the store (one Lua call for the
      // whole order); every stock read the engine pushes from gives the bundles' levels too.
      bundles: config.bundles,
      feed,
      channels: config.channels.map((entry) => {
        const id = entry.id ?? entry.kind;
        const client = observed.get(id) as LagObservingClient;
        return {
          client: pushVerifier ? pushVerifier.wrap(client) : client,
          rateLimit: (budgets.get(id) as ReturnType<typeof channelBudgetPerReplica>).rateLimit,
          ...(entry.policy ? { policy: entry.policy } : {}),
          ...(entry.maxInFlightCalls === undefined ? {} : { maxInFlightCalls: entry.maxInFlightCalls }),
          batchLingerMs: entry.batchLinger ?? DEFAULT_PROFILES[entry.kind].batchLingerMs ?? 0,
          revisionsPerSkuPerDay: (budgets.get(id) as ReturnType<typeof channelBudgetPerReplica>).revisionsPerSkuPerDay,
          ...(entry.lateLandingWindow === undefined ? {} : { lateLandingWindowMs: entry.lateLandingWindow }),
        };
      }),
      clock: systemClock,
      scheduler,
      random: systemRandom,
      metrics,
      strategy: parsed.strategy,
      reconcileIntervalMs: config.reconcileInterval,
      // Soon after the start, not an interval later: the round is what pushes the truth to a channel a
      // (rolling) restart added — the outbox replays only the pushes the previous process left unconfirmed.
      reconcileFirstRoundAfterMs: reconcileFirstRoundAfterMs(config),
      // A cancellation the marketplace refused for good is removed from the pending list: this line is its record.
      cancellations: {
        onRefused: (refusal) => logger.error(refusal, `cancellation of order ${refusal.orderId} refused for good by ${refusal.channel}: a person has to look`),
        onHeld: (held) => logger.warn(held, `cancellation of order ${held.orderId} refused by ${held.channel} (${held.message}): held until ${held.channel} confirms another cancellation, asked again meanwhile`),
        // An entry the channel keeps failing retryably: logged at 3 failures in a row, then each time the count doubles.
        onFailing: (failing) =>
          logger.warn(
            { ...failing, nextAttemptAt: new Date(failing.nextAttemptAtMs).toISOString() },
            `cancellation of order ${failing.orderId} failed ${failing.failures} times in a row at ${failing.channel} (${failing.reason}: ${failing.message})${failing.othersConfirmed ? `; ${failing.channel} cancelled other orders meanwhile, so it is about this order` : ""}: asked again at its own backoff, other cancellations go on`,
          ),
      },
      // Lines of an eBay order the engine had applied, given back because eBay cancelled the whole order (another line was oversold).
      onReleased: (released) => {
        for (const line of released) logger.info({ orderId: line.orderId, auditSeq: line.auditSeq, changes: line.changes }, `order ${line.orderId} given back: its marketplace cancelled the whole order it was a line of`);
      },
      onResult,
      ...(revisionLedger === undefined
        ? {}
        : {
            onRevisionSpent: (channel: ChannelId, sku: string, day: number) => revisionLedger.record(channel, sku, day, 1),
            onRevisionRefunded: (channel: ChannelId, sku: string, day: number) => revisionLedger.record(channel, sku, day, -1),
          }),
    });
    // A restore (store-epoch.ts) starts every restored SKU again at version 1, below what this engine
    // pushed before the loss: the propagator would take the restored quantities, the held orders applied
    // since and the reconciler's repairs for older than what the channels list, and push none of them.
    // So on adopting the restore (confirmed through this instance or another) it forgets every version —
    // the lag observers' owed versions too, or a pre-loss one would hold back every later count — then,
    // with events, pushes every SKU's current level and follows that push until no channel can be left
    // on a level older than the store's (pushRestoredStock: another instance pushes what it applies
    // meanwhile at once, this one's queued level could land after it); polling pushes them all on its
    // next poll, and any level that landed late on the poll after (every poll re-reads the store). The
    // epoch retries this while the first read fails (restarting the versions again drops nothing the
    // read after it does not carry); the follow-up stops on a newer restore, a new loss or shutdown.
    storeEpoch.onRestored(async (restore) => {
      engine.propagator.restartVersions();
      for (const client of observed.values()) client.forgetOwed();
      if (parsed.strategy.kind !== "events") {
        logger.info({ marker: restore.marker, how: restore.how, wasLost: restore.wasLost }, "stock restore adopted: the versions pushed before the loss are forgotten, the next poll pushes every SKU's restored quantity");
        return;
      }
      const { propagator } = engine;
      const push = await pushRestoredStock(
        // engine.store: with bundles, the catalogue read brings every bundle's restored level too.
        { snapshot: (skus) => engine.store.snapshot(skus), publish: (sku, level) => propagator.publish(sku, level), isSettled: (sku, version) => propagator.isSettled(sku, version), holdsVersion: (sku, version) => propagator.holdsVersion(sku, version) },
        { signal: restore.signal, logger },
      );
      logger.info({ marker: restore.marker, how: restore.how, wasLost: restore.wasLost, skus: push.skus }, "stock restore adopted: the versions pushed before the loss are forgotten, every SKU's restored quantity is being pushed to every channel");
    });

    // --- Ingest ------------------------------------------------------------------------------------
    const bundlesBySku = new Map(config.bundles.map((bundle) => [bundle.sku.normalize("NFC"), bundle]));
    const { streamName, consumerName, subjectPrefix } = config.feed;
    // The guard below checks reused order ids itself (content kept per id for the window): the publisher's
    // own check would re-send every identical retry of a consumed order under a content id.
    const publisher = new JetStreamOrderPublisher({ connection, streamName, subjectPrefix, checkDuplicates: false });
    const js = jetstream(connection);
    // JetStream's duplicate window drops a reused order id even when its lines differ: the guard sends
    // such an order to the store under its own message id (see order-id-guard.ts).
    const guard = new OrderIdGuard({
      publish: (event) => publisher.publish(event),
      publishAs: async (event, messageId) => {
        const ack = await js.publish(orderSubject(subjectPrefix, event.sourceChannel), encodeOrderEvent(event), { msgID: messageId, timeout: 5_000, expect: { streamName } });
        return { duplicate: ack.duplicate };
      },
      messageIdFor,
      rememberMs: resolveFeedOptions(feedOptions).duplicateWindowMs + 30_000,
      onRecheck: ({ orderId, channel, messageId, known, duplicate }) => {
        const line = { orderId, channel, messageId, duplicate };
        if (known) logger.warn(line, "order id reused with other lines inside JetStream's duplicate window: published under its own message id for the store to check (a conflict is refused and dead-lettered)");
        else if (logger.isLevelEnabled("debug")) logger.debug(line, "order id already in JetStream's duplicate window with content this process has not seen: published again for the store to check");
      },
    });
    // NATS answers and the orders stream is there: what storing a webhook needs (the ingest's readiness).
    const checkStream = async () => {
      const jsm = await jetstreamManager(connection);
      await jsm.streams.info(streamName).catch((error: unknown) => {
        throw apiCode(error) === 10059 ? new Error(`stream ${streamName} not found: orders cannot be stored until it is provisioned again (restart the engine if it does not come back)`) : error;
      });
      return jsm;
    };
    // The webhook load balancer's probe (`/readyz/ingest`): ready whenever a webhook can be stored in
    // JetStream, whatever Redis does — orders wait in the stream through a Redis outage or a store data
    // loss, while an instance taken out of the balancer loses WooCommerce's (it never redelivers).
    const ingestReadiness = async (): Promise<Record<string, { ok: boolean; detail: string }>> => {
      const nats = await within(2_000, "NATS check", checkStream())
        .then(() => ({ ok: true, detail: `stream ${streamName} present: webhooks are stored in it (the store's state does not matter to the ingest: orders wait in the stream)` }))
        .catch((error: unknown) => ({ ok: false, detail: redactedMessage(error) }));
      return { nats };
    };
    const readiness = async (): Promise<Record<string, { ok: boolean; detail: string }>> => {
      const checkNats = async (): Promise<void> => {
        const jsm = await checkStream();
        // The stream alone is not enough: without the durable consumer the engine consumes nothing.
        await jsm.consumers.info(streamName, consumerName).catch((error: unknown) => {
          throw apiCode(error) === 10014 ? new Error(`consumer ${consumerName} of stream ${streamName} not found: the engine cannot consume orders until it is provisioned again (restart the engine if it does not come back)`) : error;
        });
        // Present is not enough either: a consumer whose settings refuse the feed's pulls (or deliver no
        // bodies) consumes nothing. The feed re-checks it every few seconds and clears this once fixed.
        const problem = feed.consumerProblem();
        if (problem) {
          const oneLine = problem.message.replace(/([:.]?)\s*\n\s*/g, (_, end: string) => (end ? `${end} ` : "; "));
          throw new Error(`consumer ${consumerName} of stream ${streamName} cannot be consumed (fix its settings on the server, or delete it: the engine re-creates it): ${oneLine}`);
        }
      };
      const nats = await within(2_000, "NATS check", checkNats())
        .then(() => ({ ok: true, detail: `stream ${streamName} and consumer ${consumerName} present` }))
        .catch((error: unknown) => ({ ok: false, detail: redactedMessage(error) }));
      const redis = await within(2_000, "Redis check", store.snapshot(["__synclag_readyz__"]))
        .then(() => ({ ok: true, detail: "reachable; read script runs" }))
        .catch((error: unknown) => ({ ok: false, detail: redactedMessage(error) }));
      // The data itself: the store's epoch marker is the one this engine started with (or a confirmed restore).
      const stock = await within(2_000, "stock check", storeEpoch.verify())
        .then((ok) => (ok ? { ok: true, detail: "the store's epoch marker is in place" } : { ok: false, detail: `${STORE_LOST_MESSAGE}: ${STORE_RESTORE_ACTION}` }))
        .catch((error: unknown) => ({ ok: false, detail: `cannot read the store's epoch marker: ${redactedMessage(error)}` }));
      return { nats, redis, stock };
    };
    const stopEarly = async (): Promise<void> => {
      await engine.stop().catch(() => undefined);
      revisionLedger?.close();
      scheduler.clearAll();
      pushVerifier?.stop();
      storeEpoch.stopWatching();
      epochClient.destroy();
      await store.close().catch(() => undefined);
      await closeEarly();
    };
    // Before the start: the outbox replay's pushes are verified too.
    pushVerifier?.attach(engine.propagator);
    // Today's revision counts, taken back before the first push (the outbox replay's included). Bounded: a
    // Redis that does not answer costs the start 5 s and a warning, not the start itself — the budget then
    // counts from 0 again, as it did before the ledger.
    const takeBackRevisions = async (): Promise<void> => {
      if (revisionLedger === undefined) return;
      const day = Math.floor(systemClock.now() / 86_400_000);
      try {
        const counts = await unlessAborted(within(5_000, "reading today's revision counts", revisionLedger.load(day)));
        // Each count is every replica's: this one takes back ceil(count / replicas) of it.
        const perChannel = takeBackRevisionCounts(engine.propagator, counts, day, config.replicas);
        logger.info({ day, listings: counts.length, channels: perChannel, replicas: config.replicas }, config.replicas === 1 ? "revision budget: today's revision counts taken back from Redis (listings revised today go on from their count)" : `revision budget: today's revision counts taken back from Redis (listings revised today go on from their count: each listing's count of all replicas divided by replicas (${config.replicas}), rounded up)`);
      } catch (error) {
        if (isAborted(error)) throw error;
        logger.warn({ day, err: error }, "revision budget: today's revision counts could not be read from Redis: every listing's budget counts from 0 again (a listing revised before this start may reach the marketplace's daily cap)");
      }
    };
    try {
      await takeBackRevisions();
      // Not cut short: the outbox replay and the first pull settle, then a stop asked for meanwhile stops them.
      await engine.start();
      checkAborted();
    } catch (error) {
      await stopEarly();
      if (isAborted(error)) throw error;
      throw failure("environment", "cannot start the engine", error);
    }
    if (parsed.strategy.kind === "events") logger.info({ entries: events.outboxReplayed }, "outbox replayed: pushes a previous process had not confirmed");
    // Redis down (or a flood of Flipkart notifications): every notification would say so; once a minute is enough.
    const onceAMinute = (message: string): ((fields: Record<string, unknown>) => void) => {
      let warnedAtMs = -Infinity;
      return (fields) => {
        const now = systemClock.now();
        if (now - warnedAtMs < 60_000) return;
        warnedAtMs = now;
        logger.warn(fields, message);
      };
    };
    const warnSignatureStore = onceAMinute("Flipkart signatures seen could not be shared in Redis: this instance's own memory decides alone meanwhile — a captured delivery's headers sent to another instance are not recognised (logged at most once a minute)");
    const warnSignatureEvicted = onceAMinute("more Flipkart signatures seen within their validity than this instance remembers: the oldest were forgotten (Redis still has them) (logged at most once a minute)");
    let ingest: RunningIngestServer;
    try {
      const listening = startIngestServer({
        host: config.ingest.host,
        port: config.ingest.port,
        maxBodyBytes: config.ingest.maxBodyBytes,
        ...(config.ingest.publicUrl === undefined ? {} : { publicUrl: config.ingest.publicUrl }),
        trustForwardedHeaders: config.ingest.trustForwardedHeaders,
        // Replay protection: no order older than the store can deduplicate (its idempotency TTL less a
        // margin), and Flipkart's signatures, which do not cover the body, shared with the other replicas in Redis.
        orderTimeLimits: orderTimeLimits(store.idempotencyTtlMs),
        signatureReplayGuard: new SignatureReplayGuard({
          newClaimsForMs: SIGNATURE_NEW_CLAIMS_MS,
          store: redisSignatureClaimStore(() => epochClient, `${store.keys.keyspace}signatures:`),
          onStoreError: (error) => warnSignatureStore({ err: error }),
          onEvicted: () => warnSignatureEvicted({}),
        }),
        // Admin routes: the token when given (else loopback peers only); connections: idle ones closed, a cap.
        ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
        ...(config.ingest.maxConnections === undefined ? {} : { maxConnections: config.ingest.maxConnections }),
        ...(config.ingest.idleTimeout === undefined ? {} : { idleTimeoutMs: config.ingest.idleTimeout }),
        channels: ingestChannels,
        publish: (event) => guard.publish(event),
        metrics,
        logger,
        renderMetrics: async () => ({ contentType: prometheus.contentType, body: await prometheus.render() }),
        // A bundle holds no stock of its own: refused with the request's other items checked, none applied.
        stockItemProblem: (sku) => {
          const bundle = bundlesBySku.get(sku);
          return bundle === undefined ? undefined : `${JSON.stringify(bundle.sku)} is a bundle: it holds no stock of its own; set or restock its components (${bundle.components.map((c) => c.sku).join(", ")})`;
        },
        adjustStock: async (input) => {
          const result = await engine.adjustStock(input);
          return result.kind === "changed" ? { ok: true, detail: result.change } : { ok: false, detail: result.problems };
        },
        confirmStockRestored: async () => {
          try {
            const outcome = await storeEpoch.confirmRestored();
            if (outcome.outcome === "no_stock") return { status: 409, body: { error: "no_stock", message: "the store holds no SKU: restore the stock with POST /admin/stock first, then confirm" } };
            if (outcome.outcome === "not_lost") {
              // Safe to re-send: a confirmation with no loss behind it writes no marker, so no instance
              // forgets its versions, drops its queued updates or pushes the catalogue again.
              const since = outcome.since === "restore" ? "since the last confirmed restore (this confirmation repeats it)" : "since the engines started on it";
              const next = `nothing to do: the store did not lose its data ${since} — no restore recorded, no engine instance forgets its versions or pushes the catalogue again. After a real loss (/readyz: checks.stock says the store lost its data) restore the stock with POST /admin/stock, then confirm`;
              logger.info({ skus: outcome.skus, since: outcome.since }, "stock restore confirmation ignored: the store did not lose its data");
              return { status: 200, body: { restored: false, skus: outcome.skus, wasLost: false, next } };
            }
            // What happens now, without restarting anything (storeEpoch.onRestored above; docs: Store data loss).
            const push =
              parsed.strategy.kind === "events"
                ? "pushes every SKU's restored quantity to every channel, then pushes again any SKU whose quantity changed before that push landed"
                : "pushes every SKU's restored quantity to every channel on its next poll";
            const next = `nothing to restart: each engine instance, on adopting this restore (this one now, the others at their next check of the store's marker, once a second), forgets the versions it pushed before the loss (restored SKUs start again at version 1) and ${push}; held orders are applied and pushed as they are redelivered`;
            logger.info({ skus: outcome.skus, wasLost: outcome.wasLost, next }, "stock restore confirmed over the admin API");
            return { status: 200, body: { restored: true, skus: outcome.skus, wasLost: outcome.wasLost, next } };
          } catch (error) {
            logger.error({ err: error }, "confirming the stock restore failed");
            return { status: 503, body: { error: "store_unavailable", message: redactedMessage(error) } };
          }
        },
        readiness,
        ingestReadiness,
        // Bounded: a client stalled mid-upload must not eat the whole shutdown deadline.
        drainTimeoutMs: stopStepBudgets(config).ingestDrainMs,
      });
      ingest = await unlessAborted(listening, (late) => late.close());
    } catch (error) {
      await stopEarly();
      if (isAborted(error)) throw error;
      const where = `${config.ingest.host}:${config.ingest.port}`;
      if ((error as { code?: unknown }).code === "EADDRINUSE") throw failure("environment", `cannot listen on ${where}: the port is already in use (another engine running? choose another with --port)`, error);
      throw failure("environment", `cannot listen on ${where}`, error);
    }
    const service = new EngineService(config, logger, connection, store, engine, clients, prometheus, ingest, scheduler, storeEpoch, epochClient, pushVerifier, revisionLedger);
    if (signal?.aborted === true) {
      // Started after all, but a stop was asked for meanwhile: the caller gets no service to stop itself.
      // No drain window: it was never announced ready.
      await service.stopOnce(false).catch(() => undefined);
      throw aborted();
    }
    logger.info({ url: ingest.url, strategy: config.strategy, channels: [...clients.keys()] }, "engine ready");
    if (config.shutdownDelay === 0 && !isLoopbackHost(config.ingest.host)) {
      logger.info({ shutdownDelayMs: 0 }, "shutdownDelay is 0: on SIGTERM the listener closes at once — behind a load balancer, set shutdownDelay to the time it takes to stop routing here, or the webhooks it still sends are refused (docs/engine-service.md, \"Running it as a service\")");
    }
    return service;
  }

  /** Graceful stop under `config.shutdownTimeout`; rejects with `ServiceError("shutdown")` when the deadline passes. */
  stop(): Promise<void> {
    return this.stopOnce(true);
  }

  /** The one stop; `drainWindow`: begin with the `shutdownDelay` window (not for a start that was aborted). */
  private stopOnce(drainWindow: boolean): Promise<void> {
    this.stopping ??= within(this.config.shutdownTimeout, "graceful shutdown", this.shutdown(drainWindow));
    return this.stopping;
  }

  private async shutdown(drainWindow: boolean): Promise<void> {
    const delayMs = drainWindow ? this.config.shutdownDelay : 0;
    if (delayMs > 0) {
      // A balancer drops this endpoint asynchronously (Kubernetes: at the same time as the SIGTERM): until
      // it has, webhooks still come here, and a closed port would lose WooCommerce's. Not cut short.
      this.ingest.markShuttingDown();
      this.logger.info({ shutdownDelayMs: delayMs }, `stopping: readiness answers 503, webhooks are still taken for ${formatDuration(delayMs)} (shutdownDelay) so a load balancer stops routing here, then the ingest closes`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    const budgets = stopStepBudgets(this.config);
    this.logger.info("stopping: ingest");
    await this.step("ingest", budgets.ingestStepMs, () => this.ingest.close());
    this.logger.info("stopping: engine (in-flight orders finish and are acked)");
    await this.step("engine", budgets.engineStepMs, () => this.engine.stop());
    this.scheduler.clearAll();
    // Before the store closes: a verification read cut short by it is no store failure.
    this.pushVerifier?.stop();
    // The revision ledger's last counts go out meanwhile, on the marker's client (destroyed just after).
    await this.step("channel clients", budgets.closeStepMs, () => Promise.all([...[...this.clients.values()].map((client) => client.close().catch(() => undefined)), this.revisionLedger?.flush()]));
    this.revisionLedger?.close();
    // Nothing of value is in flight on the marker's client once the engine stopped: destroyed, never
    // waited for — and before the store's close, which could hang on a silent Redis.
    this.storeEpoch.stopWatching();
    this.epochClient.destroy();
    await this.step("Redis", budgets.closeStepMs, () => this.store.close());
    const drained = await this.step("NATS (drain)", budgets.closeStepMs, () => this.connection.drain());
    if (!drained) await this.step("NATS (close)", budgets.closeStepMs, () => this.connection.close());
    this.logger.info("stopped");
  }

  /**
   * One stop step under its own budget: true when it finished. One that failed or overran is logged and
   * left behind (the process exits anyway; unacked orders are redelivered, the outbox replays pushes).
   */
  private async step(what: string, budgetMs: number, run: () => Promise<unknown>): Promise<boolean> {
    const startedAtMs = Date.now();
    try {
      await within(budgetMs, `stopping: ${what}`, run());
      return true;
    } catch (error) {
      this.logger.warn({ step: what, budgetMs, tookMs: Date.now() - startedAtMs, err: error }, `stopping: ${what} did not finish within its ${budgetMs} ms (a dependency not answering?): going on with the next step`);
      return false;
    }
  }
}
