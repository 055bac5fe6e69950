// synclag-loadgen — the open-model load generator of `synclag run`, alone: replays a scenario's arrival
// plan (the simulator's plan for the same seed), compressed into --duration, at the buyer storefronts
// of running mock marketplaces (`synclag marketplaces`), and prints what happened as JSON.
// Easy to get wrong: this is an open model — arrivals that cannot be sent on time are counted as
// droppedArrivals and skipped, and latency is measured from each arrival's intended time; a run with
// dropped arrivals measured the load generator's limits, not the system's.

import { Command, CommanderError } from "commander";
import { parseDuration } from "@synclag/core";
import { LoadGenerator } from "@synclag/service";
import { loadScenario, planArrivals } from "@synclag/workload";

interface Flags {
  scenario: string;
  storefront: string[];
  duration: string;
  rate?: string;
  seed?: string;
  lateTolerance: string;
}

const program = new Command("synclag-loadgen")
  .description("Replay a scenario's buyers (open model) at mock marketplace storefronts and report accepted, turned away and dropped arrivals.")
  .requiredOption("--scenario <name|file>", "built-in scenario name or a .json/.yaml file")
  .requiredOption("--storefront <channel=url>", "storefront base URL of a scenario channel (repeat for each)", (value: string, previous: string[] = []) => [...previous, value])
  .option("--duration <duration>", "wall-clock length; the scenario is compressed into it", "60s")
  .option("--rate <n/s>", "base order rate (curve multiplier 1) in orders per second")
  .option("--seed <n>", "seed (default: the scenario's)")
  .option("--late-tolerance <duration>", "an arrival later than this is dropped", "250ms")
  .addHelpText("after", "\nExample:\n  npx synclag-loadgen --scenario flash-sale --duration 30s --storefront amazon=http://127.0.0.1:9001 --storefront shopify=http://127.0.0.1:9002 \\\n    --storefront woocommerce=http://127.0.0.1:9003 --storefront flipkart=http://127.0.0.1:9004\n\nExit codes: 0 ok, 1 arrivals were dropped or failed, 2 bad input.")
  .exitOverride()
  .action(async (flags: Flags) => {
    const problems: string[] = [];
    const loaded = loadScenario(flags.scenario);
    if (!loaded.ok) problems.push(...loaded.problems);
    const durationMs = parseDuration(flags.duration);
    if (durationMs === undefined || durationMs <= 0) problems.push(`--duration: ${JSON.stringify(flags.duration)} is not a positive duration`);
    const lateToleranceMs = parseDuration(flags.lateTolerance);
    if (lateToleranceMs === undefined) problems.push(`--late-tolerance: ${JSON.stringify(flags.lateTolerance)} is not a duration`);
    const rate = flags.rate === undefined ? undefined : Number(/^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(flags.rate.trim())?.[1] ?? NaN);
    if (rate !== undefined && !(rate > 0)) problems.push(`--rate: ${JSON.stringify(flags.rate)} is not a rate (e.g. 50/s)`);
    const seed = flags.seed === undefined ? undefined : Number(flags.seed);
    if (seed !== undefined && !Number.isSafeInteger(seed)) problems.push(`--seed must be an integer`);
    const storefronts = new Map<string, string>();
    for (const pair of flags.storefront) {
      const match = /^([^=]+)=(https?:\/\/.+)$/.exec(pair);
      if (match) storefronts.set(match[1] as string, (match[2] as string).replace(/\/+$/, ""));
      else problems.push(`--storefront: ${JSON.stringify(pair)} is not channel=http(s)://url`);
    }
    if (loaded.ok) for (const channel of loaded.scenario.channels) if (!storefronts.has(channel.id)) problems.push(`--storefront: no URL for the scenario's channel ${channel.id}`);
    if (problems.length > 0 || !loaded.ok || durationMs === undefined || lateToleranceMs === undefined) {
      process.stderr.write(`synclag-loadgen: ${problems.join("\n  ")}\n`);
      process.exitCode = 2;
      return;
    }
    const timeScale = durationMs / loaded.scenario.duration;
    const scenario = rate === undefined ? loaded.scenario : { ...loaded.scenario, demand: { ...loaded.scenario.demand, ordersPerDay: rate * 86_400 * timeScale } };
    const generator = new LoadGenerator({ arrivals: planArrivals(scenario, seed ?? scenario.seed), timeScale, storefronts, lateToleranceMs });
    const stop = () => generator.stop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const report = await generator.run();
    const { latencyMs, ...counts } = report;
    process.stdout.write(JSON.stringify({ scenario: scenario.name, seed: seed ?? scenario.seed, durationMs, timeScale, ...counts, latencyMsFromIntended: latencyMs.summary() }, null, 2) + "\n");
    process.exitCode = report.droppedArrivals > 0 || report.errors > 0 ? 1 : 0;
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
