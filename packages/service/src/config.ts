// The engine service's configuration: defaults ← a JSON/YAML file ← `SYNCLAG_*` environment ← flags,
// validated with zod in one pass (every problem reported at once), and printed at start with secrets
// redacted. Easy to get wrong: redaction must be by *key name* and inside URLs (a `redis://:pw@host`
// password is a secret too) — never by listing known secret fields, which misses the next one added.
// And the mocks' test secrets are public (in this repository): they may fill in only for a channel on
// loopback behind an ingest on loopback that no proxy publishes — the notification secret only for one on
// the mocks' client credentials too — never for a real marketplace, whose webhooks anyone could then forge
// (a loopback base URL may be a tunnel or sidecar to one); written out by hand (copied from the docs) for
// a channel that is no mock, they are refused at start. Durations carry their unit: a bare `30` could
// be seconds or milliseconds.

import { readFileSync } from "node:fs";
import { YAMLError, parseDocument } from "yaml";
import { z } from "zod";
import { checkBundles, formatDuration, parseDuration, type BundleDefinition } from "@synclag/core";
import { DEFAULT_MOCK_CREDENTIALS, isLoopback } from "@synclag/mock-marketplaces";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { NatsFeedError, natsAuthentication } from "@synclag/nats-feed";
import { DEFAULT_PARTITION, checkKeyspace } from "@synclag/redis-store";
import { parseStrategy } from "@synclag/sim";
import { ServiceError } from "./errors.js";
import { natsServers } from "./config-helpers.js";
import { redactChannelSpec, redactUrlCredentials, redactUrlValue } from "./redact.js";

/**
 * A duration: text with its unit ("500ms", "30s", "15m"), or "0" alone. A bare number in text is refused
 * (is `SYNCLAG_SHUTDOWN_TIMEOUT=30` 30 s or 30 ms?). A JSON number is milliseconds — the typed API's form
 * (`serviceConfigSchema.parse({ shutdownTimeout: 3_000 })`); `loadServiceConfig` refuses numbers from a
 * file for the same reason it refuses bare text (`DURATION_PATHS`).
 */
const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value;
  const text = value.trim();
  if (text === "0") return 0;
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} has no unit: write e.g. ${text}s or ${text}ms` });
    return z.NEVER;
  }
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a duration (use e.g. 500ms, 30s, 15m)` });
    return z.NEVER;
  }
  return ms;
});

/** Where durations sit in the configuration (`*` = every item of a list): a number there in a file has no unit. */
const DURATION_PATHS: readonly (readonly string[])[] = [["reconcileInterval"], ["reconcileFirstRoundAfter"], ["shutdownTimeout"], ["shutdownDelay"], ["feed", "ackWait"], ["channels", "*", "batchLinger"], ["channels", "*", "lateLandingWindow"], ["ingest", "idleTimeout"]];

// Defined in the light entry (config-helpers.ts: the CLI checks flags with it without loading the service); exported here as before.
export { natsServers };

const NATS_PROTOCOLS = ["nats:", "tls:"];

/**
 * A tab or line break inside a URL (not at its ends, which the parser trims): the URL parser drops it
 * wherever it is, so a password holding one would not be the password sent — and text redaction, which
 * ends a URL at a line break, could not find the whole user info. A space is fine: node-redis and
 * nats-feed read it as typed (percent-encoded by the parser, decoded again).
 */
function holdsDroppedCharacters(url: string): boolean {
  return /[\t\r\n]/.test(url.trim());
}
const DROPPED_CHARACTERS = "holds a tab or line break, which URL parsers drop (the password sent would not be the one typed): remove it, or percent-encode it (%09, %0A, %0D)";

// Not ws:/wss:: the Node transport of nats.js refuses websocket URLs at connect.
const natsServerList = z.string().superRefine((text, ctx) => {
  const servers = natsServers(text);
  if (servers.includes("")) ctx.addIssue({ code: "custom", message: "an empty entry in the server list (servers are separated by single commas)" });
  servers.forEach((server, index) => {
    if (holdsDroppedCharacters(server)) ctx.addIssue({ code: "custom", message: servers.length > 1 ? `server ${index + 1} ${DROPPED_CHARACTERS}` : DROPPED_CHARACTERS });
  });
  for (const server of servers) {
    if (server === "") continue;
    let protocol: string | undefined;
    try {
      protocol = new URL(server).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === undefined || !NATS_PROTOCOLS.includes(protocol)) {
      // The entry's own URL credentials are redacted by loadServiceConfig's last pass over every problem.
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(server)} must be a nats:// or tls:// URL (one server, or several separated by commas)` });
    }
  }
  // The URLs' own credentials, as connecting will read them (servers of one list with different
  // credentials, bad percent-encoding): a configuration problem, not a failure to connect later.
  if (!servers.includes("")) {
    try {
      natsAuthentication({ servers });
    } catch (error) {
      if (!(error instanceof NatsFeedError) || error.reason !== "invalid-options") throw error;
      ctx.addIssue({ code: "custom", message: error.message });
    }
  }
});

// The one strategy parser (1 s polling minimum): what passes here is what the engine runs.
const strategy = z.string().superRefine((text, ctx) => {
  const parsed = parseStrategy(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.map((p) => p.replace(":", "://")).join(" or ")} URL` },
  );

/**
 * An http(s) base URL with no query, fragment or credentials (a path prefix is fine). Surrounding
 * whitespace (an env file, a YAML value) is trimmed: `new URL` would ignore it, but the text is what
 * the signature URL is built from.
 */
const publicBaseUrl = z.string().trim().pipe(url(["http:", "https:"])).superRefine((text, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return; // reported by `url`
  }
  if (parsed.search !== "" || parsed.hash !== "" || text.includes("?") || text.includes("#")) ctx.addIssue({ code: "custom", message: "must have no query or fragment: the notification path is appended to it" });
  if (parsed.username !== "" || parsed.password !== "") ctx.addIssue({ code: "custom", message: "must not carry credentials" });
});

/**
 * `bundles`: bundle SKUs sold out of component SKUs (`[{ sku, components: [{ sku, quantity }] }]`), checked
 * with the engine's own rules (`checkBundles`: SKUs an order can carry, a bundle defined once in any
 * Unicode spelling, at least one component, whole units 1…1,000,000,000, no bundle as a component) in the
 * same pass as the entries' shape, so every problem is listed at once with its path
 * (`bundles.2.components.0.quantity`). SKUs come out in NFC, as the stores compare them.
 */
const bundleList = z.array(z.unknown()).transform((entries, ctx): BundleDefinition[] => {
  const issue = (path: readonly (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: [...path], message });
  /** Paths (`.1`, `.0.components.2`) of entries not shaped so that checkBundles can read them: reported here only. */
  const unreadable: string[] = [];
  const readable = entries.map((entry, index) => {
    if (!isRecord(entry)) {
      issue([index], `must be a bundle { sku, components: [{ sku, quantity }] }, got ${JSON.stringify(entry) ?? String(entry)}`);
      unreadable.push(`.${index}`);
      return { sku: "", components: [] };
    }
    for (const key of Object.keys(entry)) if (key !== "sku" && key !== "components") issue([index, key], `unknown key ${JSON.stringify(key)} (a bundle has sku and components)`);
    if (entry.components !== undefined && !Array.isArray(entry.components)) {
      issue([index, "components"], "must be a list of components [{ sku, quantity }]");
      unreadable.push(`.${index}.components`);
      return { sku: entry.sku, components: [] };
    }
    const components = ((entry.components ?? []) as unknown[]).map((component, c) => {
      if (!isRecord(component)) {
        issue([index, "components", c], `must be a component { sku, quantity }, got ${JSON.stringify(component) ?? String(component)}`);
        unreadable.push(`.${index}.components.${c}`);
        return { sku: "", quantity: 1 };
      }
      for (const key of Object.keys(component)) if (key !== "sku" && key !== "quantity") issue([index, "components", c, key], `unknown key ${JSON.stringify(key)} (a component has sku and quantity)`);
      return component;
    });
    return { sku: entry.sku, components };
  }) as unknown as BundleDefinition[];
  for (const problem of checkBundles(readable, "")) {
    if (unreadable.some((prefix) => problem.path === prefix || problem.path.startsWith(`${prefix}.`))) continue;
    issue(problem.path.split(".").slice(1).map((part) => (/^\d+$/.test(part) ? Number(part) : part)), problem.message);
  }
  // SKUs as every store compares them (NFC): a definition copied from a macOS file name is the SKU orders name.
  const nfc = (sku: unknown) => (typeof sku === "string" ? sku.normalize("NFC") : sku) as string;
  return readable.map((bundle) => ({ sku: nfc(bundle.sku), components: bundle.components.map((c) => ({ sku: nfc(c.sku), quantity: c.quantity })) }));
});

/**
 * A secret or credential: not empty, and not only whitespace either (an env file's `SECRET= `, a Secret
 * holding a line break) — an HMAC keyed with " " verifies what anyone signs, and a blank token fails
 * only later, at the server or the marketplace. Kept as given otherwise (a secret may hold spaces).
 */
const secretText = z.string().refine((text) => text.trim() !== "", "must not be empty or only whitespace");

/**
 * NATS credentials as settings of their own, for a secret kept out of the URL (a Kubernetes Secret in
 * SYNCLAG_NATS_PASSWORD, a mounted creds file). One way at a time; credentials in `natsUrl`'s user info
 * must be the same ones (nats-feed's connectNats refuses two different sets). Secrets are redacted from
 * the printed configuration by key name (user, password, token); file paths are printed.
 */
const natsCredentials = z
  .strictObject({
    /** User name (nats-server --user or an authorization block), with `password`. */
    user: secretText.optional(),
    password: z.string().optional(),
    /** Token (nats-server --auth). */
    token: secretText.optional(),
    /** A NATS credentials file (user JWT + NKey seed, as `nsc generate creds` writes it), read at every (re)connect. */
    credsFile: z.string().min(1, "must not be empty").optional(),
    /** A file holding the user's NKey seed (`SU…`), read at every (re)connect. */
    nkeySeedFile: z.string().min(1, "must not be empty").optional(),
  })
  .superRefine((nats, ctx) => {
    if (nats.password !== undefined && nats.user === undefined) ctx.addIssue({ code: "custom", path: ["password"], message: "a password needs a user (nats.user, SYNCLAG_NATS_USER); a token goes in nats.token" });
    const ways = [
      nats.user !== undefined ? "a user and password (user)" : undefined,
      nats.token !== undefined ? "a token (token)" : undefined,
      nats.credsFile !== undefined ? "a credentials file (credsFile)" : undefined,
      nats.nkeySeedFile !== undefined ? "an NKey seed file (nkeySeedFile)" : undefined,
    ].filter((way) => way !== undefined);
    if (ways.length > 1) ctx.addIssue({ code: "custom", message: `${ways.join(", ")}: give one way of authenticating to NATS` });
  });

/** What nats-feed's connectNats needs to connect as the configuration says: the server list and the credentials settings. */
export function natsConnectOptions(config: Pick<ServiceConfig, "natsUrl" | "nats">): {
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
} {
  const { user, password, token, credsFile, nkeySeedFile } = config.nats;
  return {
    servers: natsServers(config.natsUrl),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { pass: password }),
    ...(token === undefined ? {} : { token }),
    ...(credsFile === undefined ? {} : { credsFile }),
    ...(nkeySeedFile === undefined ? {} : { nkeySeedFile }),
  };
}

/** The ingest's listen host by default: loopback (its admin routes have no auth). */
const DEFAULT_INGEST_HOST = "127.0.0.1";

/** Most engine processes `replicas` may name (see the schema's message). */
const MAX_REPLICAS = 100;

/** The reconciler's first round after start, by default: at most this long (`reconcileFirstRoundAfterMs`). */
const DEFAULT_FIRST_ROUND_AFTER_MS = 30_000;

/**
 * When the reconciler's first round runs after the start (ms): the configured delay, else the interval
 * but 30 s at most. 30 s lets the outbox replay and the first orders settle (pairs with a push in flight
 * are skipped anyway) and is short against the 15 min a channel added by a restart otherwise waits.
 */
export function reconcileFirstRoundAfterMs(config: Pick<ServiceConfig, "reconcileInterval" | "reconcileFirstRoundAfter">): number {
  return config.reconcileFirstRoundAfter ?? Math.min(config.reconcileInterval, DEFAULT_FIRST_ROUND_AFTER_MS);
}

/** Longest `channels[].lateLandingWindow`. */
const MAX_LATE_LANDING_WINDOW_MS = 3_600_000;

/** A channel's budget for one engine process: its update calls' token bucket and revisions per listing per day (0 = no budget). */
export interface ChannelBudget {
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly revisionsPerSkuPerDay: number;
}

/**
 * Easy to get wrong: the rate limit and the revision budget are the marketplace's, per seller account,
 * but each engine process keeps its own token bucket and revision counters. So each of `replicas`
 * processes gets the channel's budget (configured, else the marketplace profile's) divided by them: the
 * rate exactly, the burst and the revisions rounded down — but at least 1 (a replica with no burst could
 * never call; one with no revision could never update a listing). `whole` is the undivided budget;
 * `roundedUp` names the figures the "at least 1" took above their share (the replicas together may then
 * exceed the marketplace's limit for them). A static split: see docs/engine-service.md, "Several instances".
 */
export function channelBudgetPerReplica(entry: Pick<ChannelConfigEntry, "kind" | "rateLimit" | "revisionsPerSkuPerDay">, replicas: number): ChannelBudget & { readonly whole: ChannelBudget; readonly roundedUp: readonly ("burst" | "revisionsPerSkuPerDay")[] } {
  const profile = DEFAULT_PROFILES[entry.kind];
  const whole: ChannelBudget = { rateLimit: entry.rateLimit ?? profile.clientRateLimit, revisionsPerSkuPerDay: entry.revisionsPerSkuPerDay ?? profile.revisionsPerListingPerDay ?? 0 };
  const n = Math.max(1, Math.floor(replicas));
  const burst = Math.max(1, Math.floor(whole.rateLimit.burst / n));
  // 0 is "no budget" (synclag run, a marketplace without a cap): it stays 0.
  const revisions = whole.revisionsPerSkuPerDay === 0 ? 0 : Math.max(1, Math.floor(whole.revisionsPerSkuPerDay / n));
  const roundedUp: ("burst" | "revisionsPerSkuPerDay")[] = [];
  if (burst * n > whole.rateLimit.burst) roundedUp.push("burst");
  if (revisions * n > whole.revisionsPerSkuPerDay) roundedUp.push("revisionsPerSkuPerDay");
  return { rateLimit: { ratePerSecond: whole.rateLimit.ratePerSecond / n, burst }, revisionsPerSkuPerDay: revisions, whole, roundedUp };
}

const kind = z.enum(MARKETPLACE_KINDS as unknown as [MarketplaceKind, ...MarketplaceKind[]]);

const channelSchema = z.strictObject({
  /** Channel id (ingest path `/ingest/<id>`, order-id prefix). Default: the kind. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lower-case letters, digits, - and _ (≤ 64)").optional(),
  kind,
  /** Base URL of the marketplace's seller API (a mock's URL in tests). */
  baseUrl: url(["http:", "https:"]),
  /** API credentials for the client; for a mock (see `channelSecrets`) the mocks' test credentials fill in what is not given. */
  credentials: z.record(z.string(), secretText).optional(),
  /** Notification verification secret (HMAC secret, Flipkart app secret, eBay public key PEM); for a mock default: the mocks'. */
  notificationSecret: secretText.optional(),
  policy: z
    .strictObject({
      bufferUnits: z.number().int().nonnegative().optional(),
      allocationPercent: z.number().min(0).max(100).optional(),
      maxListed: z.number().int().nonnegative().optional(),
      zeroBelow: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** The engine's budget for this channel's update calls; default: the marketplace profile's documented limit. */
  rateLimit: z.strictObject({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }).optional(),
  /** Update calls in flight at once to this channel (the engine's default is 4). */
  maxInFlightCalls: z.number().int().min(1).max(256).optional(),
  /** Batch APIs: how long an update waits for others to fill its call; default: the marketplace profile's (0 = at once). */
  batchLinger: duration.optional(),
  /** Revisions the engine spends per listing per UTC day (eBay: 250); default: the marketplace's cap; 0 = no budget. */
  revisionsPerSkuPerDay: z.number().int().nonnegative().optional(),
  /**
   * `true`: this channel is one of synclag's mock marketplaces wherever it runs (another container): the
   * mocks' public values written out for it are taken (they are refused for a channel that is no mock).
   * Off loopback nothing of the mocks' is filled in: give them. Anyone who reaches the ingest can then sign
   * its webhooks: a demo's setting, logged as a warning at start.
   */
  mock: z.literal(true).optional(),
  /**
   * The propagator's late-landing window (`lateLandingWindowMs`): after an update's outcome turned out
   * unknown (a timeout, a broken connection) its request may still land; when a newer version went out
   * meanwhile, the latest is pushed once more at the window's end. Default: the engine's (30s); 0 = no re-push.
   */
  lateLandingWindow: duration.refine((ms) => ms <= MAX_LATE_LANDING_WINDOW_MS, `must be at most ${formatDuration(MAX_LATE_LANDING_WINDOW_MS)}: a request is served within its deadline (tens of seconds) or not at all, a longer window only delays the re-push, and what lands later is the reconciler's`).optional(),
});

export const serviceConfigSchema = z.strictObject({
  /** One NATS server, or several separated by commas (cluster seeds). */
  natsUrl: natsServerList.default("nats://127.0.0.1:4222"),
  /** NATS credentials other than in the URL (see `natsCredentials`). */
  nats: natsCredentials.default({}),
  redisUrl: url(["redis:", "rediss:"])
    .refine((text) => !holdsDroppedCharacters(text), DROPPED_CHARACTERS)
    .default("redis://127.0.0.1:6379"),
  strategy: strategy.default("events"),
  ingest: z
    .strictObject({
      host: z.string().min(1).default(DEFAULT_INGEST_HOST),
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Largest notification body accepted (bytes). */
      maxBodyBytes: z.number().int().positive().default(256 * 1024),
      /**
       * The base URL marketplaces are given for this gateway when a proxy stands in front of it (e.g.
       * `https://hooks.example.com`): Flipkart signs the URL it calls, and that is checked as
       * `<publicUrl>/ingest/<channel>`. Absent: the URL is rebuilt from the request.
       */
      publicUrl: publicBaseUrl.optional(),
      /** Without `publicUrl`, rebuild the called URL from X-Forwarded-Proto / X-Forwarded-Host — only behind a proxy that sets them. */
      trustForwardedHeaders: z.boolean({ error: "must be true or false" }).default(false),
      /** Most connections open at once (more are closed at once, counted and logged). Default: 1,000, or half the open-file limit when lower. */
      maxConnections: z.number().int().min(1).max(1_000_000).optional(),
      /** How long a connection may stay open with no request in progress (before its first, between kept-alive ones). Default 5 s. */
      idleTimeout: duration.refine((ms) => ms > 0, "must be more than 0 (a connection must be closed some time)").optional(),
    })
    .default({ host: DEFAULT_INGEST_HOST, port: 8080, maxBodyBytes: 256 * 1024, trustForwardedHeaders: false }),
  channels: z.array(channelSchema).default([]),
  /**
   * The bearer token the admin routes (`/admin/*`) require (`Authorization: Bearer <token>`), from any
   * peer; without one they answer loopback peers only. Surrounding whitespace is trimmed (a Secret's
   * trailing line break); at least 16 visible ASCII characters, no spaces (e.g. `openssl rand -hex 32`).
   */
  adminToken: z
    .string()
    .trim()
    .refine((text) => /^[\x21-\x7e]{16,}$/.test(text), "must be at least 16 visible ASCII characters with no spaces, e.g. from `openssl rand -hex 32`")
    .optional(),
  /** Bundles sold out of component SKUs (no stock of their own); see `bundleList`. */
  bundles: bundleList.default([]),
  reconcileInterval: duration.default(900_000),
  /**
   * Events: how long after the start the reconciler's first round runs (then every `reconcileInterval`).
   * Default: `reconcileInterval`, but 30 s at most (`reconcileFirstRoundAfterMs`) — after a (rolling) restart
   * that added a channel, that round is what pushes the truth to it. No longer than the interval.
   */
  reconcileFirstRoundAfter: duration.optional(),
  /**
   * How many engine processes run on this consumer and store (the Deployment's replicas). Each channel's
   * `rateLimit` (default or configured) and `revisionsPerSkuPerDay` are divided by it
   * (`channelBudgetPerReplica`), so the replicas together stay within the marketplace's limits.
   */
  replicas: z
    .number({ error: (issue) => `must be a whole number of engine processes from 1 to ${MAX_REPLICAS}, got ${JSON.stringify(issue.input)}` })
    .superRefine((n, ctx) => {
      if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) ctx.addIssue({ code: "custom", message: `must be a whole number of engine processes from 1 to ${MAX_REPLICAS}, got ${n}${n > MAX_REPLICAS ? " (beyond that each one's share of a channel's budget is too thin to use: Amazon's 5 calls/s would leave each less than one call every 20 s)" : ""}` });
    })
    .default(1),
  feed: z
    .strictObject({
      streamName: z.string().regex(/^[A-Za-z0-9_-]+$/).default("ORDERS"),
      subjectPrefix: z.string().regex(/^[a-z0-9_.-]+$/).default("synclag.orders"),
      deadLetterStreamName: z.string().regex(/^[A-Za-z0-9_-]+$/).default("ORDERS_DLQ"),
      deadLetterSubjectPrefix: z.string().regex(/^[a-z0-9_.-]+$/).default("synclag.dlq"),
      consumerName: z.string().regex(/^[A-Za-z0-9_-]+$/).default("engine"),
      maxConcurrentHandlers: z.number().int().positive().max(4096).default(64),
      /** How long JetStream waits for an order's ack before redelivering it: 0 would redeliver every order at once. */
      ackWait: duration.refine((ms) => ms > 0, "must be more than 0 (how long JetStream waits for an order's ack before redelivering it), e.g. 30s").default(30_000),
    })
    .default({ streamName: "ORDERS", subjectPrefix: "synclag.orders", deadLetterStreamName: "ORDERS_DLQ", deadLetterSubjectPrefix: "synclag.dlq", consumerName: "engine", maxConcurrentHandlers: 64, ackWait: 30_000 }),
  redis: z
    .strictObject({
      // The store's own rule (braces, control characters), so a bad prefix is a configuration error
      // listed with the others, not a failure once connected. The engine uses the default partition.
      keyPrefix: z
        .string()
        .superRefine((prefix, ctx) => {
          const problem = checkKeyspace(prefix, DEFAULT_PARTITION);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .default("synclag:"),
      /** Group commit: orders handled at once are applied in one script call of at most this many (1 = one call per order). */
      maxOrdersPerCall: z.number().int().min(1).max(1000).default(100),
    })
    .default({ keyPrefix: "synclag:", maxOrdersPerCall: 100 }),
  /**
   * Events strategy: after a channel confirms a push call, read the store for the call's SKUs (one read
   * per call) and push again any that moved past what this instance has for the channel — the level
   * another instance pushed first can otherwise be overwritten by this one's older level, until the
   * reconciler's next round. Off by default: one instance gains nothing and pays a Redis read per push
   * call (in the engine benchmark ~16 µs more Redis CPU per order); turn it on with several instances.
   */
  verifyPushes: z.boolean({ error: "must be true or false" }).default(false),
  /** Longest graceful shutdown before the process exits anyway. */
  shutdownTimeout: duration.refine((ms) => ms > 0, "must be more than 0 (the longest wait for in-flight orders before exiting)").default(15_000),
  /**
   * The drain window of a stop, inside `shutdownTimeout`: on SIGTERM/SIGINT both readiness probes answer
   * 503 for this long while webhooks are still taken — a load balancer drops the endpoint asynchronously,
   * and what it routes here meanwhile would otherwise hit a closed port (WooCommerce never redelivers) —
   * then the stop runs as without it, its steps sharing what is left of the deadline. Default 0: one
   * instance with no balancer in front (systemd, `synclag run`, tests) gains nothing from it; behind a
   * balancer set it to the time that balancer takes to stop routing to an endpoint (docs/engine-service.md).
   */
  shutdownDelay: duration.default(0),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
}).superRefine(
  (config, ctx) => {
    const problem = shutdownDelayProblem(config);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["shutdownDelay"], message: problem });
  },
  // Listed with every other problem (zod skips an object's refinements once a field failed), as long as
  // both durations themselves are valid.
  {
    when: (payload) => {
      const value = payload.value as { shutdownDelay?: unknown; shutdownTimeout?: unknown } | undefined;
      return typeof value?.shutdownDelay === "number" && typeof value.shutdownTimeout === "number" && !payload.issues.some((issue) => issue.path?.[0] === "shutdownDelay" || issue.path?.[0] === "shutdownTimeout");
    },
  },
).superRefine(
  (config, ctx) => {
    // A first round after the second would have come says something else was meant (0 = no reconciler: not checked).
    if (config.reconcileInterval > 0 && config.reconcileFirstRoundAfter !== undefined && config.reconcileFirstRoundAfter > config.reconcileInterval) {
      ctx.addIssue({ code: "custom", path: ["reconcileFirstRoundAfter"], message: `${formatDuration(config.reconcileFirstRoundAfter)} is longer than reconcileInterval (${formatDuration(config.reconcileInterval)}): the first round after the start would come after the second — shorten it, or leave it out (default: the interval, 30s at most)` });
    }
  },
  // As above: listed with the other problems, once both durations are valid.
  {
    when: (payload) => {
      const value = payload.value as { reconcileFirstRoundAfter?: unknown; reconcileInterval?: unknown } | undefined;
      return typeof value?.reconcileFirstRoundAfter === "number" && typeof value.reconcileInterval === "number" && !payload.issues.some((issue) => issue.path?.[0] === "reconcileFirstRoundAfter" || issue.path?.[0] === "reconcileInterval");
    },
  },
);

/**
 * Why `shutdownDelay` cannot be used with `shutdownTimeout`, or undefined: the delay is counted inside the
 * deadline, and the stop after it (ingest drain, in-flight orders, closing) needs some of it too.
 */
export function shutdownDelayProblem(config: { readonly shutdownDelay: number; readonly shutdownTimeout: number }): string | undefined {
  if (config.shutdownDelay < config.shutdownTimeout) return undefined;
  return `${formatDuration(config.shutdownDelay)} is not less than shutdownTimeout (${formatDuration(config.shutdownTimeout)}): the drain window is counted inside the shutdown deadline and the stop after it needs time too — raise shutdownTimeout (e.g. to ${formatDuration(config.shutdownDelay + 15_000)}) or shorten shutdownDelay`;
}

export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;
export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type ChannelConfigEntry = ServiceConfig["channels"][number];

/** Flags as the CLI collected them (strings); all optional. */
export interface ConfigFlags {
  readonly config?: string | undefined;
  readonly natsUrl?: string | undefined;
  readonly redisUrl?: string | undefined;
  readonly strategy?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  /** `kind=baseUrl` or `id:kind=baseUrl`, repeatable. */
  readonly channel?: readonly string[] | undefined;
  readonly reconcileInterval?: string | undefined;
  /** Engine processes sharing each channel's budget (`replicas`). */
  readonly replicas?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly shutdownTimeout?: string | undefined;
  readonly shutdownDelay?: string | undefined;
}

function parseChannelSpec(text: string, where: string, problems: string[]): Record<string, unknown> | undefined {
  const match = /^(?:([^:=]+):)?([a-z]+)=(.+)$/.exec(text.trim());
  if (!match) {
    problems.push(`${where}: ${JSON.stringify(redactChannelSpec(text))} is not kind=baseUrl or id:kind=baseUrl`);
    return undefined;
  }
  return { ...(match[1] ? { id: match[1] } : {}), kind: match[2], baseUrl: match[3] };
}

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  return `line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}

type Parsed = { value: unknown } | { problem: string };

// A config file's syntax error says where (line, column) and what kind, never quotes the file: the
// offending line is often a credentials one (yaml's messages print it with a caret; V8's JSON ones
// quote the text, `Unexpected token 'h', "…hunter2…" is not valid JSON`), and it lands in pod logs.

function parseYamlConfig(text: string): Parsed {
  try {
    // parseDocument, not parse: parse() also prints the document's warnings, source lines included.
    const doc = parseDocument(text);
    const [first] = doc.errors;
    if (first !== undefined) {
      const at = first.linePos?.[0];
      const where = at === undefined ? lineColumn(text, first.pos[0]) : `line ${at.line}, column ${at.col}`;
      const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : "";
      return { problem: `YAML syntax error at ${where} (${first.code})${more}` };
    }
    return { value: doc.toJS() as unknown };
  } catch (error) {
    if (error instanceof YAMLError) return { problem: `YAML error at ${lineColumn(text, error.pos[0])} (${error.code})` };
    return { problem: `YAML error (${(error as Error).name})` };
  }
}

function parseJsonConfig(text: string): Parsed {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    // The kind only where V8's wording holds no file text ("Expected ',' or '}' after property value").
    const kind = /^Unexpected end of JSON input/.test(message) ? "unexpected end of input" : /^Unexpected token/.test(message) ? "unexpected character" : (/^([^"]*?) in JSON at position \d+/.exec(message)?.[1]?.replace(/^[A-Z]/, (c) => c.toLowerCase()) ?? "syntax error");
    return { problem: `JSON syntax error at ${lineColumn(text, jsonErrorOffset(text))}: ${kind}` };
  }
}

/**
 * Where JSON.parse fails (V8 gives no position for "Unexpected token"): the shortest failing prefix.
 * A prefix of valid JSON fails only at its end, so "fails before its end" is monotone in the length.
 */
function jsonErrorOffset(text: string): number {
  const failsBeforeEnd = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = (error as Error).message;
      if (/^Unexpected end of JSON input/.test(message)) return false;
      const position = /at position (\d+)/.exec(message);
      return position === null || Number(position[1]) < length;
    }
  };
  let low = 0;
  let high = text.length; // the whole text fails before its end, or (unexpected end) at it
  if (!failsBeforeEnd(high)) return text.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (failsBeforeEnd(mid)) high = mid;
    else low = mid + 1;
  }
  return Math.max(0, low - 1);
}

function numberOrText(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** A number written as one (`2`, `-1`, `2.5`, `1e9`) becomes a number, so the schema can say what is wrong with it; other text stays text. */
function numericOrText(text: string): number | string {
  return /^\s*-?\d+(?:\.\d+)?(?:e\d+)?\s*$/i.test(text) ? Number(text) : text;
}

function booleanOrText(text: string): boolean | string {
  const word = text.trim().toLowerCase();
  return word === "true" ? true : word === "false" ? false : text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (node[key] = typeof next === "object" && next !== null ? { ...(next as Record<string, unknown>) } : {}) as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** A number where a duration belongs, in the config file: it has no unit (is 30 seconds or 30 ms meant?). */
function fileDurationProblems(value: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const visit = (node: unknown, path: readonly string[], at: readonly string[]): void => {
    if (path.length === 0) {
      if (typeof node === "number" && node !== 0) problems.push(`${at.join(".")}: ${node} has no unit: write it with one, e.g. "${node}ms" or "${node}s"`);
      return;
    }
    const [head, ...rest] = path as [string, ...string[]];
    if (head === "*") {
      if (Array.isArray(node)) node.forEach((item, index) => visit(item, rest, [...at, String(index)]));
      return;
    }
    if (typeof node === "object" && node !== null && !Array.isArray(node)) visit((node as Record<string, unknown>)[head], rest, [...at, head]);
  };
  for (const path of DURATION_PATHS) visit(value, path, []);
  return problems;
}

/** The environment variables that carry a channel's secrets: `SYNCLAG_CHANNEL_<ID>_CREDENTIALS` / `_NOTIFICATION_SECRET`. */
export function channelSecretVariables(channelId: string): { readonly credentials: string; readonly notificationSecret: string } {
  const stem = `SYNCLAG_CHANNEL_${channelId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  return { credentials: `${stem}_CREDENTIALS`, notificationSecret: `${stem}_NOTIFICATION_SECRET` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A raw channel entry's id: its `id`, else its kind (undefined when neither is text). */
function rawChannelId(entry: unknown): string | undefined {
  if (!isRecord(entry)) return undefined;
  return typeof entry.id === "string" ? entry.id : typeof entry.kind === "string" ? entry.kind : undefined;
}

/** Merges file, env and flags (in that order of precedence, lowest first) and validates. Throws `ServiceError("config")` with every problem. */
export function loadServiceConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const problems: string[] = [];
  let raw: Record<string, unknown> = {};
  const file = flags.config ?? env.SYNCLAG_CONFIG;
  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      problems.push(`config file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`);
    }
    if (text !== undefined) {
      const parsed = /\.ya?ml$/i.test(file) ? parseYamlConfig(text) : parseJsonConfig(text);
      if ("problem" in parsed) problems.push(`config file ${file}: ${parsed.problem}`);
      else if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) problems.push(`config file ${file}: must hold an object`);
      else {
        raw = { ...(parsed.value as Record<string, unknown>) };
        problems.push(...fileDurationProblems(raw));
      }
    }
  }
  const sources: Array<[string, string | undefined, readonly string[], (text: string) => unknown]> = [
    ["SYNCLAG_NATS_URL", env.SYNCLAG_NATS_URL, ["natsUrl"], String],
    ["SYNCLAG_NATS_USER", env.SYNCLAG_NATS_USER, ["nats", "user"], String],
    ["SYNCLAG_NATS_PASSWORD", env.SYNCLAG_NATS_PASSWORD, ["nats", "password"], String],
    ["SYNCLAG_NATS_TOKEN", env.SYNCLAG_NATS_TOKEN, ["nats", "token"], String],
    ["SYNCLAG_NATS_CREDS", env.SYNCLAG_NATS_CREDS, ["nats", "credsFile"], String],
    ["SYNCLAG_NATS_NKEY_SEED_FILE", env.SYNCLAG_NATS_NKEY_SEED_FILE, ["nats", "nkeySeedFile"], String],
    ["SYNCLAG_REDIS_URL", env.SYNCLAG_REDIS_URL, ["redisUrl"], String],
    ["SYNCLAG_STRATEGY", env.SYNCLAG_STRATEGY, ["strategy"], String],
    ["SYNCLAG_INGEST_HOST", env.SYNCLAG_INGEST_HOST, ["ingest", "host"], String],
    ["SYNCLAG_INGEST_PORT", env.SYNCLAG_INGEST_PORT, ["ingest", "port"], numberOrText],
    ["SYNCLAG_INGEST_PUBLIC_URL", env.SYNCLAG_INGEST_PUBLIC_URL, ["ingest", "publicUrl"], String],
    ["SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS", env.SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS, ["ingest", "trustForwardedHeaders"], booleanOrText],
    ["SYNCLAG_INGEST_MAX_CONNECTIONS", env.SYNCLAG_INGEST_MAX_CONNECTIONS, ["ingest", "maxConnections"], numberOrText],
    ["SYNCLAG_INGEST_IDLE_TIMEOUT", env.SYNCLAG_INGEST_IDLE_TIMEOUT, ["ingest", "idleTimeout"], String],
    ["SYNCLAG_ADMIN_TOKEN", env.SYNCLAG_ADMIN_TOKEN, ["adminToken"], String],
    ["SYNCLAG_RECONCILE_INTERVAL", env.SYNCLAG_RECONCILE_INTERVAL, ["reconcileInterval"], String],
    ["SYNCLAG_RECONCILE_FIRST_ROUND_AFTER", env.SYNCLAG_RECONCILE_FIRST_ROUND_AFTER, ["reconcileFirstRoundAfter"], String],
    ["SYNCLAG_REPLICAS", env.SYNCLAG_REPLICAS, ["replicas"], numericOrText],
    ["SYNCLAG_LOG_LEVEL", env.SYNCLAG_LOG_LEVEL, ["logLevel"], String],
    ["SYNCLAG_SHUTDOWN_TIMEOUT", env.SYNCLAG_SHUTDOWN_TIMEOUT, ["shutdownTimeout"], String],
    ["SYNCLAG_SHUTDOWN_DELAY", env.SYNCLAG_SHUTDOWN_DELAY, ["shutdownDelay"], String],
    ["SYNCLAG_VERIFY_PUSHES", env.SYNCLAG_VERIFY_PUSHES, ["verifyPushes"], booleanOrText],
    ["--nats-url", flags.natsUrl, ["natsUrl"], String],
    ["--redis-url", flags.redisUrl, ["redisUrl"], String],
    ["--strategy", flags.strategy, ["strategy"], String],
    ["--host", flags.host, ["ingest", "host"], String],
    ["--port", flags.port, ["ingest", "port"], numberOrText],
    ["--reconcile-interval", flags.reconcileInterval, ["reconcileInterval"], String],
    ["--replicas", flags.replicas, ["replicas"], numericOrText],
    ["--log-level", flags.logLevel, ["logLevel"], String],
    ["--shutdown-timeout", flags.shutdownTimeout, ["shutdownTimeout"], String],
    ["--shutdown-delay", flags.shutdownDelay, ["shutdownDelay"], String],
  ];
  // Which flag or variable set each path last: problems name what the user typed, not only the config path.
  const origins = new Map<string, string>();
  for (const [source, value, path, convert] of sources) {
    if (value === undefined) continue;
    setPath(raw, path, convert(value));
    origins.set(path.join("."), source);
  }

  // --channel (or else SYNCLAG_CHANNELS) chooses the channels; one with the id of a channel of the file
  // keeps that channel's settings — credentials, notificationSecret, policy… — with the flag's base URL.
  // (Replacing the file's entry wholesale silently dropped its secrets.) What each entry came from, for problems.
  const channelTexts = flags.channel && flags.channel.length > 0 ? flags.channel.map((t) => ["--channel", t] as const) : env.SYNCLAG_CHANNELS ? env.SYNCLAG_CHANNELS.split(",").filter(Boolean).map((t) => ["SYNCLAG_CHANNELS", t] as const) : [];
  const channelWhere: string[] = [];
  /** Per merged entry: what it came from, the file's entry it was merged with included (`with channels.0 of engine.yaml`). */
  const channelSchemaWhere: string[] = [];
  if (channelTexts.length > 0) {
    const fromFile = new Map<string, { readonly entry: Record<string, unknown>; readonly index: number }>();
    if (Array.isArray(raw.channels)) {
      (raw.channels as unknown[]).forEach((entry, index) => {
        const id = rawChannelId(entry);
        if (id !== undefined && isRecord(entry) && !fromFile.has(id)) fromFile.set(id, { entry, index });
      });
    }
    const chosen: Array<Record<string, unknown>> = [];
    for (const [where, text] of channelTexts) {
      const spec = parseChannelSpec(text, where, problems);
      if (spec === undefined) continue;
      const named = `${where} ${JSON.stringify(redactChannelSpec(text))}`;
      const id = rawChannelId(spec) as string;
      const found = fromFile.get(id);
      const base = found?.entry;
      if (base !== undefined && base.kind !== spec.kind) problems.push(`${named}: channel ${id} is a ${String(base.kind)} channel in ${file ?? "the config file"}, not ${String(spec.kind)}: give this one another id (id:kind=baseUrl)`);
      const merged = base !== undefined && base.kind === spec.kind;
      chosen.push(merged ? { ...base, ...spec } : spec);
      channelWhere.push(named);
      channelSchemaWhere.push(merged ? `${named} with channels.${found?.index ?? 0} of ${file ?? "the config file"}` : named);
    }
    raw.channels = chosen;
  }

  // Per-channel secrets from the environment (a Kubernetes Secret, a systemd credential), over the file's.
  if (Array.isArray(raw.channels)) {
    const variableOwners = new Map<string, string>();
    raw.channels = (raw.channels as unknown[]).map((entry, index) => {
      const id = rawChannelId(entry);
      if (id === undefined || !isRecord(entry)) return entry;
      const variables = channelSecretVariables(id);
      const owner = variableOwners.get(variables.credentials);
      if (owner !== undefined && owner !== id && (env[variables.credentials] !== undefined || env[variables.notificationSecret] !== undefined)) {
        problems.push(`${variables.credentials} / ${variables.notificationSecret}: channels ${owner} and ${id} would both read them: give one another id`);
      }
      variableOwners.set(variables.credentials, id);
      const merged: Record<string, unknown> = { ...entry };
      const credentialsText = env[variables.credentials];
      if (credentialsText !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(credentialsText);
        } catch {
          parsed = undefined;
        }
        // Never quoted back: the text is a secret.
        if (!isRecord(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) problems.push(`${variables.credentials}: must be a JSON object of strings, e.g. {"accessToken":"…"}`);
        else {
          merged.credentials = { ...(isRecord(entry.credentials) ? entry.credentials : {}), ...parsed };
          // A problem with one of them (a blank value) names the variable it came from.
          for (const key of Object.keys(parsed)) origins.set(`channels.${index}.credentials.${key}`, variables.credentials);
        }
      }
      const secretText = env[variables.notificationSecret];
      if (secretText !== undefined) {
        merged.notificationSecret = secretText;
        origins.set(`channels.${index}.notificationSecret`, variables.notificationSecret);
      }
      return merged;
    });
  }

  const parsed = serviceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join(".");
      // A channel chosen by --channel / SYNCLAG_CHANNELS: named by that entry (and the file's entry it
      // was merged with), not by its place in the merged list, which matches neither.
      const [head, index, ...rest] = issue.path;
      const channelOrigin = head === "channels" && typeof index === "number" ? channelSchemaWhere[index] : undefined;
      if (channelOrigin !== undefined) {
        const variable = origins.get(path);
        problems.push(`${channelOrigin}${rest.length === 0 ? "" : ` (${rest.map(String).join(".")}${variable === undefined ? "" : `, from ${variable}`})`}: ${issue.message}`);
        continue;
      }
      const origin = origins.get(path);
      problems.push(`${origin === undefined ? path || "config" : `${origin} (${path})`}: ${issue.message}`);
    }
  }
  // On the raw entries, so a duplicate is listed with every other problem, not only once the rest is valid.
  if (Array.isArray(raw.channels)) {
    // The ingest as the schema will read it; an invalid publicUrl or trustForwardedHeaders (reported on its own) counts as a proxy in front.
    const rawIngest = isRecord(raw.ingest) ? raw.ingest : {};
    const ingest: IngestExposure = {
      host: typeof rawIngest.host === "string" ? rawIngest.host : DEFAULT_INGEST_HOST,
      ...(rawIngest.publicUrl === undefined ? {} : { publicUrl: typeof rawIngest.publicUrl === "string" ? rawIngest.publicUrl : JSON.stringify(rawIngest.publicUrl) }),
      trustForwardedHeaders: rawIngest.trustForwardedHeaders !== undefined && rawIngest.trustForwardedHeaders !== false,
    };
    const ids = new Set<string>();
    (raw.channels as unknown[]).forEach((channel, index) => {
      const name = rawChannelId(channel);
      if (name === undefined) return;
      if (ids.has(name)) problems.push(`channels: ${name} is configured twice (give each an id)`);
      ids.add(name);
      // A problem with a value from the environment names the variable it came from.
      problems.push(...channelSecretProblems(channel, channelWhere[index] ?? `channels.${index} (${name})`, ingest, (field) => origins.get(`channels.${index}.${field}`)));
    });
  }
  if (problems.length > 0 || !parsed.success) {
    // Problems name what was wrong and where, never the secret: a last pass for URLs a message may quote.
    const safe = problems.map(redactUrlCredentials);
    throw new ServiceError("config", `invalid configuration: ${safe.join("; ")}`, { problems: safe });
  }
  return parsed.data;
}

/**
 * Secret-looking key names: `key`, `apiKey`, `private_key`…, but not `keyPrefix` (a Redis namespace, worth seeing);
 * and a user name (`nats.user`): it may be half the secret, as a URL's user info is redacted whole.
 */
const SECRET_KEY = /secret|token|password|passwd|authorization|credential|(?:^|[a-z_])key$|^user(?:name)?$/i;

/** A copy safe to print: secret-looking keys and URL passwords replaced by "[redacted]". */
export function redactConfig(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (SECRET_KEY.test(key)) return "[redacted]";
    // A URL value as the parser reads it (`natsUrl`, `redisUrl`), then as text: user info, secret parameters.
    return redactUrlCredentials(redactUrlValue(value));
  }
  if (Array.isArray(value)) return value.map((item) => redactConfig(item, key));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === "object" && v !== null ? redactObject(v) : redactConfig(v, k)]));
  }
  return value;
}

function redactObject(value: object): unknown {
  return Object.fromEntries(Object.keys(value).map((k) => [k, "[redacted]"]));
}

/**
 * The credentials each channel client needs (@synclag/channels checks the same list when it builds the
 * client; config-channel-secrets.test.ts keeps the two in step), and where a kind's notification secret
 * sits among its credentials when `notificationSecret` is not given (Flipkart signs with the app secret;
 * eBay's keys are fetched from its Notification API by key id, so it needs none).
 */
export const REQUIRED_CREDENTIALS: { readonly [K in MarketplaceKind]: readonly string[] } = {
  amazon: ["sellerId", "marketplaceId", "accessToken"],
  shopify: ["accessToken", "apiVersion", "locationId"],
  woocommerce: ["consumerKey", "consumerSecret"],
  flipkart: ["appId", "appSecret", "locationId"],
  ebay: ["accessToken"],
};
const NOTIFICATION_SECRET_CREDENTIAL: { readonly [K in MarketplaceKind]: string | undefined } = {
  amazon: "notificationSecret",
  shopify: "webhookSecret",
  woocommerce: "webhookSecret",
  flipkart: "appSecret",
  ebay: undefined,
};

/** A base URL whose host is loopback (127.0.0.0/8, ::1, localhost): where the mock marketplaces run. */
export function isLoopbackUrl(baseUrl: string): boolean {
  try {
    return isLoopback(new URL(baseUrl).hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase());
  } catch {
    return false;
  }
}

/**
 * An ingest listen host reachable from this machine only (127.0.0.0/8, ::1, localhost). Not `0.0.0.0`
 * or `::`: those listen on every interface.
 */
export function isLoopbackHost(host: string): boolean {
  return isLoopback(host.trim().replace(/^\[(.*)\]$/, "$1").toLowerCase());
}

/** What the secrets of a channel depend on in the ingest's settings: where it listens, and whether a proxy publishes it. */
export type IngestExposure = Pick<ServiceConfig["ingest"], "host"> & { readonly publicUrl?: string | undefined; readonly trustForwardedHeaders?: boolean | undefined };

/**
 * Why the ingest takes webhooks from the network, or undefined: it listens off loopback, or a proxy
 * publishes it — `publicUrl` (the base URL the marketplaces call) or `trustForwardedHeaders` (a proxy in
 * front). Easy to get wrong: the listen host alone says nothing behind a proxy (found by review: an
 * ingest on 127.0.0.1 behind a TLS proxy verified a real shop's webhooks with the mocks' public secret).
 */
export function ingestExposure(ingest: IngestExposure): string | undefined {
  if (!isLoopbackHost(ingest.host)) return `the ingest listens on ${ingest.host}, not on loopback`;
  if (ingest.publicUrl !== undefined) return `the ingest is reached through a proxy (ingest.publicUrl${ingest.publicUrl.trim() === "" ? "" : ` ${ingest.publicUrl.trim()}`})`;
  if (ingest.trustForwardedHeaders === true) return "the ingest is reached through a proxy (ingest.trustForwardedHeaders)";
  return undefined;
}

/** Whether the mocks' public test credentials may fill in for a channel: a base URL on loopback, behind an ingest on loopback that no proxy publishes. */
function mockSecretsAllowed(baseUrl: string, ingest: IngestExposure): boolean {
  return isLoopbackUrl(baseUrl) && ingestExposure(ingest) === undefined;
}

/** `given` over the mocks' test credentials of `kind` (as text). */
function withMockCredentials(kind: MarketplaceKind, given: Readonly<Record<string, string>>): Record<string, string> {
  const defaults = DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>;
  return { ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, String(v)])), ...given };
}

/**
 * The credentials a marketplace authenticates a seller's client by: what a real shop checks, and it never
 * takes the mocks' public test ones (they are in this repository for anyone to read).
 */
const AUTHENTICATING_CREDENTIALS: { readonly [K in MarketplaceKind]: readonly string[] } = {
  amazon: ["accessToken"],
  shopify: ["accessToken"],
  woocommerce: ["consumerKey", "consumerSecret"],
  flipkart: ["appId", "appSecret"],
  ebay: ["accessToken"],
};

/**
 * Whether a channel is one of synclag's mocks as far as the engine can tell: its base URL is on loopback
 * *and* its client authenticates with the mocks' public test credentials (`credentials` as
 * `channelSecrets` resolved them — what `synclag run` always uses). An address alone does not say it: a
 * loopback base URL may be a tunnel, port-forward or egress sidecar to a real shop, which runs on the
 * shop's own credentials. Decides the stand-in `X-Synclag-Version` header (docs/engine-service.md).
 */
export function isMockChannel(channel: Pick<ChannelConfigEntry, "kind" | "baseUrl">, credentials: Readonly<Record<string, string>>): boolean {
  if (!isLoopbackUrl(channel.baseUrl)) return false;
  const mock = DEFAULT_MOCK_CREDENTIALS[channel.kind] as unknown as Record<string, string | number>;
  return AUTHENTICATING_CREDENTIALS[channel.kind].every((key) => mock[key] !== undefined && credentials[key] === String(mock[key]));
}

/**
 * The mocks' values that authenticate a client or verify a webhook, of every kind (another kind's is as
 * public): what a channel that is no mock must never be given (`publicMockSecretProblems`).
 */
const PUBLIC_MOCK_SECRETS: ReadonlySet<string> = new Set(
  MARKETPLACE_KINDS.flatMap((kind) => {
    const mock = DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>;
    const secretKey = NOTIFICATION_SECRET_CREDENTIAL[kind];
    return [...AUTHENTICATING_CREDENTIALS[kind], ...(secretKey === undefined ? [] : [secretKey])].flatMap((key) => (mock[key] === undefined ? [] : [String(mock[key])]));
  }),
);

/**
 * Whether a configured value is one of the mocks' public ones. Exactly, as the value is used: an HMAC key
 * (Shopify, WooCommerce, the Amazon stand-in), Flipkart's app secret (hashed into its signature) and every
 * token are their exact text — another case or a space more is another key, so folding either would only
 * refuse a shop's own secret. (No PEM to compare by key material: the mocks' eBay signing key is
 * generated per mock at start, never a fixed public one.)
 */
function isPublicMockSecret(value: unknown): boolean {
  return typeof value === "string" && PUBLIC_MOCK_SECRETS.has(value);
}

function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1] ?? ""}`;
}

/**
 * What a channel lacks to run without the mocks' test secrets — those are in this repository for anyone
 * to read, so a real marketplace on them would accept forged webhooks — or undefined; an unknown kind or
 * unreadable URL is another problem. `where` opens the message. A mock — a base URL on loopback, behind an
 * ingest on loopback that no proxy publishes (`ingestExposure`), on the mocks' client credentials
 * (`isMockChannel`) — needs nothing. A loopback channel on credentials of its own may be a tunnel,
 * port-forward or egress sidecar to a real shop: the mocks fill in the rest of its client credentials, but
 * its notification secret must be its own. Anywhere else (an ingest off loopback or behind a proxy takes
 * webhooks from the network) every credential and the notification secret must be given. Blank = missing.
 */
function missingSecretsProblem(entry: unknown, where: string, ingest: IngestExposure): string | undefined {
  if (!isRecord(entry) || typeof entry.kind !== "string" || !(MARKETPLACE_KINDS as readonly string[]).includes(entry.kind) || typeof entry.baseUrl !== "string") return undefined;
  try {
    new URL(entry.baseUrl);
  } catch {
    return undefined;
  }
  const kind = entry.kind as MarketplaceKind;
  const credentials = isRecord(entry.credentials) ? entry.credentials : {};
  const given = (value: unknown): boolean => typeof value === "string" && value.trim() !== "";
  const secretKey = NOTIFICATION_SECRET_CREDENTIAL[kind];
  const variables = channelSecretVariables(rawChannelId(entry) ?? kind);
  if (mockSecretsAllowed(entry.baseUrl, ingest)) {
    if (secretKey === undefined || given(entry.notificationSecret) || given(credentials[secretKey])) return undefined;
    const texts = Object.fromEntries(Object.entries(credentials).filter((pair): pair is [string, string] => typeof pair[1] === "string"));
    if (isMockChannel({ kind, baseUrl: entry.baseUrl }, withMockCredentials(kind, texts))) return undefined;
    const inCredentials = REQUIRED_CREDENTIALS[kind].includes(secretKey);
    const give = inCredentials ? `its credentials.${secretKey} in the --config file or in ${variables.credentials} (a JSON object)` : `its notificationSecret in the --config file or in ${variables.notificationSecret}`;
    return `${where}: it runs on credentials of its own, not the mocks' (a loopback base URL may be a tunnel, port-forward or egress sidecar to a real shop): give ${give} — the mocks' test secret is public, anyone could sign its webhooks with it; missing ${inCredentials ? `credentials.${secretKey}` : "notificationSecret"}`;
  }
  const missing = REQUIRED_CREDENTIALS[kind].filter((key) => !given(credentials[key])).map((key) => `credentials.${key}`);
  const needsSecret = secretKey !== undefined && !REQUIRED_CREDENTIALS[kind].includes(secretKey);
  if (needsSecret && !given(entry.notificationSecret) && !given(credentials[secretKey])) missing.push("notificationSecret");
  if (missing.length === 0) return undefined;
  const what = needsSecret ? "credentials and notificationSecret" : "credentials";
  const envs = needsSecret ? `${variables.credentials} (a JSON object) and ${variables.notificationSecret}` : `${variables.credentials} (a JSON object)`;
  const why = isLoopbackUrl(entry.baseUrl) ? (ingestExposure(ingest) ?? "not a mock on loopback") : "not a mock on loopback";
  return `${where}: ${why}: give its ${what} in the --config file or in ${envs} (the mocks' test secrets are public: used only for a base URL on loopback behind an ingest on loopback that no proxy publishes); missing ${joinWords(missing)}`;
}

/**
 * What is wrong with a channel's secrets, each problem opened by `where`: what it lacks to run without the
 * mocks' test secrets (`missingSecretsProblem`), and the mocks' public values written out for a channel
 * that is no mock (`publicMockSecretProblems`). `origin` names the variable a field (`notificationSecret`,
 * `credentials.appSecret`) came from, if any. Empty for a channel whose kind or base URL is unreadable
 * (another problem).
 */
export function channelSecretProblems(entry: unknown, where: string, ingest: IngestExposure, origin?: (field: string) => string | undefined): string[] {
  const missing = missingSecretsProblem(entry, where, ingest);
  return [...(missing === undefined ? [] : [missing]), ...publicMockSecretProblems(entry, where, ingest, origin)];
}

/** `channelSecretProblems` in one message (`; `-separated), or undefined: EngineService.start's check of a configuration built in code. */
export function channelSecretProblem(entry: unknown, where: string, ingest: IngestExposure): string | undefined {
  const problems = channelSecretProblems(entry, where, ingest);
  return problems.length === 0 ? undefined : problems.join("; ");
}

/**
 * The mocks' public values (`PUBLIC_MOCK_SECRETS`) written out — copied from the docs or a test — for a
 * channel that is no mock: a base URL off loopback, an ingest the network reaches (`ingestExposure`), or
 * a loopback channel on client credentials of its own (a tunnel, port-forward or egress sidecar to a real
 * shop). Filled in they never reach such a channel; written out they did (found by review), and:
 * - as what verifies its webhooks — `notificationSecret`, else the credential it defaults to (Flipkart's
 *   `appSecret`, or `webhookSecret` / `notificationSecret` among the credentials) — anyone could sign
 *   forged orders with it;
 * - as a client credential that authenticates it (`AUTHENTICATING_CREDENTIALS`; eBay's token also fetches
 *   its notification keys), where the mocks' values are never filled in: no real shop accepts them, and
 *   the mocks are the one thing that does — which a channel there cannot be told apart from a real shop,
 *   and whose webhooks (signed with their public secrets) are refused anyway. (On loopback behind a
 *   private ingest the mocks fill in client credentials not given, so one written out is taken as well.)
 * Never quotes a value.
 */
function publicMockSecretProblems(entry: unknown, where: string, ingest: IngestExposure, origin: ((field: string) => string | undefined) | undefined): string[] {
  if (!isRecord(entry) || typeof entry.kind !== "string" || !(MARKETPLACE_KINDS as readonly string[]).includes(entry.kind) || typeof entry.baseUrl !== "string") return [];
  try {
    new URL(entry.baseUrl);
  } catch {
    return [];
  }
  const kind = entry.kind as MarketplaceKind;
  const credentials = isRecord(entry.credentials) ? entry.credentials : {};
  const texts = Object.fromEntries(Object.entries(credentials).filter((pair): pair is [string, string] => typeof pair[1] === "string"));
  const filledIn = mockSecretsAllowed(entry.baseUrl, ingest);
  // Declared a mock (`mock: true`, another container): taken when the client authenticates with the mocks'
  // public credentials too — only a mock accepts those. On credentials of its own it talks to a real shop
  // (a demo's file reused with a shop's token from the environment), whose webhooks the mocks' secret
  // would let anyone forge: refused.
  if (entry.mock === true) {
    const mock = DEFAULT_MOCK_CREDENTIALS[kind] as unknown as Record<string, string | number>;
    const used = filledIn ? withMockCredentials(kind, texts) : texts;
    // A credential not given is the missing-secrets problem's to name.
    const own = AUTHENTICATING_CREDENTIALS[kind].filter((key) => used[key] !== undefined && used[key] !== String(mock[key]));
    if (own.length === 0) return [];
    return [`${where}: mock: true, but ${joinWords(own.map((key) => `credentials.${key}`))} ${own.length === 1 ? "is" : "are"} not the mocks' public test ${own.length === 1 ? "credential" : "credentials"} (the shop's own): a channel on credentials of its own talks to a real shop, whose webhooks the mocks' public secret would let anyone sign — drop mock: true, and give the shop's own notificationSecret`];
  }
  if (filledIn && isMockChannel({ kind, baseUrl: entry.baseUrl }, withMockCredentials(kind, texts))) return [];
  const why = !isLoopbackUrl(entry.baseUrl) ? "its base URL is not on loopback" : (ingestExposure(ingest) ?? "it runs on credentials of its own, not the mocks' (a loopback base URL may be a tunnel, port-forward or egress sidecar to a real shop)");
  const variables = channelSecretVariables(rawChannelId(entry) ?? kind);
  const named = (field: string): string => {
    const variable = origin?.(field);
    return variable === undefined ? field : `${field} (from ${variable})`;
  };
  const problems: string[] = [];
  const secretKey = NOTIFICATION_SECRET_CREDENTIAL[kind];
  const verifier = entry.notificationSecret !== undefined ? "notificationSecret" : secretKey !== undefined && credentials[secretKey] !== undefined ? `credentials.${secretKey}` : undefined;
  if (verifier !== undefined && isPublicMockSecret(verifier === "notificationSecret" ? entry.notificationSecret : credentials[secretKey as string])) {
    const give = verifier === "notificationSecret" ? `notificationSecret in the --config file or in ${variables.notificationSecret}` : `${verifier} in the --config file or in ${variables.credentials} (a JSON object)`;
    problems.push(`${where}: ${named(verifier)} is a mock marketplace's public test secret (packages/mock-marketplaces, published in this repository: anyone could sign this channel's webhooks with it), and this channel is no mock — ${why}: give the marketplace's own secret for this shop as its ${give}`);
  }
  if (!filledIn) {
    const keys = AUTHENTICATING_CREDENTIALS[kind].filter((key) => `credentials.${key}` !== verifier && isPublicMockSecret(credentials[key]));
    if (keys.length > 0) {
      const fields = joinWords(keys.map((key) => named(`credentials.${key}`)));
      const [are, them] = keys.length === 1 ? ["is a mock marketplace's public test credential", "it"] : ["are the mock marketplaces' public test credentials", "them"];
      problems.push(`${where}: ${fields} ${are}, and this channel is no mock — ${why}: no real shop accepts ${them}, and the mocks' are used only for a mock (a base URL on loopback behind an ingest on loopback that no proxy publishes): give its own in the --config file or in ${variables.credentials} (a JSON object)`);
    }
  }
  return problems;
}

/**
 * The client credentials and notification secret of a channel: the configured ones; for a base URL on
 * loopback behind an ingest on loopback that no proxy publishes (`ingest`), the mocks' test credentials
 * fill in what is not given. Easy to get wrong: the mocks' *notification* secret (what signs a webhook)
 * only for a mock — a channel on the mocks' client credentials too (`isMockChannel`). A loopback channel
 * on its own token may be a real shop behind a tunnel or sidecar: it gets its own secret or none (and
 * `channelSecretProblem` refuses it before). Never anything of the mocks' anywhere else.
 */
export function channelSecrets(channel: Pick<ChannelConfigEntry, "kind" | "baseUrl" | "credentials" | "notificationSecret">, ingest: IngestExposure): { credentials: Record<string, string>; notificationSecret: string | undefined } {
  const given = channel.credentials ?? {};
  const credentials = mockSecretsAllowed(channel.baseUrl, ingest) ? withMockCredentials(channel.kind, given) : { ...given };
  const secretKey = NOTIFICATION_SECRET_CREDENTIAL[channel.kind];
  const own = channel.notificationSecret ?? (secretKey === undefined ? undefined : given[secretKey]);
  if (own !== undefined || secretKey === undefined || credentials[secretKey] === undefined) return { credentials, notificationSecret: own };
  // The mocks' secret, filled in: a mock's, or nobody's (not even among the client's credentials).
  if (isMockChannel(channel, credentials)) return { credentials, notificationSecret: credentials[secretKey] };
  const { [secretKey]: _mocks, ...theirs } = credentials;
  return { credentials: theirs, notificationSecret: undefined };
}
