// `synclag run` — one strategy over one scenario on the real stack (NATS JetStream, Redis, HTTP mock
// marketplaces, the engine service, an open-model load generator), written as the simulator's result
// document (generator.mode "real", plus orders.droppedArrivals) so every renderer and the gate read it.
// Easy to get wrong: a missing nats-server/redis-server is an environment problem (exit 4, naming the
// Debian package), not a usage error, after which the process must end even if a library leaked a
// handle; every problem with the flags is reported at once (exit 2) — a --rate beyond the scenario's
// limits and a scenario a real run cannot replay (orderImport: poll) included; and a run that sent or
// took no order measured nothing (exit 1, as synclag-loadgen).

import { Command } from "commander";
import { formatDuration, parseDuration } from "@synclag/core";
import { validateScenario, type Scenario } from "@synclag/workload";
import { EXIT, UsageError } from "../cli-error.js";
import { exitInterrupted, exitSoon, interruptOnSignals } from "../interrupt.js";
import { NATS_URL, REDIS_URL, checkCompressedDuration, checkRealPollingInterval, checkServerUrl, checkStrategy, parseScenario, parseSeed } from "../options.js";
import { checkDistinctOutputs, checkOutputPath } from "../output.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";
import { formatCount, formatPercent } from "../render/format.js";

interface RunFlags {
  scenario?: string;
  strategy?: string;
  duration: string;
  rate?: string;
  seed?: string;
  json?: string;
  natsUrl?: string;
  redisUrl?: string;
  convergenceTimeout?: string;
  marketplaceTime: string;
  logLevel: string;
  color?: boolean;
}

function parsePositiveDuration(flag: string, text: string, problems: string[]): number | undefined {
  // A bare number is a duration without its unit (10 s or 10 ms?): worded as the engine's config words it.
  const bare = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(bare) && Number(bare) > 0) {
    problems.push(`${flag}: ${JSON.stringify(text)} has no unit: write e.g. ${bare}s or ${bare}ms`);
    return undefined;
  }
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    problems.push(`${flag}: ${JSON.stringify(text)} is not a positive duration (use e.g. 30s, 2m)`);
    return undefined;
  }
  return ms;
}

/**
 * `--rate` replaces the scenario's base rate (compressed into --duration): checked against the same
 * limits as the scenario file (peak rate, expected orders), since a rate can make a valid scenario one no
 * run can replay. (runReal checks it again for its other callers.)
 */
function checkRate(text: string, ratePerSecond: number, scenario: Scenario, durationMs: number, problems: string[]): void {
  const ordersPerDay = ratePerSecond * 86_400 * (durationMs / scenario.duration);
  const checked = validateScenario({ ...scenario, demand: { ...scenario.demand, ordersPerDay } }, scenario.name);
  if (checked.ok) return;
  problems.push(...checked.problems.map((problem) => `--rate ${text} is beyond the scenario's limits (${scenario.name} compressed into ${formatDuration(durationMs)}, its ordersPerDay becomes ${ordersPerDay.toExponential(2)}): ${problem}`));
}

/** A latency figure, or "—" when the histogram has no sample (0 ms would claim a measurement). */
function p99Text(summary: { readonly count: number; readonly p99: number }): string {
  return summary.count > 0 ? `${summary.p99} ms` : "—";
}

export function runCommand(): Command {
  return listsParseProblems(new Command("run"))
    .description("Replay a scenario in real time against real NATS and Redis, the engine service and HTTP mock marketplaces; write the simulator's result document.")
    .requiredOption("--scenario <name|file>", "built-in scenario name or a .json/.yaml file")
    .requiredOption("--strategy <strategy>", "events, or polling:<interval> in real time, at least 1s and at most --duration (e.g. polling:10s)")
    .option("--duration <duration>", "wall-clock length of the load phase, at most the scenario's own; the scenario is compressed into it", "60s")
    .option("--rate <n/s>", "base order rate (curve multiplier 1) in orders per second, e.g. 50/s")
    .option("--seed <n>", "seed (default: the scenario's)")
    .option("--json <file>", "write the result document to a file (- for stdout, instead of the table)")
    .option("--nats-url <url>", "use this NATS server, nats://[user:password@]host[:port] or tls://…, or several separated by commas (cluster seeds); a token goes alone before @, and reserved characters in a user, password or token are percent-encoded (@ as %40). Default: start a private nats-server -js")
    .option("--redis-url <url>", "use this Redis server, redis://[[user]:password@]host[:port] or rediss:// (default: start a private redis-server)")
    .option("--convergence-timeout <duration>", "longest wait for every channel to converge after the load (default: 60s; with --marketplace-time real, 60s plus the slowest channel's profiled visibility and notification delay tails — see below)")
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
        "milliseconds, and the polling interval is wall-clock time: polling:10s polls every 10 real seconds (flash-sale,",
        "  3 h, in --duration 30s is compressed 360×: every hour of trading). A polling interval longer than --duration",
        "  is refused (exit 2): no poll would happen during the load. Compare long intervals (polling:15m) with",
        "  synclag compare, which replays them in seconds.",
        "--marketplace-time scaled (default): the marketplaces' API latency, visibility and notification delays",
        "  shrink, and their rate limits (and the engine's budget) grow, by the same factor: each channel is",
        "  stressed as in the scenario.",
        "--marketplace-time real: latency, delays and rate limits as profiled, so compressed demand meets real",
        "  rate limits (a stress test, not a replay). Amazon shows an accepted quantity after 20 s typically, 180 s",
        "  at p99: the default --convergence-timeout then waits for those tails too (8m30s for the built-ins).",
        "--rate is checked against the scenario's limits like the scenario's own rate (exit 2).",
        "Orders are imported by push (webhooks) only: a scenario with orderImport: { poll } is refused (exit 2);",
        "  its feed and engine sections configure the simulator only — a note on stderr names any that are set.",
        "Needs nats-server and redis-server on PATH (Debian: apt-get install -y nats-server redis-server) unless --nats-url/--redis-url are given.",
        "",
        "An arrival the load generator cannot send on time is dropped (orders.droppedArrivals), never sent late; a run that",
        "dropped any measured the load generator's limits, not the system: it says so and exits 1, as synclag-loadgen does.",
        "So does a run that sent no arrival, or in which no order was accepted: it measured nothing.",
        "",
        "Exit codes: 0 ok, 1 arrivals were dropped (give a longer --duration) or nothing was sent or accepted, 2 bad input (a polling interval longer than --duration included), 3 an invariant checker failed,",
        "4 missing server/binary, or a server that cannot be used (e.g. --nats-url at a port that does not answer like NATS),",
        "130 interrupted (SIGINT/SIGTERM; servers stopped).",
      ].join("\n"),
    )
    .action(async (opts: RunFlags, command: Command) => {
      const problems = parseProblems(command);
      const scenario = opts.scenario === undefined ? undefined : parseScenario(opts.scenario, problems);
      const strategy = opts.strategy === undefined ? undefined : checkStrategy(opts.strategy, problems);
      const seed = parseSeed(opts.seed, problems);
      const durationMs = parsePositiveDuration("--duration", opts.duration, problems);
      // Not given: runReal's default, which depends on --marketplace-time (and, under real, the scenario's profiles).
      const convergenceTimeoutMs = opts.convergenceTimeout === undefined ? undefined : parsePositiveDuration("--convergence-timeout", opts.convergenceTimeout, problems);
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
      // Never write the result over the scenario it came from (as compare, simulate and gate refuse it).
      const scenarioFile = opts.scenario !== undefined && /[./\\]/.test(opts.scenario) ? opts.scenario : undefined;
      checkDistinctOutputs([["--json", opts.json]], problems, [["the --scenario file", scenarioFile]]);
      const durationGiven = command.getOptionValueSource("duration") !== "default";
      if (scenario && durationMs !== undefined) checkCompressedDuration("--duration", opts.duration, durationMs, scenario, problems, durationGiven);
      // The interval is wall-clock time: one longer than the load sees no poll during it, then is waited out (gate --real refuses it too).
      if (strategy && durationMs !== undefined) {
        checkRealPollingInterval(strategy, { flag: "--duration", text: opts.duration, ms: durationMs, given: durationGiven }, problems, {
          context: "in a real run",
          ...(scenario ? { scenario: { name: scenario.name, durationMs: scenario.duration } } : {}),
        });
      }
      if (scenario && durationMs !== undefined && ratePerSecond !== undefined && opts.rate !== undefined) checkRate(opts.rate, ratePerSecond, scenario, durationMs, problems);
      // A real run imports orders by push only: replaying a polling import as push would be another experiment.
      if (scenario && scenario.orderImport !== "push") {
        problems.push(`scenario ${opts.scenario}: orderImport: { poll: ${formatDuration(scenario.orderImport.poll)} } is not supported by synclag run: the engine imports orders by push (marketplace webhooks) only — use synclag simulate for order-import polling, or remove orderImport (push is the default)`);
      }
      if (problems.length > 0 || !scenario || !strategy || opts.scenario === undefined || durationMs === undefined || (opts.convergenceTimeout !== undefined && convergenceTimeoutMs === undefined)) throw new UsageError(problems);
      const effectiveSeed = seed ?? scenario.seed;
      // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
      // Before the signal handlers, as the static import was: a signal meanwhile is the default one.
      const [{ ServiceError, createLogger, runReal }, { finish }] = await Promise.all([import("@synclag/service"), import("./shared.js")]);
      // Ctrl-C / SIGTERM: stop the load, stop the private servers, remove their temp dirs — never orphan them.
      const interruption = interruptOnSignals("run");
      try {
        const doc = await runReal({
          scenario,
          strategy,
          seed: effectiveSeed,
          durationMs,
          ...(convergenceTimeoutMs === undefined ? {} : { convergenceTimeoutMs }),
          marketplaceTime: opts.marketplaceTime as "scaled" | "real",
          logger: createLogger(opts.logLevel, process.stderr),
          onProgress: (message) => process.stderr.write(`run: ${message}\n`),
          signal: interruption.signal,
          // The reproduce line carries every flag that changes the experiment (reproduceRunCommand).
          scenarioArgument: opts.scenario,
          ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
          ...(opts.natsUrl === undefined ? {} : { natsUrl: opts.natsUrl }),
          ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }),
        });
        // A signal that came after the load (while converging or reading the ground truth): not a result.
        if (interruption.signal.aborted) {
          exitInterrupted("run");
          return;
        }
        const real = doc.strategies[0];
        if (real) process.stderr.write(`run: dropped arrivals ${real.orders.droppedArrivals}; storefront latency p99 ${p99Text(real.load.storefrontLatencyMs)}; engine propagation lag p99 ${p99Text(real.engineLagMs)}\n`);
        const code = finish(doc, opts);
        // As synclag-loadgen: a run that dropped arrivals measured the load generator's limits, not the
        // system; one that sent nothing, or had no order accepted, measured nothing at all (exit 1 both).
        const warnings: string[] = [];
        const dropped = real?.orders.droppedArrivals ?? 0;
        if (real && dropped > 0) {
          const planned = real.load.planned;
          const share = planned > 0 ? ` (${formatPercent(dropped / planned)})` : "";
          warnings.push(`${formatCount(dropped)} of ${formatCount(planned)} planned arrivals${share} were dropped — the load generator could not send them on time, so this run measured its limits, not the system's. Give a longer --duration (or a lower --rate).`);
        }
        if (real && real.load.sent === 0) {
          warnings.push(`no arrival was sent (${formatCount(real.load.planned)} planned) — the run measured nothing. Give a higher --rate or a longer --duration.`);
        } else if (real && real.orders.accepted === 0) {
          warnings.push(`no order was accepted (${formatCount(real.load.sent)} sent: ${formatCount(real.orders.soldOut + real.orders.lostSales)} turned away, ${formatCount(real.load.errors)} failed) — the run measured nothing.`);
        }
        for (const [index, warning] of warnings.entries()) process.stderr.write(`run: WARNING: ${warning}${code === EXIT.ok && index === warnings.length - 1 ? " → exit 1" : ""}\n`);
        process.exitCode = code === EXIT.ok && warnings.length > 0 ? EXIT.arrivalsDropped : code;
      } catch (error) {
        // Interrupted: whatever ended the run (a server Ctrl-C also stopped, a client closed under it) is not a failure.
        if (interruption.signal.aborted) {
          exitInterrupted("run", error);
          return;
        }
        if (error instanceof ServiceError && (error.reason === "environment" || error.reason === "config")) {
          process.stderr.write(`synclag run: ${error.message}\n`);
          // Nothing is left to do: end even if a library leaked a handle (a socket it never closed).
          exitSoon(error.reason === "config" ? EXIT.usage : EXIT.environment);
          return;
        }
        throw error;
      } finally {
        interruption.dispose();
      }
    });
}
