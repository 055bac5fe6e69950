// `synclag gate`: the CI command. Runs a scenario (simulated) or reads a result document, checks
// k6-style thresholds against one strategy, prints each with its measured value, optionally writes
// JUnit XML and a markdown job summary, and exits 0 (all pass), 1 (a threshold failed, or a real
// run dropped arrivals), 2 (bad input), 3 (an invariant broke: the figures cannot be trusted). Easy
// to get wrong: a typo in a threshold must fail *before* a long simulation, and must never read as a
// pass — thresholds are checked up front, and every problem is reported at once.

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { formatDuration, parseDuration } from "@synclag/core";
import type { ResultDocument } from "@synclag/sim";
import { describeReadError } from "@synclag/workload";
import { GATE_METRICS, evaluateGate, parseResultDocument, pickStrategy, renderGateSummary, renderJUnit } from "@synclag/report";
import { EXIT, UsageError } from "../cli-error.js";
import { exitInterrupted, exitSoon, interruptOnSignals } from "../interrupt.js";
import { checkCompressedDuration, checkRealPollingInterval, checkStrategy, loadScenarioOption, parseSeed, shellQuote, strategyInDocument } from "../options.js";
import { STDOUT, checkDistinctOutputs, checkOutputPath, writeOutput } from "../output.js";
import { listsParseProblems, parseProblems, repeatable } from "../parse-problems.js";
import { createProgress } from "../progress.js";
import { renderGate } from "../render/gate-output.js";
import { flagThresholdProblems } from "../thresholds.js";
import { useColor } from "./shared.js";

interface GateOptions {
  scenario?: string;
  result?: string;
  strategy: string;
  threshold?: string[];
  seed?: string;
  real?: boolean;
  duration: string;
  junit?: string;
  summary?: string;
  json?: string;
  color?: boolean;
}

/** Longest polling interval a --real gate runs: it is wall-clock time, waited once more to converge (docs/ci.md). */
const REAL_POLLING_MAX_MS = 5 * 60_000;

const NO_THRESHOLDS = "no thresholds: give --threshold 'sync_lag_ms:p(99)<5s' (repeatable) or list them under thresholds: in the scenario file";

// A --threshold given without its value is reported by commander (parse-problems): never collect undefined.
const collect = repeatable((value: string | undefined, previous: string[] | undefined) => [...(previous ?? []), ...(value === undefined ? [] : [value])]);

export function gateCommand(): Command {
  const metrics = GATE_METRICS.map((m) => `  ${m.name.padEnd(36)} ${m.aggregations}`).join("\n");
  return listsParseProblems(new Command("gate"))
    .description("Fail a CI build when sync lag, oversells, cancellations or cost cross a threshold: runs a scenario (simulated) or reads a result document, and checks k6-style thresholds.")
    .option("--scenario <name|file>", "built-in scenario or a .json/.yaml file to run (the thresholds: listed in it apply too)")
    .option("--result <file>", "check an existing result document (synclag compare --json) instead of running")
    .option("--strategy <strategy>", "the strategy the thresholds apply to: events or polling:<interval> (polling:900s finds polling:15m in a --result)", "events")
    .option("--threshold <threshold>", "METRIC:AGGREGATION OP VALUE, e.g. 'sync_lag_ms:p(99)<5s' (repeatable)", collect)
    .option("--seed <n>", "seed for --scenario (default: the scenario's)")
    .option("--real", "run the scenario through the real stack (synclag run: NATS, Redis, HTTP mocks) instead of the simulator")
    .option("--duration <duration>", "with --real: wall-clock length of the load phase, at most the scenario's own (the scenario is compressed into it); a polling interval is wall-clock time and may be at most this and 5m", "30s")
    .option("--junit <file>", "write JUnit XML: one test case per threshold (- for stdout)")
    .option("--summary <file>", "write a markdown summary (e.g. --summary \"$GITHUB_STEP_SUMMARY\"; - for stdout)")
    .option("--json <file>", "write the result document the thresholds were checked against (- for stdout)")
    .option("--no-color", "plain output even on a terminal")
    .addHelpText(
      "after",
      `
Thresholds: METRIC:AGGREGATION OPERATOR VALUE, operators < <= > >= == !=.
Values may carry ms, s, m, h (latencies) or % (rates). Quote them in the shell.
Metrics and the aggregations that fit them:
${metrics}
  p(N): 0 < N <= 100. <id>: a channel id of the scenario.
  dropped_arrivals is 0 for simulated runs; a real result without
  orders.droppedArrivals is refused (exit 2) whatever the thresholds.

With --real a polling interval is wall-clock time (not compressed): it may be at
most --duration and 5m. A real run whose load generator dropped arrivals measured
its limits, not sync: it fails (exit 1) whatever the thresholds say.

At most one of --json, --junit, --summary may be - (stdout); the threshold lines then go to stderr.
No two of them may name the same file.
Bounds that can never pass or always pass are refused: negative ones, < 0, a rate
above 100%, a fractional count.

Examples (example limits; the first passes on the built-in flash-sale):
  npx synclag gate --scenario flash-sale \\
    --threshold 'accepted_lag_ms:p(99)<1m' --threshold 'oversells:count<20'
  npx synclag gate --result result.json --strategy polling:15m \\
    --threshold 'cancellation_rate:rate<2.5%'
  npx synclag gate --scenario ci.yaml --junit gate.xml \\
    --summary "$GITHUB_STEP_SUMMARY"

Exit codes:
  0  every threshold passed
  1  a threshold failed, or with --real (or a real --result) arrivals were dropped
  2  bad flags, threshold, scenario or result file (nothing was checked)
  3  the run broke an invariant (a reproduce: line is printed)
  4  with --real: nats-server or redis-server missing, or a server failed
  130 with --real: interrupted (SIGINT/SIGTERM); its private servers were stopped, nothing written
Details: docs/ci.md`,
    )
    .action(async (opts: GateOptions, command: Command) => {
      const problems = parseProblems(command);
      if (opts.real && opts.result !== undefined) problems.push("--real runs a scenario: give --scenario, not --result");
      const realDurationMs = opts.real ? parseDuration(opts.duration) : undefined;
      if (opts.real && !(realDurationMs !== undefined && realDurationMs > 0)) problems.push(`--duration: ${JSON.stringify(opts.duration)} is not a duration (use e.g. 30s, 2m)`);
      if (!opts.real && command.getOptionValueSource("duration") === "cli") problems.push("--duration applies only with --real (a simulated gate replays the scenario's own duration)");
      if (opts.scenario !== undefined && opts.result !== undefined) problems.push("give either --scenario (run it) or --result (check a result document), not both");
      if (opts.scenario === undefined && opts.result === undefined) problems.push("nothing to gate: give --scenario NAME|FILE to run one, or --result FILE to check a result document");
      if (opts.result !== undefined && opts.seed !== undefined) problems.push("--seed applies to --scenario runs only (a result document has its seed)");
      // By its canonical name ("polling: 900s" is polling:15m): what is simulated, looked up and reproduced.
      const requested = checkStrategy(opts.strategy, problems) ?? opts.strategy;
      const outputs = [["--json", opts.json], ["--junit", opts.junit], ["--summary", opts.summary]] as const;
      for (const [flag, path] of outputs) checkOutputPath(flag, path, problems);
      const toStdout = outputs.filter(([, path]) => path === STDOUT).map(([flag]) => flag);
      if (toStdout.length > 1) problems.push(`${toStdout.join(" and ")} ${toStdout.length === 2 ? "both" : "all"} write to stdout (-): send at most one of them there, the others to files`);
      const scenarioFile = opts.scenario !== undefined && /[./\\]/.test(opts.scenario) ? opts.scenario : undefined;
      checkDistinctOutputs(outputs, problems, [["the --result file", opts.result], ["the --scenario file", scenarioFile]]);

      let doc: ResultDocument | undefined;
      const flagThresholds = opts.threshold ?? [];
      let thresholds = flagThresholds;
      let strategy = requested;
      // "no thresholds" only when it is known: a scenario file that could not be read may well list some.
      const noThresholds = (fromFile: readonly string[] | undefined) => {
        if (flagThresholds.length === 0 && fromFile !== undefined && fromFile.length === 0) problems.push(NO_THRESHOLDS);
      };
      if (opts.result !== undefined) {
        doc = readResult(opts.result, problems);
        noThresholds([]);
        if (doc) {
          strategy = strategyInDocument(doc.strategies.map((s) => s.strategy), requested);
          const picked = pickStrategy(doc, strategy);
          if (!picked.ok) problems.push(picked.problem);
          const flagProblems = flagThresholdProblems(flagThresholds, picked.ok ? Object.keys(picked.strategy.channels) : undefined);
          problems.push(...flagProblems);
          // What only the document can say (a metric it does not carry), listed with the rest.
          if (picked.ok && flagProblems.length === 0 && flagThresholds.length > 0) {
            const evaluated = evaluateGate(doc, thresholds, { strategy });
            if (!evaluated.ok) problems.push(...evaluated.problems);
          }
        } else problems.push(...flagThresholdProblems(flagThresholds, undefined));
        if (problems.length > 0 || !doc) throw new UsageError(problems);
      } else if (opts.scenario !== undefined) {
        // The file's thresholds are checked (by path) with the rest of the file, even when it is invalid.
        const loaded = loadScenarioOption(opts.scenario, problems);
        const scenario = loaded.scenario;
        const seed = parseSeed(opts.seed, problems);
        noThresholds(loaded.thresholds);
        problems.push(...flagThresholdProblems(flagThresholds, loaded.channels));
        if (scenario) thresholds = [...thresholds, ...scenario.thresholds];
        const durationGiven = command.getOptionValueSource("duration") !== "default";
        if (opts.real && realDurationMs !== undefined && realDurationMs > 0) {
          checkRealPollingInterval(requested, { flag: "--duration", text: opts.duration, ms: realDurationMs, given: durationGiven }, problems, {
            context: "under --real",
            maxMs: REAL_POLLING_MAX_MS,
            maxHint: `cannot fit a CI job: use polling:${formatDuration(REAL_POLLING_MAX_MS)} or shorter with --real (a simulated gate, without --real, checks ${requested} in seconds)`,
            ...(scenario ? { scenario: { name: scenario.name, durationMs: scenario.duration } } : {}),
          });
        }
        if (scenario && realDurationMs !== undefined) checkCompressedDuration("--duration", opts.duration, realDurationMs, scenario, problems, durationGiven);
        if (problems.length > 0 || !scenario) throw new UsageError(problems);
        const effectiveSeed = seed ?? scenario.seed;
        if (opts.real && realDurationMs !== undefined) {
          // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
          // Before the signal handlers, as the static import was: a signal meanwhile is the default one.
          const { ServiceError, createLogger, runReal } = await import("@synclag/service");
          // Ctrl-C / SIGTERM: stop the load and the private servers, remove their temp dirs — never orphan them.
          const interruption = interruptOnSignals("gate");
          try {
            doc = await runReal({
              scenario,
              strategy: requested,
              seed: effectiveSeed,
              durationMs: realDurationMs,
              // As `synclag run` by default: errors only (at warn every oversell is a JSON line, hundreds in a CI log).
              logger: createLogger("error", process.stderr),
              onProgress: (message) => process.stderr.write(`gate: ${message}\n`),
              reproduceCommand: reproduceCommand(opts, requested, effectiveSeed),
              signal: interruption.signal,
            });
            // A signal that came after the load (while converging or reading the ground truth): not a result.
            if (interruption.signal.aborted) {
              exitInterrupted("gate");
              return;
            }
          } catch (error) {
            // Interrupted: whatever ended the run (a server Ctrl-C also stopped, a client closed under it) is not a failure.
            if (interruption.signal.aborted) {
              exitInterrupted("gate", error);
              return;
            }
            if (error instanceof ServiceError && (error.reason === "environment" || error.reason === "config")) {
              process.stderr.write(`synclag gate: ${error.message}\n`);
              // Nothing is left to do: end even if a library leaked a handle (a socket it never closed).
              exitSoon(error.reason === "config" ? EXIT.usage : EXIT.environment);
              return;
            }
            throw error;
          } finally {
            interruption.dispose();
          }
        } else {
          // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
          const { compare } = await import("@synclag/sim");
          const progress = createProgress(`simulating ${scenario.name} (${requested})`);
          doc = await compare(scenario, [requested], effectiveSeed, {
            onProgress: (done, total) => progress.update(done, total),
            reproduceCommand: reproduceCommand(opts, requested, effectiveSeed),
          });
          progress.stop();
        }
      } else throw new UsageError(problems);

      const evaluated = evaluateGate(doc, thresholds, { strategy });
      if (!evaluated.ok) throw new UsageError(evaluated.problems);
      const report = evaluated.report;
      const texts = { "--json": () => JSON.stringify(doc, null, 2) + "\n", "--junit": () => renderJUnit(report), "--summary": () => renderGateSummary(report) };
      for (const [flag, path] of outputs) {
        if (path === STDOUT) process.stdout.write(texts[flag]());
        else if (path) writeOutput(flag, path, texts[flag]());
      }
      // A machine-readable output on stdout keeps stdout parseable: the threshold lines go to stderr.
      const human = toStdout.length > 0 ? process.stderr : process.stdout;
      human.write(renderGate(report, { color: useColor(human, opts.color) }) + "\n");
      for (const [what, file] of [["JUnit XML", opts.junit], ["summary", opts.summary], ["result", opts.json]] as const) if (file && file !== STDOUT) process.stderr.write(`${what} written to ${file}\n`);
      if (!report.pass || report.invariantsBroken.length > 0 || report.droppedArrivals) process.stderr.write(`reproduce: ${report.reproduce}\n`);
      // A real run whose load generator dropped arrivals measured its limits, not sync: exit 1 as `synclag run` (never a pass).
      process.exitCode = report.invariantsBroken.length > 0 ? EXIT.invariantBroken : !report.pass ? EXIT.thresholdFailed : report.droppedArrivals ? EXIT.arrivalsDropped : EXIT.ok;
    });
}

function readResult(path: string, problems: string[]): ResultDocument | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    problems.push(`--result: cannot read ${path}: ${describeReadError(error)}`);
    return undefined;
  }
  const parsed = parseResultDocument(text, path);
  if (parsed.ok) return parsed.doc;
  problems.push(...parsed.problems);
  return undefined;
}

/** The command line that re-runs this gate (`strategy` by its canonical name), quoted for a POSIX shell. */
function reproduceCommand(opts: GateOptions, strategy: string, seed: number): string {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const thresholds = (opts.threshold ?? []).map((t) => ` --threshold ${quote(t)}`).join("");
  const real = opts.real ? ` --real --duration ${shellQuote(opts.duration)}` : "";
  return `npx synclag gate --scenario ${quote(opts.scenario ?? "")} --strategy ${shellQuote(strategy)} --seed ${seed}${real}${thresholds}`;
}
