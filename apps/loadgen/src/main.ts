// synclag-loadgen — the open-model load generator of `synclag run`, alone: replays a scenario's arrival
// plan (the simulator's plan for the same seed), compressed into --duration, at the buyer storefronts
// of running mock marketplaces (`synclag marketplaces --scenario NAME`), and prints what happened as JSON.
// Easy to get wrong: this is an open model — arrivals that cannot be sent on time are counted as
// droppedArrivals and skipped, and latency is measured from each arrival's intended time; a run with
// dropped arrivals measured the load generator's limits, not the system's. And a run in which no buyer
// was accepted measured nothing: storefronts that do not list the scenario's SKUs are refused before
// the first buyer is sent, and a run without one accepted order exits 1.

import { Command, CommanderError } from "commander";
import { LoadGenerator } from "@synclag/service";
import { buildCatalog, planArrivals } from "@synclag/workload";
import { parseLoadgenFlags, type LoadgenFlags } from "./flags.js";
import { checkStorefronts, describeStorefrontProblems } from "./preflight.js";

const EXIT = { ok: 0, failed: 1, usage: 2, storefronts: 4 } as const;

const program = new Command("synclag-loadgen")
  .description("Replay a scenario's buyers (open model) at mock marketplace storefronts and report accepted, turned away and dropped arrivals.")
  .requiredOption("--scenario <name|file>", "built-in scenario name or a .json/.yaml file")
  .requiredOption("--storefront <channel=url>", "storefront base URL of a scenario channel (one for each of its channels)", (value: string, previous: string[] = []) => [...previous, value])
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
      "Exit codes: 0 ok · 1 arrivals were dropped or failed, or no buyer was accepted · 2 bad input ·",
      "4 a storefront is unreachable or does not list the scenario's SKUs (nothing was sent).",
    ].join("\n"),
  )
  .exitOverride()
  .action(async (flags: LoadgenFlags) => {
    const parsed = parseLoadgenFlags(flags);
    if (!parsed.ok) {
      fail(EXIT.usage, parsed.problems, "Run `synclag-loadgen --help` for usage.");
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

function fail(code: number, problems: readonly string[], hint?: string): void {
  const lines = problems.length === 1 ? [`synclag-loadgen: ${problems[0]}`] : [`synclag-loadgen: ${problems.length} problems:`, ...problems.map((p) => `  - ${p}`)];
  if (hint !== undefined) lines.push(hint);
  process.stderr.write(lines.join("\n") + "\n");
  process.exitCode = code;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
