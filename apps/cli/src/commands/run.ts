// `synclag run` — one strategy over one scenario on the real stack (NATS JetStream, Redis, HTTP mock
// marketplaces, the engine service, an open-model load generator), written as the simulator's result
// document (generator.mode "real", plus orders.droppedArrivals) so every renderer and the gate read it.
// Easy to get wrong: a missing nats-server/redis-server is an environment problem (exit 4, naming the
// Debian package), not a usage error; and every problem with the flags is reported at once (exit 2).

import { Command } from "commander";
import { parseDuration } from "@synclag/core";
import { ServiceError, createLogger, runReal } from "@synclag/service";
import { EXIT, UsageError } from "../cli-error.js";
import { NATS_URL, REDIS_URL, checkCompressedDuration, checkServerUrl, checkStrategy, parseScenario, parseSeed } from "../options.js";
import { checkOutputPath } from "../output.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";
import { formatCount, formatPercent } from "../render/format.js";
import { finish } from "./shared.js";

interface RunFlags {
  scenario?: string;
  strategy?: string;
  duration: string;
  rate?: string;
  seed?: string;
  json?: string;
  natsUrl?: string;
  redisUrl?: string;
  convergenceTimeout: string;
  marketplaceTime: string;
  logLevel: string;
  color?: boolean;
}

function parsePositiveDuration(flag: string, text: string, problems: string[]): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    problems.push(`${flag}: ${JSON.stringify(text)} is not a positive duration (use e.g. 30s, 2m)`);
    return undefined;
  }
  return ms;
}

export function runCommand(): Command {
  return listsParseProblems(new Command("run"))
    .description("Replay a scenario in real time against real NATS and Redis, the engine service and HTTP mock marketplaces; write the simulator's result document.")
    .requiredOption("--scenario <name|file>", "built-in scenario name or a .json/.yaml file")
    .requiredOption("--strategy <strategy>", "events, or polling:<interval> in real time, at least 1s (e.g. polling:10s)")
    .option("--duration <duration>", "wall-clock length of the load phase, at most the scenario's own; the scenario is compressed into it", "60s")
    .option("--rate <n/s>", "base order rate (curve multiplier 1) in orders per second, e.g. 50/s")
    .option("--seed <n>", "seed (default: the scenario's)")
    .option("--json <file>", "write the result document to a file (- for stdout, instead of the table)")
    .option("--nats-url <url>", "use this NATS server, nats://host[:port] (also tls:, ws:, wss:) (default: start a private nats-server -js)")
    .option("--redis-url <url>", "use this Redis server, redis://host[:port] or rediss:// (default: start a private redis-server)")
    .option("--convergence-timeout <duration>", "longest wait for every channel to converge after the load", "60s")
    .option("--marketplace-time <mode>", "scaled: the marketplaces run as a time-lapse of the scenario; real: as profiled (see below)", "scaled")
    .option("--log-level <level>", "engine log level (JSON lines on stderr); warn shows every oversell", "error")
    .option("--no-color", "plain output even on a terminal")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  npx synclag run --scenario flash-sale --strategy events --duration 30s --json events.json",
        "  npx synclag run --scenario flash-sale --strategy polling:10s --duration 30s --json polling.json",
        "",
        "The scenario is compressed into --duration: arrivals, restocks and fault windows. Lags are wall-clock",
        "milliseconds, and the polling interval is wall-clock time (polling:10s polls every 10 real seconds).",
        "--marketplace-time scaled (default): the marketplaces' API latency, visibility and notification delays",
        "  shrink, and their rate limits (and the engine's budget) grow, by the same factor: each channel is",
        "  stressed as in the scenario.",
        "--marketplace-time real: latency, delays and rate limits as profiled, so compressed demand meets real",
        "  rate limits (a stress test, not a replay).",
        "Needs nats-server and redis-server on PATH (Debian: apt-get install -y nats-server redis-server) unless --nats-url/--redis-url are given.",
        "",
        "An arrival the load generator cannot send on time is dropped (orders.droppedArrivals), never sent late; a run that",
        "dropped any measured the load generator's limits, not the system: it says so and exits 1, as synclag-loadgen does.",
        "",
        "Exit codes: 0 ok, 1 arrivals were dropped (give a longer --duration), 2 bad input, 3 an invariant checker failed,",
        "4 missing server/binary, 130 interrupted (SIGINT/SIGTERM; servers stopped).",
      ].join("\n"),
    )
    .action(async (opts: RunFlags, command: Command) => {
      const problems = parseProblems(command);
      const scenario = opts.scenario === undefined ? undefined : parseScenario(opts.scenario, problems);
      const strategy = opts.strategy === undefined ? undefined : checkStrategy(opts.strategy, problems);
      const seed = parseSeed(opts.seed, problems);
      const durationMs = parsePositiveDuration("--duration", opts.duration, problems);
      const convergenceTimeoutMs = parsePositiveDuration("--convergence-timeout", opts.convergenceTimeout, problems);
      let ratePerSecond: number | undefined;
      if (opts.rate !== undefined) {
        const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(opts.rate.trim());
        if (!match || !(Number(match[1]) > 0)) problems.push(`--rate: ${JSON.stringify(opts.rate)} is not a rate (use e.g. 50/s)`);
        else ratePerSecond = Number(match[1]);
      }
      if (opts.marketplaceTime !== "scaled" && opts.marketplaceTime !== "real") problems.push(`--marketplace-time must be scaled or real, got ${JSON.stringify(opts.marketplaceTime)}`);
      if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(opts.logLevel)) problems.push(`--log-level: unknown level ${JSON.stringify(opts.logLevel)}`);
      checkServerUrl("--nats-url", opts.natsUrl, NATS_URL, problems);
      checkServerUrl("--redis-url", opts.redisUrl, REDIS_URL, problems);
      checkOutputPath("--json", opts.json, problems);
      if (scenario && durationMs !== undefined) checkCompressedDuration("--duration", opts.duration, durationMs, scenario, problems);
      if (problems.length > 0 || !scenario || !strategy || opts.scenario === undefined || durationMs === undefined || convergenceTimeoutMs === undefined) throw new UsageError(problems);
      const effectiveSeed = seed ?? scenario.seed;
      // Ctrl-C / SIGTERM: stop the load, stop the private servers, remove their temp dirs — never orphan them.
      const controller = new AbortController();
      // Kept installed until the run returns: a second signal (an impatient Ctrl-C, a supervisor that sends
      // SIGTERM twice) must not fall back to Node's default and kill the process mid-cleanup, orphaning them.
      const interrupt = (signal: NodeJS.Signals) => {
        process.stderr.write(controller.signal.aborted ? `run: ${signal}: already stopping — the private servers are being stopped\n` : `run: ${signal}: stopping and cleaning up\n`);
        controller.abort();
      };
      process.on("SIGINT", interrupt);
      process.on("SIGTERM", interrupt);
      try {
        const doc = await runReal({
          scenario,
          strategy,
          seed: effectiveSeed,
          durationMs,
          convergenceTimeoutMs,
          marketplaceTime: opts.marketplaceTime as "scaled" | "real",
          logger: createLogger(opts.logLevel, process.stderr),
          onProgress: (message) => process.stderr.write(`run: ${message}\n`),
          signal: controller.signal,
          // The reproduce line carries every flag that changes the experiment (reproduceRunCommand).
          scenarioArgument: opts.scenario,
          ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
          ...(opts.natsUrl === undefined ? {} : { natsUrl: opts.natsUrl }),
          ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }),
        });
        const real = doc.strategies[0];
        if (real) process.stderr.write(`run: dropped arrivals ${real.orders.droppedArrivals}; storefront latency p99 ${real.load.storefrontLatencyMs.p99} ms; engine propagation lag p99 ${real.engineLagMs.p99} ms\n`);
        const code = finish(doc, opts);
        // As synclag-loadgen: a run that dropped arrivals measured the load generator's limits, not the system (exit 1).
        const dropped = real?.orders.droppedArrivals ?? 0;
        if (real && dropped > 0) {
          const planned = real.load.planned;
          const share = planned > 0 ? ` (${formatPercent(dropped / planned)})` : "";
          process.stderr.write(
            `run: WARNING: ${formatCount(dropped)} of ${formatCount(planned)} planned arrivals${share} were dropped — the load generator could not send them on time, so this run measured its limits, not the system's. Give a longer --duration (or a lower --rate).${code === EXIT.ok ? " → exit 1" : ""}\n`,
          );
        }
        process.exitCode = code === EXIT.ok && dropped > 0 ? EXIT.arrivalsDropped : code;
      } catch (error) {
        if (error instanceof ServiceError && (error.reason === "environment" || error.reason === "config" || (error.reason === "run" && controller.signal.aborted))) {
          process.stderr.write(`synclag run: ${error.message}\n`);
          process.exitCode = error.reason === "config" ? EXIT.usage : error.reason === "environment" ? EXIT.environment : 130;
          return;
        }
        throw error;
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
      }
    });
}
