// `synclag scenarios`: the built-ins, one line each; `synclag scenarios show NAME` prints one as YAML
// to copy and edit. Easy to get wrong: "every default filled in" — the printed scenario is the one
// the schema produces (what actually runs), not the short built-in definition; durations keep the
// built-in's spelling ("45m") where it wrote one, and the YAML must replay to the same result. Also
// easy to get wrong: a value the schema *derives* is not a default — `cost.averageOrderValue` follows
// `catalog.price` unless given, so printing the derived 80 would freeze it, and a price added to the
// copied file would change nothing. It is printed only when the scenario gives it; else a comment.

import { Command } from "commander";
import { Document, isMap, isScalar, parse, stringify } from "yaml";
import { BUILTIN_SCENARIOS, expectedArrivals, validateScenario, type Scenario } from "@synclag/workload";
import { UsageError } from "../cli-error.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";
import { formatMs } from "../render/format.js";

export function scenariosCommand(): Command {
  const command = listsParseProblems(new Command("scenarios"))
    .description("List the built-in scenarios, one line each.")
    .allowExcessArguments(true)
    .action((_opts: unknown, self: Command) => {
      const problems = parseProblems(self);
      const word = self.args[0];
      if (word !== undefined) problems.push(unknownSubcommand(word, self.args[1]));
      if (problems.length > 0) throw new UsageError(problems);
      for (const [name, input] of Object.entries(BUILTIN_SCENARIOS)) {
        const loaded = validateScenario(input, name);
        if (!loaded.ok) continue;
        const s = loaded.scenario;
        const orders = Math.round(expectedArrivals(s)).toLocaleString("en-US");
        process.stdout.write(`${name.padEnd(20)} ${formatMs(s.duration).padStart(6)}  ${String(s.channels.length).padStart(2)} channel${s.channels.length === 1 ? " " : "s"}  ~${orders} order${orders === "1" ? "" : "s"}  ${s.description}\n`);
      }
    });
  command.addCommand(
    listsParseProblems(new Command("show"))
      .description("Print a built-in scenario as YAML with every default filled in (the scenario exactly as it runs), to copy and edit.")
      .argument("<name>", "built-in scenario name")
      .addHelpText("after", "\nExample:\n  npx synclag scenarios show flash-sale > my-sale.yaml\n  npx synclag compare --scenario my-sale.yaml")
      .action((name: string | undefined, _opts: unknown, self: Command) => {
        const problems = parseProblems(self);
        const input = name === undefined ? undefined : BUILTIN_SCENARIOS[name];
        if (name !== undefined && !input) problems.push(`unknown scenario ${JSON.stringify(name)}: built-ins are ${Object.keys(BUILTIN_SCENARIOS).join(", ")}`);
        if (problems.length > 0 || name === undefined || !input) throw new UsageError(problems);
        process.stdout.write(scenarioYaml(input, name));
      }),
  );
  return command;
}

/** `scenarios shwo` / `scenarios flash-sale`: what there is, and the nearest command. */
function unknownSubcommand(word: string, next: string | undefined): string {
  const names = Object.keys(BUILTIN_SCENARIOS);
  let guess: string | undefined;
  if (names.includes(word)) guess = `synclag scenarios show ${word}`;
  else if (editDistance(word.toLowerCase(), "show") <= 2) guess = `synclag scenarios show${next === undefined ? " NAME" : ` ${next}`}`;
  return `unknown subcommand ${JSON.stringify(word)}: use \`synclag scenarios\` (list them) or \`synclag scenarios show NAME\`${guess === undefined ? "" : ` (did you mean \`${guess}\`?)`}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * A built-in as YAML with every default filled in: the schema's output, with the built-in's own
 * spelling of a duration ("45m" rather than 2700000) wherever it wrote one. Falls back to the plain
 * schema output if that spelling would not parse back to the same scenario. `cost.averageOrderValue`
 * is printed only when the scenario gives it (see the header).
 */
export function scenarioYaml(input: unknown, name: string): string {
  const loaded = validateScenario(input, `built-in ${name}`);
  if (!loaded.ok) throw new Error(`built-in scenario ${name} is invalid: ${loaded.problems.join("; ")}`);
  const header = [
    '# Durations: "15m", "1h30m" or whole milliseconds. Every field below has its value as it runs,',
    "# except what the scenario derives rather than defaults (cost.averageOrderValue: see its comment).",
    "# Top-level keys starting with x- are ignored: keep YAML anchors there and merge them into channels,",
    "#   x-defaults: { slow: &slow { kind: ebay, share: 1, profile: { clientTimeoutMs: 30000 } } }",
    "#   channels: [{ <<: *slow, id: ebay-de }, { <<: *slow, id: ebay-uk, share: 2 }]",
    "",
  ].join("\n");
  const printed = withoutDerivedValues(loaded.scenario, input);
  const spelled = withWrittenDurations(printed, input);
  const replayed = validateScenario(parse(stringify(spelled)), name);
  const same = replayed.ok && JSON.stringify(replayed.scenario) === JSON.stringify(loaded.scenario);
  const document = new Document(same ? spelled : printed);
  annotate(document, loaded.scenario, printed);
  return header + document.toString();
}

/**
 * `scenario` without `cost.averageOrderValue` unless `written` (the scenario as given) sets it: the
 * schema derives it from `catalog.price` (else 80), and a printed value would win over a price added later.
 */
function withoutDerivedValues(scenario: Scenario, written: unknown): Record<string, unknown> {
  const given = isRecord(written) && isRecord(written.cost) && written.cost.averageOrderValue !== undefined;
  if (given) return scenario;
  const { averageOrderValue: _derived, ...cost } = scenario.cost;
  return { ...scenario, cost };
}

/**
 * Comments where a field's value alone would mislead: the derived `cost.averageOrderValue` left out,
 * and `demand.agentShare`, which in the simulator only labels arrivals (docs/simulation.md, "Scenario files").
 */
function annotate(document: Document, scenario: Scenario, printed: Record<string, unknown>): void {
  if (isRecord(printed.cost) && printed.cost.averageOrderValue === undefined) {
    const price = scenario.catalog.price;
    const from = price === undefined ? "" : ` (catalog.price ${price} × ${1 + scenario.demand.extraUnitsMean} units per order)`;
    commentBefore(document, ["cost", "marginRate"], [
      ` averageOrderValue: ${scenario.cost.averageOrderValue} here${from}, left out on purpose: it follows catalog.price`,
      " (price × (1 + demand.extraUnitsMean); 80 without a price). Write it here to set it outright: a written value wins.",
    ]);
  }
  commentBefore(document, ["demand", "agentShare"], [
    " agentShare: the simulator only labels these arrivals as shopping agents (they buy like everyone else;",
    " orders.lostSalesByAgents counts the sales they were turned away from); in a real run an agent reads",
    " the storefront's availability first (one more storefront request) and leaves if it shows too little.",
  ]);
}

/** `lines` as a comment above the key at `path` (a section, then a key in it), when both are printed. */
function commentBefore(document: Document, [section, key]: readonly [string, string], lines: readonly string[]): void {
  const map = document.get(section, true);
  if (!isMap(map)) return;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  if (pair !== undefined && isScalar(pair.key)) pair.key.commentBefore = lines.join("\n");
}

/** `parsed` with `written`'s string wherever the schema turned a string into a number (a duration). */
function withWrittenDurations(parsed: unknown, written: unknown): unknown {
  if (Array.isArray(parsed)) return parsed.map((value, index) => withWrittenDurations(value, Array.isArray(written) ? written[index] : undefined));
  if (isRecord(parsed)) return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, withWrittenDurations(value, isRecord(written) ? written[key] : undefined)]));
  return typeof parsed === "number" && typeof written === "string" ? written : parsed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
