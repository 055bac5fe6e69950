// `synclag engine` — the reference engine as a long-running service: webhook ingest → NATS JetStream →
// worker (Redis Lua apply) → per-channel propagation over HTTP, with the reconciler, /metrics, /healthz,
// /readyz and structured JSON logs. Composition lives in @synclag/service; this file maps flags, exit
// codes and signals. Easy to get wrong: the second SIGTERM/SIGINT must not start a second shutdown, a
// shutdown that overruns its deadline must still end the process (exit 1), never hang, and a signal
// during the start (a slow connect) must abort it cleanly — so the handlers are installed before it.

import { Command } from "commander";
import type { ConfigFlags, EngineService } from "@synclag/service";
import { redactChannelSpec } from "@synclag/service/config-helpers";
import { MARKETPLACE_KINDS } from "@synclag/marketplaces";
import { EXIT, UsageError } from "../cli-error.js";
import { checkStrategy } from "../options.js";
import { listsParseProblems, parseProblems, repeatable } from "../parse-problems.js";

interface EngineFlags extends ConfigFlags {
  readonly channel?: string[];
}

export function engineCommand(): Command {
  return listsParseProblems(new Command("engine"))
    .description("Run the reference engine as a service: marketplace webhooks in, JetStream, Redis, pushes to every channel out.")
    .option("--config <file>", "JSON or YAML configuration file (env SYNCLAG_CONFIG)")
    .option("--nats-url <url>", "NATS server, nats://[user:password@]host[:port] or tls://…, or several separated by commas (env SYNCLAG_NATS_URL; default nats://127.0.0.1:4222); reserved characters in a user, password or token percent-encoded")
    .option("--redis-url <url>", "Redis server (env SYNCLAG_REDIS_URL; default redis://127.0.0.1:6379)")
    .option("--strategy <strategy>", "events (default) or polling:<interval> of at least 1s, e.g. polling:30s (env SYNCLAG_STRATEGY; polling:900s runs as polling:15m)")
    .option("--host <host>", "ingest/metrics listen address (env SYNCLAG_INGEST_HOST; default 127.0.0.1)")
    .option("--port <port>", "ingest/metrics port (env SYNCLAG_INGEST_PORT; default 8080; 0 = any free port)")
    .option("--channel <kind=url>", "a channel: kind=baseUrl or id:kind=baseUrl; repeatable (env SYNCLAG_CHANNELS, comma-separated); keeps the --config file's settings for the same id; off loopback it needs its own secrets", repeatable((value: string | undefined, previous: string[] = []) => (value === undefined ? previous : [...previous, value])))
    .option("--reconcile-interval <duration>", "reconciler period with its unit, e.g. 15m; 0 disables (env SYNCLAG_RECONCILE_INTERVAL)")
    .option("--replicas <n>", "engine processes sharing the consumer, the store and each marketplace account (env SYNCLAG_REPLICAS; default 1): each channel's rate limit and daily revision budget are divided by it")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent (env SYNCLAG_LOG_LEVEL; default info)")
    .option("--shutdown-timeout <duration>", "graceful shutdown deadline with its unit, e.g. 20s (env SYNCLAG_SHUTDOWN_TIMEOUT; default 15s)")
    .option("--shutdown-delay <duration>", "drain window at the start of a stop, inside the shutdown deadline: /readyz and /readyz/ingest answer 503 while webhooks are still taken, e.g. 5s behind a load balancer (env SYNCLAG_SHUTDOWN_DELAY; default 0: the listener closes at once)")
    .addHelpText(
      "after",
      [
        "",
        "Endpoints: POST /ingest/<channel> (marketplace order notifications), GET /metrics (Prometheus), GET /healthz, GET /readyz (the whole",
        "engine: alerting, rollouts), GET /readyz/ingest (webhooks can be stored: the probe for the webhook load balancer; Redis not needed).",
        "Behind a load balancer also set --shutdown-delay (e.g. 5s), or the webhooks it routes here during a stop hit a closed port.",
        "Admin routes (POST /admin/stock, /admin/stock/restored): JSON only, never from a browser (an Origin header is refused); without",
        "an admin token (adminToken, SYNCLAG_ADMIN_TOKEN: Authorization: Bearer …) only from loopback — filter /admin/* at your gateway.",
        "Precedence: flags > SYNCLAG_* environment > --config file > defaults. Secrets are redacted in the start-up log line.",
        "Secrets: the mocks' public test secrets serve only mocks (a channel on loopback on the mocks' credentials, behind an ingest on",
        "loopback with no publicUrl or trustForwardedHeaders); any other channel needs its credentials and notificationSecret in the",
        "--config file or in SYNCLAG_CHANNEL_<ID>_CREDENTIALS (JSON) and SYNCLAG_CHANNEL_<ID>_NOTIFICATION_SECRET.",
        "NATS credentials: in the URL (nats://user:password@host, nats://token@host) or, kept out of it, in SYNCLAG_NATS_USER +",
        "SYNCLAG_NATS_PASSWORD, SYNCLAG_NATS_TOKEN, SYNCLAG_NATS_CREDS (a creds file) or SYNCLAG_NATS_NKEY_SEED_FILE (config file: nats.*).",
        "Oversells: each is cancelled at its source channel from a durable list in Redis, retried with backoff for as long as the",
        "channel needs; alert on the cancellations_pending gauge staying above 0 (docs/engine-service.md, \"Oversell cancellations\").",
        "Several instances on one consumer and store: set verifyPushes: true (config file) or SYNCLAG_VERIFY_PUSHES=true on every",
        "instance, or one's older push can stay on a channel after another's newer one, and --replicas N (SYNCLAG_REPLICAS) on every one,",
        "or together they spend N times each marketplace's rate limit and eBay's revisions (docs/engine-service.md, \"Several instances\").",
        "Behind a TLS-terminating proxy: set ingest.publicUrl (SYNCLAG_INGEST_PUBLIC_URL, e.g. https://hooks.example.com) to the URL the",
        "marketplaces were given — Flipkart signs the URL it called — or, behind a proxy that sets X-Forwarded-Proto/-Host itself,",
        "SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS=true (docs/engine-service.md, \"Flipkart behind a TLS gateway\").",
        "",
        "Example:",
        "  npx synclag engine --channel amazon=http://127.0.0.1:9001 --channel shopify=http://127.0.0.1:9002 --strategy events",
        "",
        "Exit codes: 0 stopped cleanly (SIGTERM/SIGINT, also during start-up), 1 shutdown overran its deadline, 2 bad configuration, 4 NATS/Redis unreachable or the ingest port already in use.",
        "Under systemd or Kubernetes start `node apps/cli/bin/synclag.js engine …` (in a wrapper script: `exec node …`), not `npx synclag",
        "engine`: npm does not pass SIGTERM on — the engine is left running without its graceful stop (docs/engine-service.md, \"Running it as a service\").",
      ].join("\n"),
    )
    .action(async (flags: EngineFlags, command: Command) => {
      // Loaded here, not at start-up (nats, redis, pino, prom-client…): every other command and --help would pay for it.
      // Before any signal handler is installed, as the static import was: a signal meanwhile is the default one.
      const { EngineService, ServiceError, createLogger, loadServiceConfig } = await import("@synclag/service");
      const problems = parseProblems(command);
      let config;
      try {
        config = loadServiceConfig(flags);
      } catch (error) {
        if (error instanceof ServiceError && error.reason === "config") throw new UsageError([...problems, ...error.problems.map((p) => inUserTerms(p, flags))]);
        throw error;
      }
      // Whichever of --strategy, SYNCLAG_STRATEGY or the file set it, the service checked it with the one
      // strategy parser; it runs, and is logged, by the name simulate and compare give it (polling:900s → polling:15m).
      config = { ...config, strategy: checkStrategy(config.strategy, problems) ?? config.strategy };
      if (problems.length > 0) throw new UsageError(problems);
      const logger = createLogger(config.logLevel);
      const shutdownTimeoutMs = config.shutdownTimeout;
      // Whatever still holds the event loop (a connect attempt abandoned, a socket to a frozen server)
      // must not keep a process that has finished its stop alive.
      const exitSoon = (code: number): void => {
        process.exitCode = code;
        setTimeout(() => process.exit(code), 500).unref();
      };
      // Installed before the start, so a signal while connecting is no default kill (nothing stopped,
      // a half-started engine): it aborts the start, which stops what it had started.
      const startAbort = new AbortController();
      let service: EngineService | undefined;
      let stopped: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (stopped = resolve));
      const onSignal = (signal: NodeJS.Signals): void => {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        // A second signal during shutdown is ignored (the deadline still bounds it).
        process.on("SIGTERM", () => undefined);
        process.on("SIGINT", () => undefined);
        // However the stop goes, it ends within the deadline.
        setTimeout(() => {
          logger.error({ shutdownTimeoutMs }, "shutdown overran its deadline: exiting");
          process.exit(1);
        }, shutdownTimeoutMs + 1_000).unref();
        if (service === undefined) {
          logger.info({ signal }, "signal received during start-up: start aborted, what had started is stopped");
          startAbort.abort();
          return;
        }
        logger.info({ signal }, "signal received: graceful shutdown");
        service.stop().then(
          () => {
            exitSoon(EXIT.ok);
            stopped();
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown did not finish cleanly");
            exitSoon(1);
            stopped();
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      try {
        service = await EngineService.start({ config, logger, signal: startAbort.signal });
      } catch (error) {
        if (error instanceof ServiceError && error.reason === "aborted") {
          // The signal's line said it; what had started is stopped.
          exitSoon(EXIT.ok);
          return;
        }
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        if (error instanceof ServiceError) {
          logger.fatal({ reason: error.reason, err: error }, error.message);
          process.stderr.write(`synclag engine: ${error.message}\n`);
          exitSoon(error.reason === "config" ? EXIT.usage : EXIT.environment);
          return;
        }
        throw error;
      }
      await finished;
    });
}

const PORT_RANGE = "an integer from 0 to 65535 (0 = any free port)";
/** The shape the service accepts for a channel (its own pattern): texts that fail it are not in `channels`. */
const CHANNEL_SPEC = /^(?:([^:=]+):)?([a-z]+)=(.+)$/;

/**
 * The configuration's problems in the words of what the user typed: zod's "expected number, received
 * string" for `--port -1` becomes "--port must be an integer from 0 to 65535", and `channels.0.kind`
 * names the --channel (or SYNCLAG_CHANNELS entry) and the kinds there are.
 */
export function inUserTerms(problem: string, flags: EngineFlags, env: NodeJS.ProcessEnv = process.env): string {
  const kinds = MARKETPLACE_KINDS.join(", ");
  const port = /^(--port|SYNCLAG_INGEST_PORT) \(ingest\.port\): /.exec(problem);
  if (port) {
    const value = port[1] === "--port" ? flags.port : env.SYNCLAG_INGEST_PORT;
    return `${port[1] ?? ""} must be ${PORT_RANGE}, got ${JSON.stringify(value ?? "")}`;
  }
  // Where the file came from: --config wins over SYNCLAG_CONFIG (loadServiceConfig reads them so).
  const file = flags.config !== undefined ? `in ${flags.config}, from --config` : env.SYNCLAG_CONFIG ? `in ${env.SYNCLAG_CONFIG}, from SYNCLAG_CONFIG` : "in the config file";
  if (/^ingest\.port: /.test(problem)) return `ingest.port (${file}) must be ${PORT_RANGE}`;
  // The strategy parser's own words, as simulate and compare print them after the flag.
  const strategy = /^(--strategy|SYNCLAG_STRATEGY) \(strategy\): /.exec(problem);
  if (strategy) return `${strategy[1] ?? ""}: ${problem.slice(strategy[0].length)}`;
  if (/^strategy: /.test(problem)) return `strategy (${file}): ${problem.slice("strategy: ".length)}`;
  if (/^(--channel|SYNCLAG_CHANNELS): .* is not kind=baseUrl or id:kind=baseUrl$/.test(problem)) return `${problem} (kinds: ${kinds})`;
  // The service names a flag or variable channel itself (and the file entry it was merged with): only an
  // unknown kind still needs the user's words.
  const named = /^((?:--channel|SYNCLAG_CHANNELS) ("(?:[^"\\]|\\.)*")(?: with channels\.\d+ of .*?)?) \(kind\): Invalid option/.exec(problem);
  if (named) {
    const spec = JSON.parse(named[2] ?? '""') as string;
    return `${named[1] ?? ""}: unknown channel kind ${JSON.stringify(CHANNEL_SPEC.exec(spec.trim())?.[2] ?? "")}: use one of ${kinds}`;
  }
  const channel = /^channels\.(\d+)\.([A-Za-z]+): (.*)$/.exec(problem);
  if (channel) {
    const fromFlags = flags.channel !== undefined && flags.channel.length > 0;
    const where = fromFlags ? "--channel" : env.SYNCLAG_CHANNELS ? "SYNCLAG_CHANNELS" : undefined;
    const texts = (fromFlags ? (flags.channel ?? []) : (env.SYNCLAG_CHANNELS ?? "").split(",").filter(Boolean)).filter((t) => CHANNEL_SPEC.test(t.trim()));
    const text = where === undefined ? undefined : texts[Number(channel[1])];
    const detail = channel[2] === "kind" ? `unknown channel kind${text === undefined ? "" : ` ${JSON.stringify(CHANNEL_SPEC.exec(text.trim())?.[2] ?? "")}`}: use one of ${kinds}` : `${channel[2] ?? ""}: ${channel[3] ?? ""}`;
    // The spec as typed, but never its credentials (URL userinfo — also typed without a scheme, which a
    // URL parser misreads — or `?access_token=`): this lands in pod logs.
    return where === undefined || text === undefined ? `${problem.slice(0, problem.indexOf(":"))}: ${detail}` : `${where} ${JSON.stringify(redactChannelSpec(text))}: ${detail}`;
  }
  return problem;
}
