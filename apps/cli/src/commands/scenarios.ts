// `synclag scenarios`: the built-ins, one line each; `synclag scenarios show NAME` prints one as YAML
// to copy and edit.

import { Command } from "commander";
import { stringify } from "yaml";
import { BUILTIN_SCENARIOS, expectedArrivals, validateScenario } from "@synclag/workload";
import { UsageError } from "../cli-error.js";
import { formatMs } from "../render/format.js";

export function scenariosCommand(): Command {
  const command = new Command("scenarios")
    .description("List the built-in scenarios, one line each.")
    .action(() => {
      for (const [name, input] of Object.entries(BUILTIN_SCENARIOS)) {
        const loaded = validateScenario(input, name);
        if (!loaded.ok) continue;
        const s = loaded.scenario;
        const orders = Math.round(expectedArrivals(s)).toLocaleString("en-US");
        process.stdout.write(`${name.padEnd(20)} ${formatMs(s.duration).padStart(6)}  ${String(s.channels.length).padStart(2)} channels  ~${orders} orders  ${s.description}\n`);
      }
    });
  command
    .command("show")
    .description("Print a built-in scenario as YAML (every default filled in), to copy and edit.")
    .argument("<name>", "built-in scenario name")
    .action((name: string) => {
      const input = BUILTIN_SCENARIOS[name];
      if (!input) throw new UsageError([`unknown scenario ${JSON.stringify(name)}: built-ins are ${Object.keys(BUILTIN_SCENARIOS).join(", ")}`]);
      process.stdout.write(stringify(input));
    });
  return command;
}
