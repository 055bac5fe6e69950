// `synclag compare`: one seeded order stream through polling (one or more intervals) and events,
// side by side. The architect's command; runs in seconds with no servers.

import { Command } from "commander";
import { UsageError } from "../cli-error.js";
import { parsePollingList, parseScenario, parseSeed, pollingStrategies, shellQuote } from "../options.js";
import { checkDistinctOutputs, checkOutputPath } from "../output.js";
import { listsParseProblems, parseProblems, repeatable } from "../parse-problems.js";
import { createProgress } from "../progress.js";

/** The interval compared when neither --polling nor the scenario names one (the schema's default strategies). */
const DEFAULT_POLLING = "15m";

/** `--polling 1m --polling 5m` is `--polling 1m,5m`: every interval given is compared (one without its value is a collected problem). */
const morePolling = repeatable((value: string | undefined, previous: string | undefined) => (value === undefined ? previous : previous === undefined ? value : `${previous},${value}`));

export function compareCommand(): Command {
  return listsParseProblems(new Command("compare"))
    .description("Replay one seeded order stream through polling and the event-driven engine (simulated, no servers) and compare oversells, lost sales, sync lag, API calls and cost.")
    .option("--scenario <name|file>", "built-in scenario name or a .json/.yaml file", "steady-day")
    .option("--polling <intervals>", "polling intervals to compare, comma-separated, each from 1s to 366d; repeatable: --polling 1m --polling 5m is --polling 1m,5m; an interval given twice (15m, 900s) runs once (default: the scenario's, usually 15m; 15m when it lists none)", morePolling)
    .option("--seed <n>", "seed (default: the scenario's); same seed → byte-identical result")
    .option("--json <file>", "write the result document to a file (- for stdout, instead of the table)")
    .option("--no-color", "plain output even on a terminal")
    .addHelpText("after", "\nExamples:\n  npx synclag compare\n  npx synclag compare --scenario flash-sale --polling 1m,5m,15m --json result.json\n\nEvery flag but --polling is given once (twice is a usage error, exit 2).\n\nExit codes: 0 ok, 2 bad input, 3 an invariant checker failed (a reproduce: line is printed).")
    .action(async (opts: { scenario?: string; polling?: string; seed?: string; json?: string; color?: boolean }, command: Command) => {
      const problems = parseProblems(command);
      const notes: string[] = [];
      const scenario = opts.scenario === undefined ? undefined : parseScenario(opts.scenario, problems);
      const seed = parseSeed(opts.seed, problems);
      const polling =
        opts.polling !== undefined
          ? parsePollingList(opts.polling, problems, notes)
          : scenario && pollingStrategies(scenario.strategies.filter((s) => s !== "events").map((s) => s.replace(/^polling:/, "")), `scenario ${opts.scenario ?? ""}: strategies`, problems, notes);
      // A scenario listing only events still gets a comparison: the default polling interval, said on stderr.
      if (polling && polling.length === 0) {
        polling.push(`polling:${DEFAULT_POLLING}`);
        notes.push(`scenario ${scenario?.name ?? opts.scenario ?? ""} lists no polling strategy: comparing events with polling:${DEFAULT_POLLING} (choose with --polling, e.g. --polling ${DEFAULT_POLLING} or --polling 1m,5m,15m)`);
      }
      checkOutputPath("--json", opts.json, problems);
      // A built-in is a name; anything with a dot or a slash is a file this command reads: --json must not overwrite it.
      const scenarioFile = opts.scenario !== undefined && /[./\\]/.test(opts.scenario) ? opts.scenario : undefined;
      checkDistinctOutputs([["--json", opts.json]], problems, [["the --scenario file", scenarioFile]]);
      if (problems.length > 0 || !scenario || !polling || opts.scenario === undefined) throw new UsageError(problems);
      for (const note of notes) process.stderr.write(`${note}\n`);
      // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
      const [{ compare }, { finish }] = await Promise.all([import("@synclag/sim"), import("./shared.js")]);
      const strategies = ["events", ...polling];
      const effectiveSeed = seed ?? scenario.seed;
      const progress = createProgress(`simulating ${scenario.name}`);
      const doc = await compare(scenario, strategies, effectiveSeed, {
        onProgress: (done, total) => progress.update(done, total),
        reproduceCommand: `npx synclag compare --scenario ${shellQuote(opts.scenario)} --seed ${effectiveSeed}${opts.polling === undefined ? "" : ` --polling ${polling.map((s) => s.slice("polling:".length)).join(",")}`}`,
      });
      progress.stop();
      process.exitCode = finish(doc, opts);
    });
}
