// `synclag simulate`: one strategy over one scenario in the deterministic simulator.

import { Command } from "commander";
import { UsageError } from "../cli-error.js";
import { checkStrategy, parseScenario, parseSeed, shellQuote } from "../options.js";
import { checkDistinctOutputs, checkOutputPath } from "../output.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";
import { createProgress } from "../progress.js";

export function simulateCommand(): Command {
  return listsParseProblems(new Command("simulate"))
    .description("Run one strategy over a scenario in the deterministic simulator and report lag, oversells, lost sales, API calls and cost.")
    .requiredOption("--scenario <name|file>", "built-in scenario name or a .json/.yaml file")
    .requiredOption("--strategy <strategy>", "events, or polling:<interval> from 1s to 366d (e.g. polling:15m)")
    .option("--seed <n>", "seed (default: the scenario's)")
    .option("--json <file>", "write the result document to a file (- for stdout, instead of the table)")
    .option("--no-color", "plain output even on a terminal")
    .addHelpText("after", "\nExample:\n  npx synclag simulate --scenario flash-sale --strategy polling:15m --seed 7\n\nExit codes: 0 ok, 2 bad input, 3 an invariant checker failed.")
    .action(async (opts: { scenario?: string; strategy?: string; seed?: string; json?: string; color?: boolean }, command: Command) => {
      const problems = parseProblems(command);
      const scenario = opts.scenario === undefined ? undefined : parseScenario(opts.scenario, problems);
      const strategy = opts.strategy === undefined ? undefined : checkStrategy(opts.strategy, problems);
      const seed = parseSeed(opts.seed, problems);
      checkOutputPath("--json", opts.json, problems);
      // A built-in is a name; anything with a dot or a slash is a file this command reads: --json must not overwrite it.
      const scenarioFile = opts.scenario !== undefined && /[./\\]/.test(opts.scenario) ? opts.scenario : undefined;
      checkDistinctOutputs([["--json", opts.json]], problems, [["the --scenario file", scenarioFile]]);
      if (problems.length > 0 || !scenario || !strategy || opts.scenario === undefined) throw new UsageError(problems);
      // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
      const [{ compare }, { finish }] = await Promise.all([import("@synclag/sim"), import("./shared.js")]);
      const effectiveSeed = seed ?? scenario.seed;
      const progress = createProgress(`simulating ${scenario.name} (${strategy})`);
      const doc = await compare(scenario, [strategy], effectiveSeed, {
        onProgress: (done, total) => progress.update(done, total),
        reproduceCommand: `npx synclag simulate --scenario ${shellQuote(opts.scenario)} --strategy ${shellQuote(strategy)} --seed ${effectiveSeed}`,
      });
      progress.stop();
      process.exitCode = finish(doc, opts);
    });
}
