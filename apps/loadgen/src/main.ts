// synclag-loadgen — the open-model load generator of `synclag run`, alone: replays a scenario's arrival
// plan (the simulator's plan for the same seed), compressed into --duration, at the buyer storefronts
// of running mock marketplaces (`synclag marketplaces --scenario NAME`), and prints what happened as JSON.
// Easy to get wrong: this is an open model — arrivals that cannot be sent on time are counted as
// droppedArrivals and skipped, and latency is measured from each arrival's intended time; a run with
// dropped arrivals measured the load generator's limits, not the system's. And a run in which no buyer
// was accepted measured nothing: storefronts that do not list the scenario's SKUs are refused before
// the first buyer is sent, and a run without one accepted order exits 1. And every problem with the
// flags is listed at once (exit 2): commander stops at the first unknown or missing one, so unknown
// flags are taken out before it parses, a flag without its value is collected, a flag given twice
// (but --storefront) is a problem, and the required ones are checked with the rest (flags.ts).

import { Command, CommanderError, type Option } from "commander";
import { LoadGenerator } from "@synclag/service";
import { buildCatalog, planArrivals } from "@synclag/workload";
import { parseLoadgenFlags, type LoadgenFlags } from "./flags.js";
import { checkStorefronts, describeStorefrontProblems } from "./preflight.js";

const EXIT = { ok: 0, failed: 1, usage: 2, storefronts: 4 } as const;

/** Problems found before the action (unknown flags, stray words, a flag without its value): listed with the rest. */
const parseProblems: string[] = [];

const program = new Command("synclag-loadgen")
  .description("Replay a scenario's buyers (open model) at mock marketplace storefronts and report accepted, turned away and dropped arrivals.")
  // Required, but checked with every other flag problem (flags.ts), not by commander one at a time.
  .option("--scenario <name|file>", "built-in scenario name or a .json/.yaml file (required)")
  .option("--storefront <channel=url>", "storefront base URL of a scenario channel (one for each of its channels; required)", (value: string, previous: string[] = []) => [...previous, value])
  .option("--duration <duration>", "wall-clock length, at most the scenario's own; the scenario is compressed into it", "60s")
  .option("--rate <n/s>", "base order rate (curve multiplier 1) in orders per second")
  .option("--seed <n>", "seed, a whole number from 0 to 2^53 − 1 like a scenario file's (default: the scenario's); give the mocks the same one")
  .option("--late-tolerance <duration>", "an arrival later than this is dropped", "250ms")
  .addHelpText(
    "after",
    [
      "",
      "Example (the mocks seeded with the scenario's catalogue first):",
      "  npx synclag marketplaces --scenario flash-sale --port 9001 &",
      "  npx synclag-loadgen --scenario flash-sale --duration 30s --storefront amazon=http://127.0.0.1:9001 --storefront shopify=http://127.0.0.1:9002 \\",
      "    --storefront flipkart=http://127.0.0.1:9003 --storefront woocommerce=http://127.0.0.1:9004",
      "",
      "Flag problems are listed together (exit 2); every flag but --storefront is given once; --rate is held to the scenario's own limits (peak rate, expected orders).",
      "",
      "Exit codes: 0 ok · 1 arrivals were dropped or failed, or no buyer was accepted · 2 bad input ·",
      "4 a storefront is unreachable or does not list the scenario's SKUs (nothing was sent).",
    ].join("\n"),
  )
  .exitOverride()
  .action(async (flags: LoadgenFlags) => {
    // --duration left at its default (or given without a value): the scenario-length check says so, or skips.
    const durationGiven = missingValue.some((m) => m.flag === "--duration") ? "missing" : program.getOptionValueSource("duration") === "default" ? "default" : "given";
    const parsed = parseLoadgenFlags(flags, { duration: durationGiven });
    const flagProblems = [...parseProblems, ...(parsed.ok ? [] : parsed.problems)];
    if (!parsed.ok || flagProblems.length > 0) {
      fail(EXIT.usage, flagProblems, "Run `synclag-loadgen --help` for usage.");
      return;
    }
    const { scenario, seed, durationMs, timeScale, lateToleranceMs, storefronts } = parsed.plan;

    const skus = buildCatalog(scenario, seed).map((item) => item.sku);
    const unlisted = await checkStorefronts(storefronts, skus);
    if (unlisted.length > 0) {
      const hint = `Nothing was sent. Start the mocks with the scenario's catalogue: npx synclag marketplaces --scenario ${flags.scenario}${flags.seed === undefined ? "" : ` --seed ${seed}`}`;
      fail(EXIT.storefronts, describeStorefrontProblems(unlisted, skus.length), hint);
      return;
    }

    const errorReasons = new Map<string, number>();
    const generator = new LoadGenerator({
      arrivals: planArrivals(scenario, seed),
      timeScale,
      storefronts,
      lateToleranceMs,
      onOutcome: (outcome) => {
        if (outcome.kind !== "error") return;
        const message = outcome.message === "checkout answered 404" ? "checkout answered 404 (SKU not listed, or not a storefront)" : outcome.message;
        errorReasons.set(message, (errorReasons.get(message) ?? 0) + 1);
      },
    });
    const stop = () => generator.stop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const report = await generator.run();
    const { latencyMs, ...counts } = report;
    const errorsByReason = Object.fromEntries([...errorReasons].sort((a, b) => b[1] - a[1]));
    process.stdout.write(JSON.stringify({ scenario: scenario.name, seed, durationMs, timeScale, ...counts, errorsByReason, latencyMsFromIntended: latencyMs.summary() }, null, 2) + "\n");

    const problems: string[] = [];
    if (report.droppedArrivals > 0) problems.push(`${report.droppedArrivals} of ${report.planned} arrivals were dropped (could not be sent on time): this run measured the load generator's limits`);
    if (report.errors > 0) problems.push(`${report.errors} of ${report.sent} arrivals failed: ${Object.entries(errorsByReason).map(([message, n]) => `${message} ×${n}`).join("; ")}`);
    if (report.sent > 0 && report.accepted === 0) problems.push(`no buyer was accepted (${report.turnedAway} turned away, ${report.errors} failed): the run measured nothing — do the storefronts list the scenario's stock?`);
    if (problems.length > 0) fail(EXIT.failed, problems);
    else process.exitCode = EXIT.ok;
  });

/**
 * Takes the flags commander does not know out of `argv` (each is a problem): commander names only the
 * first and treats every word after it, known flags included, as unknown — hiding their problems. A
 * word right after an unknown flag is taken as its value; any other stray word is a problem too.
 */
function withoutUnknownFlags(argv: readonly string[], options: readonly Option[]): string[] {
  const byName = new Map<string, Option>();
  for (const option of options) for (const name of [option.long, option.short]) if (name) byName.set(name, option);
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      const rest = argv.slice(i + 1);
      if (rest.length > 0) parseProblems.push(`unexpected argument${rest.length > 1 ? "s" : ""} ${rest.map((a) => `'${a}'`).join(" ")} (synclag-loadgen takes flags only)`);
      break;
    }
    if (arg.length > 1 && arg.startsWith("-") && !/^-\.?\d/.test(arg)) {
      const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
      const option = byName.get(name);
      if (name === "--help" || name === "-h") kept.push(arg);
      else if (option) {
        kept.push(arg);
        // Its value, whatever it looks like (commander takes the next word too).
        if (option.required && !arg.includes("=") && i + 1 < argv.length) kept.push(argv[++i] as string);
      } else {
        parseProblems.push(`unknown option '${name}'`);
        const next = argv[i + 1];
        if (!arg.includes("=") && next !== undefined && !next.startsWith("-")) i++;
      }
      continue;
    }
    parseProblems.push(`unexpected argument '${arg}' (synclag-loadgen takes flags only)`);
  }
  return kept;
}

// A flag without its value (`--seed` last): listed with the rest, and the flag left at its default.
const raise = program.error.bind(program);
const missingValue: { flag: string; attribute: string; value: unknown; source: NonNullable<ReturnType<Command["getOptionValueSource"]>> }[] = [];
program.error = ((message: string, options?: { code?: string; exitCode?: number }) => {
  if (options?.code !== "commander.optionMissingArgument") return raise(message, options);
  parseProblems.push(message.replace(/^error: /, ""));
  const flag = /'(--[\w-]+)/.exec(message)?.[1];
  if (flag !== undefined) {
    // What the flag held before this valueless occurrence: a repeatable flag's earlier values
    // (`--storefront a=… --storefront`) stay, a single one stays at its default or earlier value.
    const option = program.options.find((o) => o.long === flag);
    if (option) missingValue.push({ flag, attribute: option.attributeName(), value: program.getOptionValue(option.attributeName()), source: program.getOptionValueSource(option.attributeName()) ?? "default" });
  }
  return undefined as never;
}) as Command["error"];

// A flag given twice (commander keeps the last value without a word): a problem, listed with the rest —
// except --storefront, one per channel. Commander emits `option:<name>` for every occurrence, whatever
// its spelling (`--seed 1`, `--seed=2`); an occurrence without its value is already a problem above.
const REPEATABLE = new Set(["--storefront"]);
const given = new Map<string, string[]>();
for (const option of program.options) {
  if (!option.required || option.long === undefined || REPEATABLE.has(option.long)) continue;
  const values: string[] = [];
  given.set(option.long, values);
  program.on(`option:${option.name()}`, (value: string | undefined) => {
    if (value !== undefined) values.push(value);
  });
}
program.hook("preAction", () => {
  for (const { attribute, value, source } of missingValue) program.setOptionValueWithSource(attribute, value, source);
  for (const [flag, values] of given) {
    if (values.length > 1) parseProblems.push(`${flag} given ${values.length === 2 ? "twice" : `${values.length} times`} (${values.map(shownValue).join(", ")}); give it once`);
  }
});

/** A value as typed, quoted when it would not read as one word. */
function shownValue(value: string): string {
  return value === "" || /[\s,;()"'`]/.test(value) ? JSON.stringify(value) : value;
}

function fail(code: number, problems: readonly string[], hint?: string): void {
  const lines = problems.length === 1 ? [`synclag-loadgen: ${problems[0]}`] : [`synclag-loadgen: ${problems.length} problems:`, ...problems.map((p) => `  - ${p}`)];
  if (hint !== undefined) lines.push(hint);
  process.stderr.write(lines.join("\n") + "\n");
  process.exitCode = code;
}

try {
  await program.parseAsync(withoutUnknownFlags(process.argv.slice(2), program.options), { from: "user" });
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
